/**
 * Tabs whose network blocks UDP (Chromium with `--webrtc-ip-handling-policy=
 * disable_non_proxied_udp` gathers no ICE candidates: WebRTC cannot connect at all) stay in
 * the cluster through the hub's relay: they see every name, call and are called, and a
 * large value crosses; pairs that can open WebRTC still do.
 */
import { expect, installInbox, pathsOf, spawnEcho, test } from './fixtures.js'

test('tabs that cannot open WebRTC form one cluster with a Node worker and an open tab, over the relay', async ({ tabs, services }) => {
  await services.worker()
  const a = await tabs.open('tab-a', { udpBlocked: true })
  const b = await tabs.open('tab-b', { udpBlocked: true })
  const c = await tabs.open('tab-c')
  await spawnEcho(b, 'echo:b')
  await installInbox(a, 'inbox:a')
  await expect.poll(() => a.page.evaluate(() => window.__distribunator!.node.nodes().sort())).toEqual(['tab-b', 'tab-c', 'worker'])

  // the blocked tabs reach everyone over the relay; the open tab and the worker go direct
  await expect.poll(() => c.page.evaluate(() => window.__distribunator!.node.links().find((l) => l.node === 'worker')?.path)).toBe('direct')
  expect(Object.values(await pathsOf(a))).toEqual(['relay', 'relay', 'relay'])
  await new Promise((r) => setTimeout(r, 1500)) // WebRTC attempts from and to the blocked tabs fail meanwhile
  expect(Object.values(await pathsOf(b))).toEqual(['relay', 'relay', 'relay'])

  // tab → tab and tab → Node calls; Node → tab call and cast
  await expect.poll(() => a.page.evaluate(() => window.__distribunator!.node.allPidsOf('echo:b').length)).toBe(1)
  expect(await a.page.evaluate(() => window.__distribunator!.node.call('echo:b', { at: new Date(7) }).then((v) => (v as { at: Date }).at.getTime()))).toBe(7)
  expect(await a.page.evaluate(() => window.__distribunator!.node.call('counter', { type: 'add', by: 3, from: 'tab-a' }))).toBe(3)
  const reply = await c.page.evaluate(async () => {
    const node = window.__distribunator!.node
    return node.doNodeRpc('worker', 'Probe', 'call', [node.allPidsOf('echo:b')[0], 'from the worker', 5000])
  })
  expect(reply).toBe('from the worker')
  await c.page.evaluate(async () => {
    const node = window.__distribunator!.node
    await node.doNodeRpc('worker', 'Probe', 'cast', [node.allPidsOf('inbox:a')[0], 'cast by the worker'])
  })
  await expect.poll(() => a.page.evaluate(() => window.__e2e!.inbox.at(-1))).toBe('cast by the worker')
  const workerLinks = await c.page.evaluate(() => window.__distribunator!.node.doNodeRpc<Array<{ node: string; path: string }>>('worker', 'Probe', 'links', []))
  expect(Object.fromEntries(workerLinks.map((l) => [l.node, l.path]))).toMatchObject({ 'tab-a': 'relay', 'tab-b': 'relay', 'tab-c': 'direct' })

  // a large value crosses between the blocked tabs, through the hub, whole
  const size = await a.page.evaluate(async () => {
    const bytes = new Uint8Array(3 * 1024 * 1024)
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff
    const back = await window.__distribunator!.node.call<Uint8Array>('echo:b', bytes, 30_000)
    return back.byteLength === bytes.byteLength && back.every((v, i) => v === ((i * 31) & 0xff)) ? back.byteLength : -1
  })
  expect(size).toBe(3 * 1024 * 1024)
})
