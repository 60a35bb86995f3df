/**
 * Tabs and the demo's Node worker as peer nodes of one cluster: the full mesh, one
 * registry view, call/cast in every direction, rpc with a callback, and a large value.
 */
import { countOf, expect, installInbox, linksOf, registryOf, spawnEcho, test, workerRegistry, type Tab } from './fixtures.js'

const TABS = ['tab-a', 'tab-b', 'tab-c']

test('three tabs and the Node worker form a full mesh, and every registry converges to one view', async ({ tabs, services }) => {
  await services.worker()
  const opened: Tab[] = []
  for (const id of TABS) opened.push(await tabs.open(id))
  const everyone = [...TABS, 'worker'].sort()

  for (const tab of opened) {
    await expect.poll(() => linksOf(tab), { message: `${tab.id} links` }).toEqual(everyone.filter((id) => id !== tab.id))
  }
  const [a] = opened as [Tab]
  await expect.poll(() => a.page.evaluate(async () => (await window.__distribunator!.node.doNodeRpc<string[]>('worker', 'Probe', 'nodes', [])).sort())).toEqual(TABS)

  // Every replica (three tabs and the worker) holds the same names and pids.
  let views: Array<Array<[string, string[]]>> = []
  await expect
    .poll(async () => {
      views = await Promise.all([...opened.map(registryOf), workerRegistry(a)])
      return views.every((view) => JSON.stringify(view) === JSON.stringify(views[0]))
    }, { message: 'registries converge' })
    .toBe(true)
  const nodesByName = Object.fromEntries((views[0] ?? []).map(([name, pids]) => [name, pids.map((pid) => /^<(.+)\.\d+\.[0-9a-z]+>$/.exec(pid)?.[1] ?? pid).sort()]))
  expect(nodesByName).toEqual({
    chat: TABS,
    counter: ['worker'],
    'counter:view': TABS,
    presence: everyone,
    'rpc:events': TABS,
  })
})

test('call and cast from tab to tab, tab to Node and Node to tab', async ({ tabs, services }) => {
  await services.worker()
  const a = await tabs.open('tab-a')
  const b = await tabs.open('tab-b')
  const echoB = await spawnEcho(b, 'echo:b')
  await installInbox(b, 'inbox:b')
  await expect.poll(() => countOf(a, 'inbox:b')).toBe(1)
  await expect.poll(() => countOf(a, 'echo:b')).toBe(1)

  // tab → tab call, with values JSON cannot carry
  const echoed = await a.page.evaluate(async () => {
    const node = window.__distribunator!.node
    const value = { at: new Date(7), ids: new Set([1, 2]), big: 2n ** 70n, map: new Map([['k', [1, 'é']]]), missing: undefined }
    const back = await node.call<typeof value>('echo:b', value)
    return {
      date: back.at instanceof Date && back.at.getTime() === 7,
      set: back.ids instanceof Set && [...back.ids].join() === '1,2',
      bigint: back.big === 2n ** 70n,
      map: back.map instanceof Map && JSON.stringify(back.map.get('k')) === '[1,"é"]',
      undefinedKept: 'missing' in back,
    }
  })
  expect(echoed).toEqual({ date: true, set: true, bigint: true, map: true, undefinedKept: true })

  // tab → tab cast: 200 casts arrive whole and in order
  await a.page.evaluate(() => {
    for (let i = 0; i < 200; i++) window.__distribunator!.node.cast('inbox:b', i)
  })
  await expect.poll(() => b.page.evaluate(() => window.__e2e!.inbox.length)).toBe(200)
  expect(await b.page.evaluate(() => window.__e2e!.inbox.every((m, i) => m === i))).toBe(true)

  // tab → Node call and cast; the worker's counter then casts each value to every tab (Node → tab cast)
  expect(await a.page.evaluate(() => window.__distribunator!.node.call('counter', { type: 'add', by: 5, from: 'tab-a' }))).toBe(5)
  await a.page.evaluate(() => window.__distribunator!.node.cast('counter', { type: 'add', by: 2, from: 'tab-a' }))
  for (const tab of [a, b]) await expect(tab.page.locator('#counter-value'), `${tab.id} shows the pushed value`).toHaveText('7')
  expect(await b.page.evaluate(() => window.__distribunator!.node.call('counter', { type: 'get' }))).toBe(7)

  // Node → tab call and cast, driven through the worker's Probe module
  const reply = await a.page.evaluate(async () => {
    const node = window.__distribunator!.node
    const echo = node.allPidsOf('echo:b')[0]
    return node.doNodeRpc('worker', 'Probe', 'call', [echo, { said: 'by the worker' }, 5000])
  })
  expect(reply).toEqual({ said: 'by the worker' })
  await a.page.evaluate(async () => {
    const node = window.__distribunator!.node
    await node.doNodeRpc('worker', 'Probe', 'cast', [node.allPidsOf('inbox:b')[0], 'cast by the worker'])
  })
  await expect.poll(() => b.page.evaluate(() => window.__e2e!.inbox.at(-1))).toBe('cast by the worker')

  // a call to a name nobody holds fails with a named error, not by timeout
  const missing = await a.page.evaluate(() =>
    window.__distribunator!.node.call('nobody', 1).then(
      () => 'resolved',
      (error: { code?: string }) => error.code,
    ),
  )
  expect(missing).toBe('no_pid')
  expect(echoB).toMatch(/^<tab-b\.\d+\.[0-9a-z]+>$/)
})

test('nodeRpc from a tab to the worker: the callback runs, and only then does the worker see the rpc process end', async ({ tabs, services }) => {
  await services.worker()
  const a = await tabs.open('tab-a')
  await expect.poll(() => countOf(a, 'counter')).toBe(1)
  const run = await a.page.evaluate(async () => {
    const node = window.__distribunator!.node
    const order: string[] = []
    let seen: (msg: unknown) => void = () => {}
    const exit = new Promise<unknown>((resolve) => (seen = resolve))
    const reporter = node.spawn({
      handleCast: (msg) => {
        order.push(`exit seen: ${typeof msg === 'object' && msg !== null && 'reason' in msg ? String(msg.reason) : '?'}`)
        seen(msg)
      },
    })
    let rpcPid = ''
    const value = await node.nodeRpc<number>('counter', 'Demo', 'square', [7, reporter, 'e2e'], async (result, pid) => {
      rpcPid = String(pid)
      order.push(`callback got ${result}`)
      // the worker's monitor must not fire while this callback is still running
      await new Promise((resolve) => setTimeout(resolve, 500))
      order.push('callback returned')
    })
    order.push(`resolved ${value}`)
    const report = await Promise.race([exit, new Promise((resolve) => setTimeout(() => resolve('no report within 5 s'), 5000))])
    return { order, rpcPid, report }
  })
  expect(run.rpcPid).toMatch(/^<worker\.\d+\.[0-9a-z]+>$/)
  expect(run.order).toEqual(['callback got 49', 'callback returned', 'resolved 49', 'exit seen: normal'])
  expect(run.report).toEqual({ type: 'rpc-exit', tag: 'e2e', rpcPid: run.rpcPid, reason: 'normal' })

  // the seed's errors: no node for a name, and an rpc to an unknown node
  const errors = await a.page.evaluate(async () => {
    const node = window.__distribunator!.node
    const code = (p: Promise<unknown>): Promise<string | undefined> => p.then(() => 'resolved', (e: { code?: string }) => e.code)
    return {
      noNode: await code(node.nodeRpc('nobody', 'Demo', 'square', [1])),
      unknownNode: await code(node.doNodeRpc('tab-zz', 'Demo', 'square', [1])),
      undef: await code(node.doNodeRpc('worker', 'Demo', 'nope', [])),
    }
  })
  expect(errors).toEqual({ noNode: 'no_node', unknownNode: 'badrpc', undef: 'badrpc' })
})

test('a value of several MB crosses from tab to tab intact', async ({ tabs }) => {
  // Default heartbeats: every piece of a chunked frame counts as a sign of life, so a
  // transfer longer than the heartbeat timeout does not get the sender declared down.
  const a = await tabs.open('tab-a')
  const b = await tabs.open('tab-b')
  // b answers with the SHA-256 of the text it received and the sum of the numbers
  await b.page.evaluate(() => {
    const node = window.__distribunator!.node
    const digest = async (msg: unknown): Promise<unknown> => {
      if (typeof msg !== 'object' || msg === null || !('text' in msg) || !('numbers' in msg)) return 'bad message'
      const { text, numbers } = msg
      if (typeof text !== 'string' || !Array.isArray(numbers)) return 'bad message'
      const hash = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
      return {
        chars: text.length,
        sha256: Array.from(new Uint8Array(hash), (byte) => byte.toString(16).padStart(2, '0')).join(''),
        sum: numbers.reduce((total: number, n: unknown) => total + Number(n), 0),
      }
    }
    node.register('digest:b', node.spawn({ handleCall: digest }))
  })
  await expect.poll(() => countOf(a, 'digest:b')).toBe(1)
  const result = await a.page.evaluate(async () => {
    // 2.6 Mi code points (5.6 MB of UTF-8) drawn from ASCII and 2-, 3- and 4-byte
    // UTF-8 characters, so chunk boundaries fall inside multi-byte sequences. Built in
    // slices with pauses between, so the page keeps answering pings meanwhile.
    const alphabet = ['a', 'Z', '7', ' ', '\n', 'é', 'ß', '日', '本', '😀', '𝄞']
    let seed = 12345
    const slices: string[] = []
    for (let slice = 0; slice < 13; slice++) {
      const part: string[] = []
      for (let i = 0; i < 200 * 1024; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
        part.push(alphabet[(seed >>> 16) % alphabet.length]!)
      }
      slices.push(part.join(''))
      await new Promise((resolve) => setTimeout(resolve, 0))
    }
    const text = slices.join('')
    const numbers = Array.from({ length: 20_000 }, (_, i) => i * 1.5)
    const bytes = new TextEncoder().encode(text)
    const hash = await crypto.subtle.digest('SHA-256', bytes)
    const expected = {
      chars: text.length,
      sha256: Array.from(new Uint8Array(hash), (byte) => byte.toString(16).padStart(2, '0')).join(''),
      sum: numbers.reduce((total, n) => total + n, 0),
    }
    const started = performance.now()
    const got = await window.__distribunator!.node.call('digest:b', { text, numbers }, 60_000)
    return { expected, got, bytes: bytes.byteLength, ms: Math.round(performance.now() - started) }
  })
  expect(result.bytes).toBeGreaterThan(5_000_000)
  expect(result.got).toEqual(result.expected)
  test.info().annotations.push({ type: 'transfer', description: `${(result.bytes / 1e6).toFixed(1)} MB tab → tab in ${result.ms} ms` })
})
