/**
 * Every pair linked, by the best path available: relay first, direct in the background,
 * the move between them under load, a hub restart while pairs are relayed, `relay: false`.
 * Real hub, real WebRTC (node-datachannel), nodes in this process.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { connect, createHub, type DistNode, type Hub } from '../../src/server/index.js'
import { eventually } from '../support/eventually.js'

const quiet = { info() {}, warn() {}, error() {} }
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function hub(port = 0): Promise<Hub> {
  const h = await createHub({ port, logger: quiet })
  cleanups.push(() => h.close())
  return h
}

async function node(url: string, cluster: string, id: string, extra: Partial<Parameters<typeof connect>[0]> = {}): Promise<DistNode & { downs: string[]; paths: string[] }> {
  const n = await connect({ hub: url, cluster, id, ...extra })
  cleanups.push(() => n.close())
  const downs: string[] = []
  const paths: string[] = []
  n.on('nodedown', (other, reason) => downs.push(`${other}:${reason}`))
  n.on('path', (other, path) => paths.push(`${other}:${path}`))
  return Object.assign(n, { downs, paths })
}

/** A process that counts consecutive casts and answers calls with their message. */
function serve(n: DistNode): { seen: number[]; inOrder: () => boolean } {
  const seen: number[] = []
  n.register('sink', n.spawn({ handleCast: (m) => void seen.push(m as number), handleCall: (m) => m }))
  return { seen, inOrder: () => seen.every((v, i) => v === i) }
}

describe('paths', { timeout: 60_000 }, () => {
  it('WebRTC starts after a relayed link carries its first exchange, or after directDelayMs', async () => {
    const h = await hub()
    const b = await node(h.url, 'later', 'b', { directDelayMs: 60_000 })
    serve(b)
    const a = await node(h.url, 'later', 'a', { directDelayMs: 60_000 })
    const c = await node(h.url, 'later', 'c', { directDelayMs: 60_000 })
    await new Promise((r) => setTimeout(r, 1500))
    // linked, nothing exchanged yet past the handshake: still on the relay
    expect(a.links()).toEqual([{ node: 'b', path: 'relay' }, { node: 'c', path: 'relay' }])
    expect(await a.call('sink', 'one exchange')).toBe('one exchange')
    await eventually(() => a.links().find((l) => l.node === 'b')?.path === 'direct', 15_000, 'a ↔ b direct after their first exchange')
    expect(a.links().find((l) => l.node === 'c')?.path).toBe('relay') // a and c have exchanged nothing
    // with the default delay, a pair that exchanges nothing still goes direct soon
    const d = await node(h.url, 'later', 'd')
    const e = await node(h.url, 'later', 'e')
    await eventually(() => d.links().find((l) => l.node === 'e')?.path === 'direct', 15_000, 'd ↔ e direct after directDelayMs')
    await expect(connect({ hub: h.url, cluster: 'later', directDelayMs: -1 })).rejects.toThrow(/directDelayMs/)
  })

  it('a newcomer is linked over the relay at once; the link moves to WebRTC under a stream of calls and casts, losing, repeating and reordering nothing', async () => {
    const h = await hub()
    const b = await node(h.url, 'move', 'b')
    const sink = serve(b)
    const a = await node(h.url, 'move', 'a')
    // connect() resolved with b's registry in: over the relay, before any WebRTC
    expect(a.allPidsOf('sink')).toHaveLength(1)
    expect(a.links()).toEqual([{ node: 'b', path: 'relay' }])
    const replies: Array<Promise<unknown>> = []
    let n = 0
    const until = Date.now() + 1500
    while (Date.now() < until) {
      for (let i = 0; i < 20; i++, n++) {
        a.cast('sink', n)
        if (n % 10 === 0) replies.push(a.call('sink', n))
      }
      await new Promise((r) => setTimeout(r, 5))
    }
    const answered = await Promise.all(replies)
    expect(answered).toEqual(replies.map((_, i) => i * 10))
    await eventually(() => sink.seen.length === n, 10_000, 'every cast')
    expect(sink.inOrder()).toBe(true)
    expect(a.paths).toContain('b:direct')
    expect(a.links()).toEqual([{ node: 'b', path: 'direct' }])
    expect([...a.downs, ...b.downs]).toEqual([])
  })

  it('relayed pairs survive a hub restart within the grace period, with no nodedown; what was sent meanwhile arrives', async () => {
    const first = await hub()
    const port = first.port
    const options = { maxDirectLinks: 0, joinTimeoutMs: 5000 } // relay only
    const b = await node(first.url, 'restart', 'b', options)
    const sink = serve(b)
    const a = await node(first.url, 'restart', 'a', options)
    expect(await a.call('sink', 'before')).toBe('before')
    await first.close()
    for (let i = 0; i < 50; i++) a.cast('sink', i)
    const during = a.call('sink', 'during', 15_000)
    const second = await hub(port)
    expect(second.url).toBe(first.url)
    expect(await during).toBe('during')
    await eventually(() => sink.seen.length === 50, 10_000, 'the casts sent while the hub was down')
    expect(sink.inOrder()).toBe(true)
    expect(a.links()).toEqual([{ node: 'b', path: 'relay' }])
    expect([...a.downs, ...b.downs]).toEqual([])
  })

  it('a relayed member whose process ends goes down at once, as the hub sees it leave', async () => {
    const h = await hub()
    const a = await node(h.url, 'leave', 'a', { maxDirectLinks: 0 })
    const b = await connect({ hub: h.url, cluster: 'leave', id: 'b', maxDirectLinks: 0 })
    b.register('there', b.spawn({}))
    await eventually(() => a.allPidsOf('there').length === 1)
    const started = Date.now()
    await b.close()
    await eventually(() => a.downs.length === 1, 3000)
    expect(Date.now() - started).toBeLessThan(1000)
    expect(a.allPidsOf('there')).toEqual([])
  })

  it('relay: false links only directly and sends no payload through the hub', async () => {
    const h = await hub()
    let relayed = 0
    h.io.on('connection', (socket) => socket.onAny((event: unknown) => void (event === 'relay' && relayed++)))
    const b = await node(h.url, 'direct-only', 'b', { relay: false })
    serve(b)
    const a = await node(h.url, 'direct-only', 'a', { relay: false })
    expect(a.links()).toEqual([{ node: 'b', path: 'direct' }])
    expect(await a.call('sink', 'x')).toBe('x')
    expect(relayed).toBe(0)
  })

  // (one whose budget is spent, or whose `direct` refuses, stays unlinked from it: test/server/direct-policy.test.ts)
  it('a member with relay: false and members with the relay link directly, and nothing is relayed', async () => {
    const h = await hub()
    let relayed = 0
    h.io.on('connection', (socket) => socket.onAny((event: unknown) => void (event === 'relay' && relayed++)))
    const b = await node(h.url, 'mixed', 'b', { maxDirectLinks: 1 })
    serve(b)
    const relayedBefore = relayed
    const a = await node(h.url, 'mixed', 'a', { relay: false })
    expect(a.links()).toEqual([{ node: 'b', path: 'direct' }])
    expect(await a.call('sink', 'x')).toBe('x')
    await eventually(() => b.links().length === 1)
    expect(b.links()).toEqual([{ node: 'a', path: 'direct' }])
    expect(relayed).toBe(relayedBefore) // nothing relayed to or from the member that takes none
  })
})
