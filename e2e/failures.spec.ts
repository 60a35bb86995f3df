/**
 * Nodes that go away and a hub that goes away: a closed tab and a crashed tab leave every
 * other node's registry within a second (the hub sees their connection close) and calls to them fail with
 * `nodedown`; the mesh outlives a hub restart (each tab telling `lost`, then `back`) and a
 * tab opened afterwards joins it; a tab that cannot join says why.
 */
import { countOf, expect, installState, linksOf, pathsOf, registryOf, spawnEcho, test, workerRegistry, type Tab } from './fixtures.js'

/**
 * A closed tab says goodbye; a crashed one does not, but its connection to the hub closes
 * with its renderer and the hub tells every member at once (left_cluster). Either way every
 * other node takes it down within a second while the hub is up: no heartbeat is waited for.
 */
const BOUND_MS = 1000

/** Pids of node `id` in a registry view. */
const pidsOf = (view: Array<[string, string[]]>, id: string): string[] => view.flatMap(([, pids]) => pids.filter((pid) => pid.startsWith(`<${id}.`)))

test('a closed tab and a crashed tab leave every registry within a second; calls to them fail with nodedown', async ({ tabs, services }) => {
  await services.worker()
  const a = await tabs.open('tab-a')
  const b = await tabs.open('tab-b')
  const c = await tabs.open('tab-c')
  const d = await tabs.open('tab-d')
  const observers = [a, d]
  for (const tab of observers) await installState(tab)
  for (const victim of [b, c]) {
    await victim.page.evaluate((name) => {
      const node = window.__distribunator!.node
      node.register(name, node.spawn({ handleCall: () => new Promise(() => {}) })) // never answers
    }, `hang:${victim.id}`)
  }
  await expect.poll(async () => (await countOf(a, 'hang:tab-b')) + (await countOf(a, 'hang:tab-c'))).toBe(2)

  const cases: Array<[Tab, string, () => Promise<void>]> = [
    // closed: the page's pagehide handler closes its node, which says goodbye to its peers
    [b, 'closed', () => b.page.close()],
    // crashed: the renderer dies at once, no handler runs and no goodbye is sent; the hub
    // sees its connection close. Then its browser context is closed.
    [
      c,
      'crashed',
      async () => {
        const cdp = await c.context.newCDPSession(c.page)
        const crashed = c.page.waitForEvent('crash')
        void cdp.send('Page.crash').catch(() => {}) // never answered: the page is gone
        await crashed
        await c.context.close()
      },
    ],
  ]
  for (const [victim, how, end] of cases) {
    // a call that is still waiting for its reply when the tab goes
    await a.page.evaluate((name) => {
      const node = window.__distribunator!.node
      const state = window.__e2e!
      const pid = node.allPidsOf(name)[0]!
      state.pids[name] = pid
      node.call(pid, 'are you there?', 30_000).then(
        (value) => (state.outcomes[name] = { ok: true, value, at: Date.now() }),
        (error: { code?: string }) => (state.outcomes[name] = { ok: false, code: error.code, at: Date.now() }),
      )
    }, `hang:${victim.id}`)

    const goneAt = Date.now()
    await end()
    const noticed: string[] = []

    for (const tab of observers) {
      await expect.poll(() => tab.page.evaluate((id) => window.__e2e!.downs.find((down) => down.id === id)?.at ?? 0, victim.id), {
        message: `${tab.id} sees ${victim.id} (${how}) go down`,
        timeout: 8000,
      }).toBeGreaterThan(0)
      const down = await tab.page.evaluate((id) => window.__e2e!.downs.find((entry) => entry.id === id)!, victim.id)
      expect(down.at - goneAt, `${tab.id} noticed ${victim.id} (${how}: ${down.reason}) within a second`).toBeLessThanOrEqual(BOUND_MS)
      expect(pidsOf(await registryOf(tab), victim.id), `${victim.id}'s pids left ${tab.id}'s registry`).toEqual([])
      noticed.push(`${tab.id} after ${down.at - goneAt} ms (${down.reason})`)
    }
    const workerDownOf = (id: string) =>
      a.page.evaluate(async (id) => {
        const downs = await window.__distribunator!.node.doNodeRpc<Array<{ id: string; reason: string; at: number }>>('worker', 'Probe', 'nodedowns', [])
        return downs.find((down) => down.id === id)
      }, id)
    await expect.poll(async () => (await workerDownOf(victim.id)) !== undefined, { message: `the worker sees ${victim.id} (${how}) go down`, timeout: 8000 }).toBe(true)
    const workerDown = await workerDownOf(victim.id)
    expect(workerDown!.at - goneAt, `the worker noticed ${victim.id} (${how}: ${workerDown!.reason}) within a second`).toBeLessThanOrEqual(BOUND_MS)
    expect(pidsOf(await workerRegistry(a), victim.id), `${victim.id}'s pids left the worker's registry`).toEqual([])
    noticed.push(`worker after ${workerDown!.at - goneAt} ms (${workerDown!.reason})`)

    // the pending call failed with nodedown (not by its 30 s timeout), and so does a new one, at once
    const outcome = await a.page.evaluate((name) => window.__e2e!.outcomes[name], `hang:${victim.id}`)
    expect(outcome).toMatchObject({ ok: false, code: 'nodedown' })
    expect(outcome!.at - goneAt).toBeLessThanOrEqual(BOUND_MS)
    const again = await a.page.evaluate(async (name) => {
      const started = performance.now()
      const code = await window.__distribunator!.node.call(window.__e2e!.pids[name]!, 'still there?', 30_000).then(
        () => 'resolved',
        (error: { code?: string }) => error.code,
      )
      return { code, ms: performance.now() - started }
    }, `hang:${victim.id}`)
    expect(again.code).toBe('nodedown')
    expect(again.ms).toBeLessThan(100)
    test.info().annotations.push({ type: `${victim.id} ${how}`, description: noticed.join('; ') })
  }

  // the survivors still agree and still talk
  await expect.poll(async () => JSON.stringify(await registryOf(a)) === JSON.stringify(await registryOf(d))).toBe(true)
  expect(await linksOf(a)).toEqual(['tab-d', 'worker'])
  expect(await a.page.evaluate(() => window.__distribunator!.node.call('counter', { type: 'add', by: 1, from: 'tab-a' }))).toBe(1)
})

test('the mesh keeps working while the hub is down, and a tab opened after its restart joins', async ({ tabs, services }) => {
  // While the hub is down, the tabs' reconnection attempts fail; Chromium logs each one.
  tabs.allowErrors(/WebSocket connection to '.*' failed/)
  const hub = await services.hub()
  await services.worker(hub.url)
  const a = await tabs.open('tab-a', { hub: hub.url })
  const b = await tabs.open('tab-b', { hub: hub.url })
  await expect.poll(() => linksOf(a)).toEqual(['tab-b', 'worker'])
  await spawnEcho(b, 'echo:b')
  await expect.poll(() => countOf(a, 'echo:b')).toBe(1)
  // links start on the hub's relay and move to WebRTC: only direct links outlive the hub
  await expect.poll(() => pathsOf(a), { timeout: 15_000 }).toEqual({ 'tab-b': 'direct', worker: 'direct' })
  await expect.poll(() => pathsOf(b), { timeout: 15_000 }).toEqual({ 'tab-a': 'direct', worker: 'direct' })
  await installState(a)
  const hubEvents = (): Promise<Array<[string, string]>> => a.page.evaluate(() => window.__e2e!.hub)

  await hub.stop('SIGKILL')
  // the tab tells its hub connection is lost (an app shows "reconnecting")
  await expect.poll(hubEvents).toEqual([['lost', hub.url]])
  await new Promise((resolve) => setTimeout(resolve, 1000))
  // links do not go through the hub: calls tab → tab and tab → Node still work
  expect(await a.page.evaluate(() => window.__distribunator!.node.call('echo:b', 'no hub needed'))).toBe('no hub needed')
  expect(await a.page.evaluate(() => window.__distribunator!.node.call('counter', { type: 'add', by: 1, from: 'tab-a' }))).toBe(1)
  expect(await linksOf(a)).toEqual(['tab-b', 'worker'])
  expect(await linksOf(b)).toEqual(['tab-a', 'worker'])

  const restarted = await services.hub(hub.port)
  const c = await tabs.open('tab-c', { hub: restarted.url })
  // the old nodes rejoin the new hub by themselves, and the newcomer links to all of them
  await expect.poll(hubEvents, { timeout: 20_000 }).toEqual([['lost', hub.url], ['back', restarted.url]])
  await expect.poll(() => linksOf(c), { timeout: 20_000, message: 'tab-c links to everyone' }).toEqual(['tab-a', 'tab-b', 'worker'])
  await expect.poll(() => linksOf(a)).toEqual(['tab-b', 'tab-c', 'worker'])
  await expect.poll(() => linksOf(b)).toEqual(['tab-a', 'tab-c', 'worker'])
  await expect.poll(() => countOf(c, 'echo:b')).toBe(1)
  expect(await c.page.evaluate(() => window.__distribunator!.node.call('echo:b', 'hello from the newcomer'))).toBe('hello from the newcomer')
  expect(await c.page.evaluate(() => window.__distribunator!.node.call('counter', { type: 'get' }))).toBe(1)
  await expect
    .poll(async () => {
      const views = await Promise.all([registryOf(a), registryOf(b), registryOf(c), workerRegistry(c)])
      return views.every((view) => JSON.stringify(view) === JSON.stringify(views[0]))
    }, { message: 'registries converge after the restart' })
    .toBe(true)
})

test('a tab that cannot join says why: nothing listening, or a hub URL with a path', async ({ browser, site, hub, cluster }) => {
  // Two pages at once: what the demo shows is connect()'s error (more cases: hub-errors.spec.ts).
  const cases = [
    // a page is not told why a WebSocket failed, but a fetch finds nothing there: it fails at once
    { hub: 'http://127.0.0.1:1', error: 'no hub answered: http://127.0.0.1:1: nothing answers at 127.0.0.1:1: check the host name and port, and that the hub is running' },
    // the hub refuses the path as a namespace, each time until joinTimeoutMs (10 s)
    { hub: `${hub.url}/signal`, error: `no hub answered within 10000 ms: ${hub.url}/signal: not a hub, or a URL with a path (a hub listens at the root: ${hub.url})` },
  ]
  const context = await browser.newContext()
  await Promise.all(
    cases.map(async ({ hub: target, error }, i) => {
      const page = await context.newPage()
      await page.goto(`${site.url}/?${new URLSearchParams({ hub: target, cluster, id: `lost-${i}` }).toString()}`)
      await expect(page.locator('body')).toHaveClass(/failed/, { timeout: 20_000 })
      await expect(page.locator('#status')).toContainText(error)
    }),
  )
  await context.close()
})
