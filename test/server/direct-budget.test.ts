/**
 * Which pairs hold a node's direct links when it has more members than `maxDirectLinks`:
 * the pairs that carry application messages (calls, casts, replies, rpc), not the first
 * ones met. Registry traffic and heartbeats make no pair busy: a crowd that only joins
 * opens no peer connection, and a direct link that only carries heartbeats gives way to
 * a relayed pair that calls.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { connect, createHub, type DistNode, type Hub } from '../../src/server/index.js'
import { eventually } from '../support/eventually.js'

const open: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close().catch(() => {})
})

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function hub(asks: string[]): Promise<Hub> {
  const h = await createHub({ port: 0, logger: { info() {}, warn() {}, error() {} } })
  open.push(h)
  h.io.on('connection', (socket) => {
    socket.onAny((event: string, payload: unknown) => {
      if (event !== 'signal' || typeof payload !== 'object' || payload === null) return
      const type = (Reflect.get(payload, 'data') as { type?: unknown } | undefined)?.type
      if (type === 'ask' || type === 'offer') asks.push(`${type} to ${String(Reflect.get(payload, 'to'))}`)
    })
  })
  return h
}

async function member(h: Hub, cluster: string, id: string, extra: Record<string, unknown> = {}): Promise<DistNode> {
  const node = await connect({ hub: h.url, cluster, id, directDelayMs: 0, ...extra })
  open.push(node)
  node.register('echo', node.spawn({ handleCall: (message) => message }))
  return node
}

const pathTo = (node: DistNode, other: string): string | undefined => node.links().find((link) => link.node === other)?.path

/** Two members with room for one direct link each, which they give each other when first linked (no one else is there). */
async function directPair(h: Hub, cluster: string, x: string, y: string): Promise<[DistNode, DistNode]> {
  const first = await member(h, cluster, x, { maxDirectLinks: 1 })
  const second = await member(h, cluster, y, { maxDirectLinks: 1 })
  await eventually(() => pathTo(first, y) === 'direct' && pathTo(second, x) === 'direct', 10_000, `${x} and ${y} direct`)
  return [first, second]
}

/** Calls `to`'s echo from `from` every 100 ms until the returned stop is called. */
function keepCalling(from: DistNode, to: string): () => void {
  let on = true
  void (async () => {
    while (on) {
      const pid = from.allPidsOf('echo').find((p) => p.node === to)
      if (pid !== undefined) await from.call(pid, 'ping', 5000).catch(() => {})
      await sleep(100)
    }
  })()
  return () => void (on = false)
}

describe('a direct-link budget smaller than the cluster', { timeout: 40_000 }, () => {
  it('opens no WebRTC for pairs that only joined; a pair that calls goes direct', async () => {
    const asks: string[] = []
    const h = await hub(asks)
    const [a, b] = await directPair(h, 'crowd', 'a', 'b')
    asks.length = 0
    const c = await member(h, 'crowd', 'c', { maxDirectLinks: 1 })
    const d = await member(h, 'crowd', 'd', { maxDirectLinks: 1 })
    await eventually(() => [a, b, c, d].every((node) => node.links().length === 3 && node.allPidsOf('echo').length === 4), 10_000, 'all linked, every registry whole')
    // past the time a first link goes direct, and past a promotion round: nobody asked
    await sleep(3000)
    expect(asks).toEqual([])
    expect(pathTo(c, 'd')).toBe('relay')
    const stop = keepCalling(c, 'd')
    try {
      await eventually(() => pathTo(c, 'd') === 'direct' && pathTo(d, 'c') === 'direct', 15_000, 'c and d direct once they call')
    } finally {
      stop()
    }
    expect(asks.filter((ask) => !ask.endsWith('to c') && !ask.endsWith('to d'))).toEqual([]) // only the pair that calls
    expect(pathTo(a, 'b')).toBe('direct')
  })

  it('stops asking again for pairs that only joined once it has more members than its budget', async () => {
    const asks: string[] = []
    const h = await hub(asks)
    const [b, c] = await directPair(h, 'retry', 'b', 'c')
    // a has room for both and asks each; both are full and answer busy: a asks again after 250 ms, 500 ms, 1 s, ...
    const a = await member(h, 'retry', 'a', { maxDirectLinks: 2 })
    await eventually(() => asks.filter((ask) => ask === 'ask to b').length >= 1, 5000, 'a asked b')
    // with d, a has more members than its budget, and no pair talks: no more asks
    const d = await member(h, 'retry', 'd')
    await eventually(() => [a, b, c, d].every((node) => node.links().length === 3), 10_000, 'all linked')
    const before = asks.length
    await sleep(5000)
    expect(asks.slice(before)).toEqual([])
    expect([pathTo(a, 'b'), pathTo(a, 'c')]).toEqual(['relay', 'relay'])
  })

  it('a direct link that carries only heartbeats gives way to a relayed pair that calls', async () => {
    const h = await hub([])
    const a = await member(h, 'idle', 'a', { maxDirectLinks: 1, directIdleMs: 1000 })
    const b = await member(h, 'idle', 'b')
    await eventually(() => pathTo(a, 'b') === 'direct', 10_000, 'a and b direct')
    const c = await member(h, 'idle', 'c')
    await eventually(() => pathTo(c, 'a') === 'relay' && c.allPidsOf('echo').length === 3, 10_000, 'c linked to a over the relay')
    const stop = keepCalling(c, 'a')
    try {
      await eventually(() => pathTo(a, 'c') === 'direct' && pathTo(c, 'a') === 'direct', 20_000, 'a and c direct')
    } finally {
      stop()
    }
    await eventually(() => pathTo(a, 'b') === 'relay' && pathTo(b, 'a') === 'relay', 10_000, 'a and b back on the relay')
    expect(a.links().filter((link) => link.path === 'direct').map((link) => link.node)).toEqual(['c'])
  })
})
