/**
 * `Channel.used`: the link tells its channel of each application message it sends or
 * receives (calls, casts, replies, rpc), and of nothing else: not its handshake, the
 * registry sync or heartbeats. The mesh's direct-link budget reads it to tell busy pairs
 * from idle ones.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type Channel, createMemoryChannelPair, createNode, type DistNode } from '../../../src/core/index.js'
import { eventually } from '../../support/eventually.js'

const open: DistNode[] = []
afterEach(async () => {
  for (const node of open.splice(0)) await node.close()
})

/** `channel` with a `used` that counts. */
function counted(channel: Channel): Channel & { uses: number } {
  const wrapped: Channel & { uses: number } = {
    uses: 0,
    send: (message) => channel.send(message),
    onMessage: (handler) => channel.onMessage(handler),
    onClose: (handler) => channel.onClose(handler),
    close: () => channel.close(),
    used: () => void wrapped.uses++,
  }
  return wrapped
}

describe('Channel.used', () => {
  it('is called for calls, casts, replies and rpc, and not for the handshake, registry or heartbeats', async () => {
    const a = createNode({ id: 'a', heartbeatIntervalMs: 20, heartbeatTimeoutMs: 1000 })
    const b = createNode({ id: 'b', heartbeatIntervalMs: 20, heartbeatTimeoutMs: 1000 })
    open.push(a, b)
    const casts: unknown[] = []
    b.register('echo', b.spawn({ handleCall: (message) => message, handleCast: (message) => void casts.push(message) }))
    const [x, y] = createMemoryChannelPair()
    const [cx, cy] = [counted(x), counted(y)]
    await Promise.all([a.link(cx), b.link(cy)])
    await eventually(() => a.allPidsOf('echo').length === 1)
    a.register('more', a.spawn({ handleCall: () => 'ok' }))
    await eventually(() => b.allPidsOf('more').length === 1)
    await new Promise((resolve) => setTimeout(resolve, 100)) // a few heartbeats each way
    expect([cx.uses, cy.uses]).toEqual([0, 0])

    expect(await a.call('echo', 'hi')).toBe('hi') // the call out, its reply in
    expect([cx.uses, cy.uses]).toEqual([2, 2])
    a.cast('echo', 'one way')
    await eventually(() => casts.length === 1)
    expect([cx.uses, cy.uses]).toEqual([3, 3])
    b.expose('Clock', { now: () => 42 })
    expect(await a.doNodeRpc('b', 'Clock', 'now', [])).toBe(42) // the rpc out, its result (and the done it may send) in
    expect(cx.uses).toBeGreaterThanOrEqual(5)
    await eventually(() => cy.uses === cx.uses) // each frame counted once on each side
  })
})
