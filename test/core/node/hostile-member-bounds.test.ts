/**
 * What one member can make another hold: packets held ahead of a relay gap, memberships
 * in the registry replica, messages waiting in a process's mailbox. Each has a bound; past
 * it the member's traffic is refused or its link closed, the victim's heap grows by less
 * than 20 MiB, and its other links keep working.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryChannelPair, createNode, type DistNode, OverloadedError } from '../../../src/core/index.js'
import { RelayChannel } from '../../../src/core/mesh/relay-channel.js'
import { eventually } from '../../support/eventually.js'
import { HOSTILE_INCARNATION, hostilePeer } from '../../support/hostile-peer.js'

setFlagsFromString('--expose_gc')
const gc = runInNewContext('gc') as () => void
/** The heap in use after collecting garbage. */
function heapUsed(): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}
const MiB = 1024 * 1024

const open: DistNode[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close()))
})

/** `victim` linked to an honest node that serves `echo`; resolves once the link is up. */
async function honestLink(victim: DistNode): Promise<DistNode> {
  const honest = createNode({ id: 'honest' })
  open.push(honest)
  honest.register('echo', honest.spawn({ handleCall: (msg) => msg }))
  const [x, y] = createMemoryChannelPair()
  await Promise.all([victim.link(x), honest.link(y)])
  await eventually(() => victim.allPidsOf('echo').length === 1)
  return honest
}

describe('bounds on what a member can make another hold', { timeout: 60_000 }, () => {
  it('a million tiny relay packets ahead of a gap: held within relayWindowBytes, each weighing at least 64 bytes', () => {
    const sent: unknown[] = []
    const channel = new RelayChannel('mallory', 7, 1, { send: (_, packet) => void (packet === undefined || sent.push(packet)) }, { chunkBytes: 16 * 1024, maxMessageBytes: 1 << 20, windowBytes: 1 << 20, retransmitMs: 1000 }, () => {})
    const got: unknown[] = []
    channel.onMessage((m) => got.push(m))
    const before = heapUsed()
    // seq 1 never comes: everything after it is "ahead of a gap"
    for (let seq = 2; seq < 1_000_002; seq++) channel.receive({ from: 'mallory', fromInc: 7, toInc: 1, epoch: 1, seq, ack: 0, data: 'x' })
    const grew = heapUsed() - before
    expect(grew).toBeLessThan(20 * MiB)
    // what was held is at most a window's worth: 1 MiB / (3 + 64) bytes a packet
    channel.receive({ from: 'mallory', fromInc: 7, toInc: 1, epoch: 1, seq: 1, ack: 0, data: 'y' })
    expect(got.length).toBeGreaterThan(1)
    expect(got.length).toBeLessThanOrEqual(1 + Math.floor((1 << 20) / 67))
    channel.fail(new Error('done'))
  })

  it('200,000 joins from one linked node: its link closes with system_limit at maxNamesPerLink; the heap stays bounded; other links work', async () => {
    const peer = await hostilePeer({ as: 'mallory' })
    open.push(peer.node)
    await honestLink(peer.node)
    const downs: string[] = []
    peer.node.on('nodedown', (id, reason) => void downs.push(`${id} ${reason}`))
    const before = heapUsed()
    for (let batch = 0; batch < 200; batch++) {
      const frames = Array.from({ length: 1000 }, (_, i) => ({ v: 2, t: 'join', name: `n${batch * 1000 + i}`, pid: ['mallory', 1] }))
      peer.raw.send(JSON.stringify(frames))
    }
    await eventually(() => downs.length === 1, 10_000, 'the link closed')
    await new Promise((r) => setTimeout(r, 100))
    expect(downs).toEqual(['mallory system_limit'])
    expect(heapUsed() - before).toBeLessThan(20 * MiB)
    expect(peer.node.registry().filter(([name]) => name.startsWith('n'))).toEqual([])
    expect(await peer.node.call('echo', 'still here')).toBe('still here')
  })

  it('a sync over maxNamesPerLink is refused at the handshake', async () => {
    const peer = await hostilePeer({ maxNamesPerLink: 10 })
    open.push(peer.node)
    peer.send({ v: 2, t: 'hello', node: 'mallory', inc: HOSTILE_INCARNATION })
    peer.send({ v: 2, t: 'sync', names: [['flood', Array.from({ length: 11 }, (_, i) => i + 1)]] })
    await expect(peer.linked).rejects.toThrow(/maxNamesPerLink/)
    expect(peer.node.allPidsOf('flood')).toEqual([])
  })

  it('100,000 calls at a busy process: past maxMailbox each is answered overloaded at once; the heap stays bounded; other links work', async () => {
    const peer = await hostilePeer({ as: 'mallory' })
    open.push(peer.node)
    await honestLink(peer.node)
    const busy = peer.node.spawn({ handleCall: () => new Promise(() => {}) }) // never done with its first call
    const before = heapUsed()
    for (let batch = 0; batch < 100; batch++) {
      const frames = Array.from({ length: 1000 }, (_, i) => ({ v: 2, t: 'call', ref: batch * 1000 + i + 1, to: busy.id, msg: { json: 'move' } }))
      peer.raw.send(JSON.stringify(frames))
    }
    await eventually(() => peer.received.filter((f) => f['t'] === 'reply').length >= 90_000, 20_000, 'the overloaded replies')
    const replies = peer.received.filter((f) => f['t'] === 'reply')
    expect(replies.every((f) => (f['error'] as { code?: string } | undefined)?.code === 'overloaded')).toBe(true)
    // 10,000 waiting (and the one being handled, if the process took it before the flood was all in)
    expect(replies.length).toBeGreaterThanOrEqual(100_000 - 10_000 - 1)
    expect(replies.length).toBeLessThanOrEqual(100_000 - 10_000)
    peer.received.length = 0 // the test's own record of the replies is not the victim's memory
    replies.length = 0
    expect(heapUsed() - before).toBeLessThan(20 * MiB)
    expect(await peer.node.call('echo', 'still here')).toBe('still here')
  })

  it('locally too: a call past maxMailbox rejects OverloadedError, a cast past it is dropped and told once; spawn can set its own bound', async () => {
    const node = createNode({ id: 'local' })
    open.push(node)
    const errors: string[] = []
    node.on('error', (error: Error) => void errors.push(error.message))
    const busy = node.spawn({ handleCall: () => new Promise(() => {}), handleCast: () => new Promise<void>(() => {}) }, { maxMailbox: 3 })
    const outcomes: string[] = []
    const call = (): Promise<unknown> => node.call(busy, 'x', Infinity).catch((error: Error) => void outcomes.push(error.name))
    void call()
    await new Promise((r) => setTimeout(r, 0)) // the process takes it, and never finishes
    for (let i = 0; i < 3; i++) void call()
    await expect(node.call(busy, 'one too many')).rejects.toBeInstanceOf(OverloadedError)
    expect(outcomes).toEqual([])
    for (let i = 0; i < 10; i++) node.cast(busy, 'cast')
    await eventually(() => errors.length === 1)
    expect(errors[0]).toMatch(/dropped .*maxMailbox/)
    expect(() => node.spawn({}, { maxMailbox: 0 })).toThrow(/maxMailbox/)
  })
})
