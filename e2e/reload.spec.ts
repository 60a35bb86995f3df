/**
 * A tab reloaded under the same id (the same `?id=` in its URL) is a new incarnation of
 * that node: every other member takes the old one down once and links the new one at
 * once. Reloaded five times while another tab and the Node worker call it every 200 ms,
 * it is linked again within a second of its `connect()` resolving each time, nobody sees
 * it go down afterwards, and every call to the new incarnation is answered.
 */
import { countOf, expect, installState, linksOf, spawnEcho, test } from './fixtures.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

test('a tab reloaded 5 times under the same id is back each time: linked within 1 s, no nodedown after, every call answered', async ({ tabs, services }) => {
  test.setTimeout(120_000)
  await services.worker()
  const a = await tabs.open('tab-a')
  const b = await tabs.open('tab-b')
  await installState(a)
  await spawnEcho(b, 'echo:tab-b')
  await expect.poll(() => countOf(a, 'echo:tab-b')).toBe(1)

  // tab-a calls tab-b every 200 ms, and has the worker call it too (Node → tab)
  await a.page.evaluate(() => {
    const node = window.__distribunator!.node
    const calls: NonNullable<Window['__calls']> = []
    window.__calls = calls
    const errors: string[] = []
    window.__errors = errors
    node.on('error', (error: Error) => void errors.push(error.message))
    const record = (via: 'tab' | 'worker', call: () => Promise<unknown>): void =>
      void call().then(
        () => calls.push({ via, ok: true, at: Date.now() }),
        (error: { code?: string }) => calls.push({ via, ok: false, code: error.code, at: Date.now() }),
      )
    setInterval(() => {
      record('tab', () => node.call('echo:tab-b', 'ping', 1000))
      const pid = node.allPidsOf('echo:tab-b')[0]
      if (pid !== undefined) record('worker', () => node.doNodeRpc('worker', 'Probe', 'call', [pid, 'ping', 1000]))
    }, 200)
  })

  for (let round = 1; round <= 5; round++) {
    await b.page.reload()
    await expect(b.page.locator('body'), `tab-b back (reload ${round})`).toHaveAttribute('data-ready', 'true', { timeout: 20_000 })
    const ready = Date.now() // its connect() resolved
    await b.page.evaluate(() => {
      const errors: string[] = []
      window.__errors = errors
      window.__distribunator!.node.on('error', (error: Error) => void errors.push(error.message))
    })
    await spawnEcho(b, 'echo:tab-b')
    await expect.poll(() => linksOf(a), { message: `tab-a linked to the new tab-b within 1 s (reload ${round})`, timeout: 1000, intervals: [20] }).toContain('tab-b')
    await expect
      .poll(() => a.page.evaluate(() => window.__distribunator!.node.doNodeRpc<string[]>('worker', 'Probe', 'nodes', [])), {
        message: `the worker linked to the new tab-b within 1 s (reload ${round})`,
        timeout: 1000 - (Date.now() - ready),
        intervals: [20],
      })
      .toContain('tab-b')
    await expect.poll(() => countOf(a, 'echo:tab-b'), { timeout: 1000 }).toBe(1)
    const registered = Date.now()
    await sleep(3000)
    const since = await a.page.evaluate(
      ([ready, registered]) => ({
        downs: window.__e2e!.downs.filter((down) => down.id === 'tab-b' && down.at >= ready),
        calls: window.__calls!.filter((call) => call.at >= registered + 200),
      }),
      [ready, registered] as const,
    )
    const workerDowns = await a.page.evaluate(
      async (ready) => (await window.__distribunator!.node.doNodeRpc<Array<{ id: string; at: number }>>('worker', 'Probe', 'nodedowns', [])).filter((down) => down.id === 'tab-b' && down.at >= ready),
      ready,
    )
    expect(since.downs, `tab-a saw no nodedown of the new tab-b (reload ${round})`).toEqual([])
    expect(await b.page.evaluate(() => window.__errors), `no error event on the new tab-b (reload ${round})`).toEqual([])
    expect(workerDowns, `the worker saw no nodedown of the new tab-b (reload ${round})`).toEqual([])
    expect(since.calls.filter((call) => !call.ok), `every call to the new tab-b answered (reload ${round})`).toEqual([])
    expect(since.calls.filter((call) => call.via === 'tab').length, 'calls from the tab went on').toBeGreaterThan(5)
    expect(since.calls.filter((call) => call.via === 'worker').length, 'calls from the worker went on').toBeGreaterThan(5)
  }
  // the old incarnations went down once each, on the tab and on the worker
  const downs = await a.page.evaluate(() => window.__e2e!.downs.filter((down) => down.id === 'tab-b').length)
  expect(downs).toBe(5)
  // a reload is the normal case: no error event anywhere
  expect(await a.page.evaluate(() => window.__errors)).toEqual([])

})

test('a crashed tab opened again under the same id: the old one down once, the new one linked within 1 s and never down', async ({ tabs }) => {
  const a = await tabs.open('tab-a')
  const b = await tabs.open('tab-b')
  await installState(a)
  await spawnEcho(b, 'echo:tab-b')
  await expect.poll(() => countOf(a, 'echo:tab-b')).toBe(1)
  // the renderer dies at once: no goodbye, the hub sees its connection close
  const cdp = await b.context.newCDPSession(b.page)
  const crashed = b.page.waitForEvent('crash')
  void cdp.send('Page.crash').catch(() => {})
  await crashed
  await b.context.close()
  const again = await tabs.open('tab-b')
  const ready = Date.now()
  await expect.poll(() => linksOf(a), { message: 'tab-a linked to the reopened tab-b within 1 s', timeout: 1000, intervals: [20] }).toContain('tab-b')
  await spawnEcho(again, 'echo:tab-b')
  await expect.poll(() => countOf(a, 'echo:tab-b')).toBe(1)
  for (let i = 0; i < 10; i++) {
    expect(await a.page.evaluate(() => window.__distribunator!.node.call('echo:tab-b', 'ping', 1000))).toBe('ping')
    await sleep(200)
  }
  const downs = await a.page.evaluate(() => window.__e2e!.downs.filter((down) => down.id === 'tab-b'))
  expect(downs).toHaveLength(1) // the hub saw the crash (left_cluster), or the new life superseded it (closed)
  expect(['left_cluster', 'closed']).toContain(downs[0]?.reason)
  expect(downs.every((down) => down.at < ready)).toBe(true)
})
