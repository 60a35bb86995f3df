/**
 * Hostile members of a real cluster: a real hub, real WebRTC between Node peers (this
 * process, child processes) and members made by hand from the library's parts, which
 * say what they like.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { io as connectRaw, type Socket } from 'socket.io-client'
import { createSocketIoSignaling } from '../../src/server/index.js'
import { RelayRouter } from '../../src/core/mesh/relay-router.js'
import type { RelayTransport } from '../../src/core/hub/signaling.js'
import { channelFromPeer } from '../../src/core/webrtc/data-channel.js'
import { connect, createHub, createNodePeer, type DistNode, type Hub, OverloadedError } from '../../src/server/index.js'
import { type ChildPeer, startChildPeer, stopChildPeer } from '../support/child-peers.js'
import { eventually } from '../support/eventually.js'
import { LOOPBACK_BUDGET } from '../support/loopback-budget.js'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function hub(): Promise<Hub> {
  // 200 members from one loopback address: lift the hub's per-address budget
  const h = await createHub({ port: 0, ...LOOPBACK_BUDGET, logger: { info() {}, warn() {}, error() {} } })
  cleanups.push(() => h.close())
  return h
}

async function member(url: string, cluster: string, id: string, extra: Partial<Parameters<typeof connect>[0]> = {}): Promise<DistNode & { errors: string[] }> {
  const node = await connect({ hub: url, cluster, id, ...extra })
  cleanups.push(() => node.close())
  const errors: string[] = []
  node.on('error', (e) => errors.push(e.message))
  return Object.assign(node, { errors })
}

/** Frames an impostor sends as "bank": a hello, then a join, a cast and a sync. */
function impostorFrames(teller: number | undefined): string[] {
  return [
    JSON.stringify({ v: 2, t: 'hello', node: 'bank', inc: 1 }),
    JSON.stringify([
      { v: 2, t: 'join', name: 'bank-service', pid: ['bank', 1] },
      { v: 2, t: 'cast', to: teller, from: ['bank', 7], msg: { json: 'pay mallory' } },
      { v: 2, t: 'sync', names: [['bank-service', [1]]] },
    ]),
  ]
}

describe('a member that lies about who it is', { timeout: 60_000 }, () => {
  it('is cut off at its hello over the relay; the real member links at once', async () => {
    const h = await hub()
    const victim = await member(h.url, 'bank-c', 'victim')
    const casts: unknown[] = []
    victim.register('teller', victim.spawn({ handleCast: (m, ctx) => void casts.push([m, String(ctx.from)]) }))

    // mallory joins the hub as itself, then speaks to the victim over the relay as "bank"
    const signaling = createSocketIoSignaling({ hub: h.url, cluster: 'bank-c', id: 'mallory' })
    cleanups.push(() => signaling.close())
    await signaling.join()
    const router = new RelayRouter(signaling.relay as RelayTransport, { chunkBytes: 16384, maxMessageBytes: 1 << 20, windowBytes: 1 << 20, retransmitMs: 500 }, () => undefined, () => {})
    const channel = router.open('victim', victim.incarnation)
    let closed = false
    channel.onClose(() => (closed = true))
    channel.onMessage(() => {})
    for (const frame of impostorFrames(victim.allPidsOf('teller')[0]?.id)) channel.send(frame)
    await eventually(() => closed, 10_000, 'the victim closes the link')
    expect(victim.errors.some((e) => /introduced itself as bank on a link to mallory/.test(e))).toBe(true)
    expect(victim.nodes()).not.toContain('bank')
    expect(victim.allPidsOf('bank-service')).toEqual([])
    expect(casts).toEqual([])

    // the real bank is not blocked by the impostor
    const started = Date.now()
    const bank = await member(h.url, 'bank-c', 'bank', { meshTimeoutMs: 3000 })
    bank.register('bank-service', bank.spawn({ handleCall: () => 'real bank' }))
    await eventually(() => victim.allPidsOf('bank-service').length === 1, 10_000, 'the real bank linked')
    expect(Date.now() - started).toBeLessThan(8000)
    expect(await victim.call('bank-service', 'balance?')).toBe('real bank')
  })
})

describe('a member that lies over a direct path', { timeout: 60_000 }, () => {
  it('is never read: its link is not up until its hello and sync come on the relay, which never happens', async () => {
    const h = await hub()
    const victim = await member(h.url, 'bank-d', 'victim')
    const casts: unknown[] = []
    victim.register('teller', victim.spawn({ handleCast: (m) => void casts.push(m) }))
    const signaling = createSocketIoSignaling({ hub: h.url, cluster: 'bank-d', id: 'mallory' })
    cleanups.push(() => signaling.close())
    await signaling.join()
    const peer = createNodePeer({ initiator: true })
    cleanups.push(() => peer.destroy())
    peer.on('error', () => {})
    signaling.onSignal((from, _inc, data) => from === 'victim' && peer.signal(data))
    peer.on('signal', (data) => signaling.sendSignal('victim', victim.incarnation, data))
    await new Promise<void>((resolve) => peer.on('connect', resolve))
    const channel = channelFromPeer(peer)
    channel.onMessage(() => {})
    for (const frame of impostorFrames(victim.allPidsOf('teller')[0]?.id)) channel.send(frame)
    await new Promise((r) => setTimeout(r, 500))
    expect(victim.nodes()).toEqual([])
    expect(victim.allPidsOf('bank-service')).toEqual([])
    expect(casts).toEqual([])
  })
})

describe('members that never answer', { timeout: 60_000 }, () => {
  it('a node offers to a bounded number of them at once', async () => {
    const h = await hub()
    const offers: Array<{ to: string; at: number }> = []
    const sockets: Socket[] = []
    cleanups.push(() => sockets.forEach((s) => s.disconnect()))
    for (let i = 0; i < 200; i++) {
      const id = `z${String(i).padStart(3, '0')}` // larger than 'a': the node offers to all of them
      const socket = connectRaw(h.url, { transports: ['websocket'], forceNew: true, reconnection: false })
      sockets.push(socket)
      socket.on('signal', (notice: { data?: { type?: string } }) => {
        if (notice.data?.type === 'ask') offers.push({ to: id, at: Date.now() })
      })
      await socket.timeout(5000).emitWithAck('join', { v: 2, cluster: 'silent', id, key: `key-${id}-0123456789`, inc: 1 })
    }
    const started = Date.now()
    // no budget: with one (default 32), 200 members would get no offer until a pair talks
    await member(h.url, 'silent', 'a', { meshTimeoutMs: 500, directTimeoutMs: 1000, maxPendingLinks: 8, maxDirectLinks: Infinity })
    await new Promise((r) => setTimeout(r, 2500))
    const window = offers.filter((o) => o.at - started < 900) // within one link timeout
    expect(window.length).toBeGreaterThan(0)
    expect(window.length).toBeLessThanOrEqual(8)
    expect(new Set(offers.map((o) => o.to)).size).toBeLessThan(40)
  })
})

describe('a member that stops reading', { timeout: 90_000 }, () => {
  let child: ChildPeer | undefined
  afterEach(async () => {
    if (child === undefined) return
    child.process.kill('SIGCONT')
    await stopChildPeer(child)
    child = undefined
  })

  it('casts to it fail with OverloadedError once maxSendBufferBytes is unsent; what went through arrives in order', async () => {
    const h = await hub()
    child = await startChildPeer(h.url, 'stalled', 'frozen', 60_000)
    const me = await member(h.url, 'stalled', 'sender', { maxSendBufferBytes: 4 * 1024 * 1024, heartbeatTimeoutMs: 60_000, heartbeatIntervalMs: 1000 })
    await eventually(() => me.allPidsOf('sink:frozen').length === 1, 10_000, 'the child linked')
    const sink = me.allPidsOf('sink:frozen')[0]
    child.process.kill('SIGSTOP')
    const pad = 'x'.repeat(200)
    let sent = 0
    let refused: unknown
    const heapBefore = process.memoryUsage().heapUsed
    for (; sent < 1_000_000; sent++) {
      try {
        me.cast('echo:frozen', pad) // bulk that keeps the backlog growing (echo ignores casts)
        me.cast(sink as NonNullable<typeof sink>, sent)
      } catch (error) {
        refused = error
        break
      }
      if (sent % 500 === 499) await new Promise((r) => setImmediate(r))
    }
    expect(refused).toBeInstanceOf(OverloadedError)
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024)
    child.process.kill('SIGCONT')
    // the stalled casts drain; everything sent before the refusal arrives, in order
    await eventually(() => {
      try {
        me.cast(sink as NonNullable<typeof sink>, sent)
        return true
      } catch {
        return false
      }
    }, 30_000, 'room again')
    const state = await me.call<{ count: number; inOrder: boolean }>(sink as NonNullable<typeof sink>, 'state', 30_000)
    expect(state).toEqual({ count: sent + 1, inOrder: true })
  })
})
