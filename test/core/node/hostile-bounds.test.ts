/**
 * A member that means harm, over a memory channel: it may not speak for another node,
 * and nothing it sends may cost super-linear work or unbounded memory on its victim.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type Channel, createMemoryChannelPair, createNode, type DistNode, OverloadedError, Pid } from '../../../src/core/index.js'
import { eventually } from '../../support/eventually.js'
import { hostilePeer, timed } from '../../support/hostile-peer.js'

const open: DistNode[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close()))
})

async function victim(options: Parameters<typeof hostilePeer>[0] = {}): Promise<Awaited<ReturnType<typeof hostilePeer>>> {
  const h = await hostilePeer(options)
  open.push(h.node)
  return h
}

describe('impersonation', () => {
  it('a hello with another id than the one vouched for closes the link before anything else is read', async () => {
    const h = await victim({ expect: 'mallory' })
    let closed = false
    h.raw.onClose(() => (closed = true))
    const target = h.node.spawn({ handleCast: () => void h.errors.push('cast delivered') })
    h.send({ v: 2, t: 'hello', node: 'bank', inc: 1 })
    h.send({ v: 2, t: 'sync', names: [['bank-service', [1]]] })
    h.send({ v: 2, t: 'cast', to: target.id, from: ['bank', 7], msg: { json: 'pay' } })
    await expect(h.linked).rejects.toMatchObject({ code: 'protocol' })
    await eventually(() => closed, 2000, 'the channel closed')
    expect(h.node.nodes()).toEqual([])
    expect(h.node.registry()).toEqual([])
    expect(h.errors).not.toContain('cast delivered')
    expect(h.errors.some((e) => /introduced itself as bank on a link to mallory/.test(e))).toBe(true)
    expect(h.received.some((f) => f.t === 'bye' && f.reason === 'unexpected node id')).toBe(true)
  })

  it('until its registry is in, a peer is not listed and none of its frames but the handshake is acted on', async () => {
    const h = await victim()
    const casts: unknown[] = []
    const target = h.node.spawn({ handleCall: (m) => m, handleCast: (m) => void casts.push(m) })
    h.send({ v: 2, t: 'hello', node: 'bank', inc: 1 })
    h.send({ v: 2, t: 'join', name: 'bank-service', pid: ['bank', 1] })
    h.send({ v: 2, t: 'cast', to: target.id, from: ['bank', 7], msg: { json: 'pay' } })
    h.send({ v: 2, t: 'call', ref: 1, to: target.id, msg: { json: 'q' } })
    h.send({ v: 2, t: 'mon', ref: 2, pid: target.id })
    h.send({ v: 2, t: 'rpc', ref: 3, mod: 'M', fn: 'f', args: { json: [] } })
    await eventually(() => h.errors.length === 5, 2000, 'five refused frames')
    expect(h.node.nodes()).toEqual([])
    expect(h.node.allPidsOf('bank-service')).toEqual([])
    expect(casts).toEqual([])
    expect(h.received.filter((f) => f.t !== 'hello' && f.t !== 'sync' && f.t !== 'ping')).toEqual([])
    expect(h.errors.every((e) => /frame before the handshake/.test(e))).toBe(true)
    // the handshake completes: from now on the same frames count
    h.send({ v: 2, t: 'sync', names: [] })
    await h.linked
    h.send({ v: 2, t: 'cast', to: target.id, from: ['bank', 7], msg: { json: 'pay' } })
    await eventually(() => casts.length === 1)
    expect(h.node.nodes()).toEqual(['bank'])
  })
})

describe('bounded work and memory', () => {
  it('joins and leaves cost linear time, a leave of a pid that never joined included', async () => {
    const run = async (n: number): Promise<number> => {
      // (maxNamesPerLink would close this link at 10,000 joins: test/core/node/hostile-member-bounds.test.ts)
      const h = await victim({ as: 'evil', maxNamesPerLink: Infinity })
      const joins = Array.from({ length: n }, () => ({ v: 2, t: 'join', name: 'crowd', pid: ['evil', 1] }))
      const leaves = Array.from({ length: n }, () => ({ v: 2, t: 'leave', name: 'crowd', pid: ['evil', 2] }))
      const ms = await timed(async () => {
        h.send(joins)
        h.send(leaves)
        await eventually(() => h.errors.length === n, 60_000, `${n} refused leaves`)
      })
      expect(h.node.allPidsOf('crowd')).toHaveLength(n)
      await h.node.close()
      return ms
    }
    await run(2000) // warm-up
    const small = await run(10_000)
    const large = await run(40_000)
    // 4× the frames: linear work takes about 4× as long, a scan per leave 16×
    expect(large / small).toBeLessThan(9)
  }, 120_000)

  it('a long batch held behind a frame with attachments neither overflows the stack nor costs more than linear time', async () => {
    const h = await victim({ as: 'evil' })
    const casts: unknown[] = []
    const target = h.node.spawn({ handleCast: (m) => void casts.push(m) })
    const batch: unknown[] = [{ v: 2, t: 'cast', to: target.id, msg: { json: 0, meta: { values: [['custom', 'bin']] }, b: 1 } }]
    for (let i = 0; i < 150_000; i++) batch.push({ v: 2, t: 'ping' })
    batch.push({ v: 2, t: 'cast', to: target.id, msg: { json: 'after' } })
    h.send(batch)
    h.raw.send(new Uint8Array([1, 2, 3]))
    await eventually(() => casts.length === 2, 10_000, 'both casts')
    expect(casts[0]).toEqual(new Uint8Array([1, 2, 3]))
    expect(casts[1]).toBe('after')
    expect(h.node.nodes()).toEqual(['evil'])
  })

  it('monitors one peer holds are capped; the rest are answered down with system_limit', async () => {
    const h = await victim({ as: 'evil', maxMonitorsPerLink: 1000 })
    const target = h.node.spawn({})
    h.send(Array.from({ length: 20_000 }, (_, i) => ({ v: 2, t: 'mon', ref: i, pid: target.id })))
    await eventually(() => h.received.filter((f) => f.t === 'down').length === 19_000, 10_000, 'refused monitors')
    expect(h.received.filter((f) => f.t === 'down').every((f) => f.reason === 'system_limit')).toBe(true)
    expect(h.errors.some((e) => /maxMonitorsPerLink/.test(e))).toBe(true)
    h.node.stop(target, 'bye')
    await eventually(() => h.received.filter((f) => f.t === 'down' && f.reason === 'bye').length === 1000, 5000, 'the held monitors fire')
  })

  it('rpc processes whose rpc-done never comes time out, and one peer may run only so many at once', async () => {
    const h = await victim({ as: 'evil', maxRpcsPerLink: 100, rpcDoneTimeoutMs: 300 })
    h.node.expose('M', { f: () => 'ok' })
    h.send(Array.from({ length: 150 }, (_, i) => ({ v: 2, t: 'rpc', ref: i, mod: 'M', fn: 'f', args: { json: [] } })))
    await eventually(() => h.received.filter((f) => f.t === 'rpc-ok' || f.t === 'rpc-err').length === 150, 5000, 'every rpc answered')
    const oks = h.received.filter((f) => f.t === 'rpc-ok')
    const refused = h.received.filter((f) => f.t === 'rpc-err')
    expect(oks).toHaveLength(100)
    expect(refused.every((f) => (f.error as { reason?: string }).reason === 'system_limit')).toBe(true)
    const pids = oks.map((f) => new Pid('victim', f.pid as number, h.node.incarnation))
    expect(pids.every((pid) => h.node.isAlive(pid))).toBe(true)
    await eventually(() => pids.every((pid) => !h.node.isAlive(pid)), 5000, 'the rpc processes end')
    // room again for new rpcs
    h.send({ v: 2, t: 'rpc', ref: 1000, mod: 'M', fn: 'f', args: { json: [] } })
    await eventually(() => h.received.some((f) => f.t === 'rpc-ok' && f.ref === 1000))
  })

  it('a message for a process that is not alive is dropped (or answered noproc) without being decoded', async () => {
    const h = await victim({ as: 'evil' })
    const undecodable = { json: 5, meta: { values: [['custom', 'Pid']] } }
    h.send({ v: 2, t: 'cast', to: 999, msg: undecodable })
    h.send({ v: 2, t: 'call', ref: 1, to: 999, msg: undecodable })
    await eventually(() => h.received.some((f) => f.t === 'reply'))
    expect(h.received.find((f) => f.t === 'reply')).toMatchObject({ ok: false, error: { code: 'noproc' } })
    expect(h.errors).toEqual([])
  })
})

/** A channel whose far end never reads: what is sent stays buffered, as on a stalled data channel. */
function stalledChannel(): { channel: Channel; deliver(frame: string): void; drain(): void; buffered(): number } {
  let handler: ((frame: string | Uint8Array) => void) | undefined
  let held: Array<string | Uint8Array> = []
  let bytes = 0
  const channel: Channel = {
    send(frame) {
      held.push(frame)
      bytes += typeof frame === 'string' ? frame.length : frame.byteLength
    },
    onMessage(h) {
      handler = h
    },
    onClose() {},
    close() {},
    get bufferedAmount() {
      return bytes
    },
  }
  return {
    channel,
    deliver: (frame) => setTimeout(() => handler?.(frame), 0),
    drain: () => {
      held = []
      bytes = 0
    },
    buffered: () => bytes,
  }
}

describe('a peer that never reads', () => {
  it('bounds the send backlog: calls and casts fail with OverloadedError, answers are dropped, and it recovers once drained', async () => {
    const node = createNode({ id: 'sender', maxSendBufferBytes: 1024 * 1024 })
    open.push(node)
    const errors: string[] = []
    node.on('error', (e) => errors.push(e.message))
    const stalled = stalledChannel()
    const linked = node.link(stalled.channel)
    stalled.deliver(JSON.stringify({ v: 2, t: 'hello', node: 'sink', inc: 1 }))
    stalled.deliver(JSON.stringify({ v: 2, t: 'sync', names: [] }))
    await linked
    const far = new Pid('sink', 1, 1)
    let refused: unknown
    let sent = 0
    for (; sent < 500_000; sent++) {
      try {
        node.cast(far, { n: sent, pad: 'x'.repeat(100) })
      } catch (error) {
        refused = error
        break
      }
      if (sent % 1000 === 999) await new Promise((r) => setTimeout(r, 0)) // let batches flush
    }
    expect(refused).toBeInstanceOf(OverloadedError)
    expect(refused).toMatchObject({ code: 'overloaded', node: 'sink' })
    expect(stalled.buffered()).toBeLessThan(1.5 * 1024 * 1024)
    await expect(node.call(far, 'q')).rejects.toBeInstanceOf(OverloadedError)
    // what the peer asks for while it does not read is not answered either
    const echo = node.spawn({ handleCall: (m) => m })
    stalled.deliver(JSON.stringify({ v: 2, t: 'call', ref: 1, to: echo.id, msg: { json: 'q' } }))
    await eventually(() => errors.some((e) => /dropped a reply frame/.test(e)))
    stalled.drain()
    node.cast(far, 'again') // room again
    expect(node.nodes()).toEqual(['sink'])
  })
})

describe('memory channel', () => {
  it('a throwing message handler does not escape the channel', async () => {
    const [a, b] = createMemoryChannelPair()
    const seen: string[] = []
    b.onMessage((f) => {
      seen.push(String(f))
      if (f === 'boom') throw new Error('handler failed')
    })
    a.send('boom')
    a.send('next')
    await eventually(() => seen.length === 2)
    expect(seen).toEqual(['boom', 'next'])
  })
})
