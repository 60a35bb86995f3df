/**
 * The relay path over a real hub: two members' relay channels, their packets through the
 * hub's `relay` event. It passes the Channel compliance checks, and loses, repeats and
 * reorders nothing when packets are dropped on the way or the hub restarts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RelayChannel } from '../../../src/core/mesh/relay-channel.js'
import { RelayRouter } from '../../../src/core/mesh/relay-router.js'
import type { RelayNotice } from '../../../src/core/hub/relay-protocol.js'
import type { RelayTransport } from '../../../src/core/hub/signaling.js'
import { createHub, createSocketIoSignaling, type Hub } from '../../../src/server/index.js'
import { channelCompliance, type ChannelPair } from '../../../src/testing/index.js'
import { MESH_DEFAULTS } from '../../../src/core/mesh/mesh-options.js'
import { eventually } from '../../support/eventually.js'

const OPTIONS = { chunkBytes: 16 * 1024, maxMessageBytes: 64 * 1024 * 1024, windowBytes: 256 * 1024, retransmitMs: 200 }
let hub: Hub
let clusters = 0
const cleanups: Array<() => unknown> = []

beforeAll(async () => {
  hub = await createHub({ port: 0, logger: { info() {}, warn() {}, error() {} } })
})
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  await hub.close()
})

/** Two members of a fresh cluster, each with a router; `wrap` can stand between a router and its transport. */
async function relayPair(
  wrap: (transport: RelayTransport) => RelayTransport = (t) => t,
  url = hub.url,
  options = OPTIONS,
): Promise<ChannelPair & { a: RelayChannel; b: RelayChannel }> {
  const cluster = `relay-${++clusters}`
  const sa = createSocketIoSignaling({ hub: url, cluster, id: 'a', retryDelayMs: 50, maxRetryDelayMs: 200 })
  const sb = createSocketIoSignaling({ hub: url, cluster, id: 'b', retryDelayMs: 50, maxRetryDelayMs: 200 })
  await Promise.all([sa.join(), sb.join()])
  const ra = new RelayRouter(wrap(sa.relay as RelayTransport), options, () => undefined, () => {})
  const rb: RelayRouter = new RelayRouter(wrap(sb.relay as RelayTransport), options, () => undefined, () => {})
  const a = ra.open('b', sb.incarnation)
  const b = rb.open('a', sa.incarnation)
  cleanups.push(() => {
    sa.close()
    sb.close()
  })
  return { a, b, dispose: () => (sa.close(), sb.close()) }
}

describe('relay channel over a real hub', () => {
  channelCompliance((name, fn) => it(name, fn, 30_000), () => relayPair(), { largeBytes: 2 * 1024 * 1024 })

  it('delivers everything once and in order when the hub drops packets on the way', async () => {
    let seed = 7
    const lost = (): boolean => {
      seed = (seed * 1103515245 + 12345) % 2147483648 // a fixed pseudo-random sequence
      return seed % 10 < 2
    }
    const lossy = (transport: RelayTransport): RelayTransport => ({
      onPacket: (handler) => transport.onPacket(handler),
      onRefused: (handler) => transport.onRefused(handler),
      // one packet in five lost on the way, unseen by the sender
      send: (targets, data) => (lost() ? true : transport.send(targets, data)),
    })
    const { a, b } = await relayPair(lossy)
    const got: string[] = []
    b.onMessage((m) => got.push(String(m)))
    for (let i = 0; i < 500; i++) a.send(`m${i}`)
    a.send('x'.repeat(200_000)) // several chunks, some of them dropped
    await eventually(() => got.length === 501, 20_000, 'every message')
    expect(got.slice(0, 500)).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`))
    expect(got[500]).toHaveLength(200_000)
    await eventually(() => a.bufferedAmount === 0, 5000, 'everything acknowledged')
  })

  it('carries on across a hub restart: what was sent meanwhile arrives once, in order', async () => {
    const own = await createHub({ port: 0, logger: { info() {}, warn() {}, error() {} } })
    const port = own.port
    const { a, b } = await relayPair(undefined, own.url)
    const got: string[] = []
    b.onMessage((m) => got.push(String(m)))
    for (let i = 0; i < 100; i++) a.send(`before ${i}`)
    await eventually(() => got.length === 100, 5000, 'the first messages')
    await own.close()
    for (let i = 0; i < 100; i++) a.send(`during ${i}`)
    const again = await createHub({ port, logger: { info() {}, warn() {}, error() {} } })
    cleanups.push(() => again.close())
    await eventually(() => got.length === 200, 15_000, 'the messages sent while the hub was down')
    expect(got.slice(100)).toEqual(Array.from({ length: 100 }, (_, i) => `during ${i}`))
  })

  it('sends again what the hub refused over its relay budget: a burst past the budget arrives whole', async () => {
    const small = await createHub({ port: 0, maxRelayBytesPerSecond: 512 * 1024, maxRelayBurstBytes: 64 * 1024, logger: { info() {}, warn() {}, error() {} } })
    cleanups.push(() => small.close())
    let refused = 0
    const counting = (transport: RelayTransport): RelayTransport => ({
      ...transport,
      onPacket: (handler) => transport.onPacket(handler),
      onRefused: (handler) => transport.onRefused((refusal) => (refused++, handler(refusal))),
      send: (targets, data) => transport.send(targets, data),
    })
    const { a, b } = await relayPair(counting, small.url)
    const got: string[] = []
    b.onMessage((m) => got.push(String(m)))
    a.send('y'.repeat(600_000))
    for (let i = 0; i < 50; i++) a.send(`after ${i}`)
    await eventually(() => got.length === 51, 15_000, 'everything, past the budget')
    expect(got[0]).toHaveLength(600_000)
    expect(got.slice(1)).toEqual(Array.from({ length: 50 }, (_, i) => `after ${i}`))
    expect(refused).toBeGreaterThan(0)
  })

  it("the acknowledgement of a channel's first packet waits for the first packet going back; later ones go bare after ackDelayMs", async () => {
    const bare = [0, 0]
    let sides = 0
    const counting = (transport: RelayTransport): RelayTransport => {
      const side = sides++
      return {
        onPacket: (handler) => transport.onPacket(handler),
        onRefused: (handler) => transport.onRefused(handler),
        send: (targets, data) => {
          if (data === undefined) bare[side]!++
          return transport.send(targets, data)
        },
      }
    }
    // the default retransmit time, so that an owed acknowledgement may wait MESH_DEFAULTS.lazyAckMs
    const { a, b } = await relayPair(counting, hub.url, { ...OPTIONS, retransmitMs: MESH_DEFAULTS.retransmitMs })
    const replies: string[] = []
    a.onMessage((m) => replies.push(String(m)))
    b.onMessage((m) => setTimeout(() => b.send(`re ${String(m)}`), 10)) // a handler that takes 10 ms
    a.send('q 0')
    await eventually(() => replies.length === 1, 5000, 'the first reply')
    expect(bare[1]).toBe(0) // b's acknowledgement of a's first packet rode on its reply (ackDelayMs alone sent it bare)
    // a's acknowledgement of b's first packet has nothing to ride on: it goes bare, once
    await eventually(() => bare[0] === 1, MESH_DEFAULTS.lazyAckMs + 2000, "a's acknowledgement")
    // later packets are acknowledged within ackDelayMs, bare when no reply is quick enough
    for (let i = 1; i < 4; i++) {
      a.send(`q ${i}`)
      await eventually(() => replies.length === i + 1, 5000, `reply ${i}`)
    }
    expect(replies).toEqual(['re q 0', 're q 1', 're q 2', 're q 3'])
    expect(bare[1]).toBeGreaterThan(0)
    await eventually(() => a.bufferedAmount === 0 && b.bufferedAmount === 0, 2000, 'everything acknowledged')
  })
})

/**
 * Two routers joined by a loopback transport that stamps what a hub stamps; every packet
 * that crossed is kept, so a test can deliver it again late (a resend from before).
 */
function loopback(incA: number, incB: number) {
  const handlers = new Map<string, (notice: RelayNotice) => void>()
  const crossed: Array<{ readonly to: string; readonly notice: RelayNotice }> = []
  const transport = (self: string, inc: number): RelayTransport => ({
    onPacket: (handler) => void handlers.set(self, handler),
    onRefused: () => {},
    send: (targets, data) => {
      for (const [to, ti, epoch, seq, ack] of targets) {
        const notice: RelayNotice = { from: self, fromInc: inc, toInc: ti, epoch, seq, ack, data }
        crossed.push({ to, notice })
        queueMicrotask(() => handlers.get(to)?.(notice))
      }
      return true
    },
  })
  const routed: string[] = []
  const received: string[] = []
  const router = (self: string, inc: number): RelayRouter => {
    const r: RelayRouter = new RelayRouter(
      transport(self, inc),
      OPTIONS,
      (from, fromInc) => {
        routed.push(`${self} <- ${from}/${fromInc}`)
        const channel = r.open(from, fromInc)
        channel.onMessage((m) => received.push(`${self} link ${channel.epoch}: ${String(m)}`))
        return channel
      },
      () => {},
    )
    return r
  }
  const deliver = (to: string, notice: RelayNotice): void => handlers.get(to)?.(notice)
  return { a: router('a', incA), b: router('b', incB), crossed, routed, received, deliver }
}

describe('relay router: which link a packet belongs to', () => {
  it('a newer epoch of the same life starts a new link; a late packet of an earlier link is dropped', async () => {
    const net = loopback(11, 22)
    const first = net.a.open('b', 22)
    first.onMessage(() => {})
    first.send('one')
    await eventually(() => net.received.length === 1)
    const late = net.crossed.find(({ notice }) => notice.data === 'one')?.notice as RelayNotice
    // a closes that link and opens another: b's link to it is over, a new one takes the packet
    first.close()
    const second = net.a.open('b', 22)
    second.onMessage(() => {})
    second.send('two')
    await eventually(() => net.received.length === 2)
    expect(net.routed).toEqual(['b <- a/11', 'b <- a/11'])
    expect(net.received).toEqual(['b link 1: one', 'b link 2: two'])
    // a resend of the first link comes late: dropped, and the current link goes on
    let closed = false
    net.b.get('a')?.onClose(() => (closed = true))
    net.deliver('b', late)
    second.send('three')
    await eventually(() => net.received.length === 3)
    expect(net.received[2]).toBe('b link 2: three')
    expect(net.routed).toHaveLength(2)
    expect(closed).toBe(false)
  })

  it('a packet of another incarnation of the sender goes to the mesh, which decides', async () => {
    const net = loopback(11, 22)
    const channel = net.a.open('b', 22)
    channel.onMessage(() => {})
    channel.send('from life 11')
    await eventually(() => net.received.length === 1)
    const notice = net.crossed[0]?.notice as RelayNotice
    net.deliver('b', { ...notice, fromInc: 12, epoch: 1 })
    expect(net.routed).toEqual(['b <- a/11', 'b <- a/12'])
  })
})

describe('relay channel footprint', () => {
  it('holds no chunk-sized buffer of its own: a member relays to hundreds of others', () => {
    // a node of a 120-member cluster has 119 relay channels; a chunk-sized buffer each was 16 KiB apiece
    const outlet = { send: () => true }
    const before = process.memoryUsage().arrayBuffers
    const channels = Array.from({ length: 2000 }, (_, i) => new RelayChannel(`m${i}`, 1, 1, outlet, OPTIONS, () => {}))
    const grown = process.memoryUsage().arrayBuffers - before
    channels[0]?.send('x'.repeat(100))
    channels[1]?.send('é'.repeat(5000)) // a string near the chunk size: its UTF-8 is measured in a shared buffer
    expect(grown).toBeLessThan(2000 * 1024) // under 1 KiB of buffers per channel
  })
})
