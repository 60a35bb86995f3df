/**
 * The registry exchange (src/core/node/registry-sync.ts) as its header describes it, from
 * a hostile end that speaks the frames by hand: what a node sends, and what it checks in
 * what it receives.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { DistNode } from '../../../src/core/index.js'
import { eventually } from '../../support/eventually.js'
import { HOSTILE_INCARNATION, hostilePeer } from '../../support/hostile-peer.js'

const open: DistNode[] = []
afterEach(async () => {
  for (const node of open.splice(0)) await node.close()
})

describe('the registry exchange', () => {
  it('sends its own memberships in sync after the hello, then each join and leave', async () => {
    const peer = await hostilePeer()
    open.push(peer.node)
    const a = peer.node.spawn({})
    peer.node.register('g', a)
    peer.node.register('g', a)
    peer.send({ v: 2, t: 'hello', node: 'mallory', inc: HOSTILE_INCARNATION })
    await eventually(() => peer.received.some((f) => f['t'] === 'sync'), 3000, 'the sync')
    expect(peer.received.find((f) => f['t'] === 'sync')).toEqual({ v: 2, t: 'sync', names: [['g', [a.id, a.id]]] })
    const b = peer.node.spawn({})
    peer.node.register('h', b)
    peer.node.unregister('g', a)
    await eventually(() => peer.received.some((f) => f['t'] === 'leave'), 3000, 'the leave')
    expect(peer.received.filter((f) => f['t'] === 'join' || f['t'] === 'leave')).toEqual([
      { v: 2, t: 'join', name: 'h', pid: ['victim', b.id] },
      { v: 2, t: 'leave', name: 'g', pid: ['victim', a.id] },
    ])
  })

  it('a sync before the hello and a second sync are dropped with an error', async () => {
    const peer = await hostilePeer()
    open.push(peer.node)
    peer.send({ v: 2, t: 'sync', names: [['early', [1]]] })
    peer.send({ v: 2, t: 'hello', node: 'mallory', inc: HOSTILE_INCARNATION })
    peer.send({ v: 2, t: 'sync', names: [['g', [1]]] })
    expect(await peer.linked).toBe('mallory')
    peer.send({ v: 2, t: 'sync', names: [['late', [2]]] })
    await eventually(() => peer.errors.some((e) => e.includes('second sync frame')), 3000, 'the second sync refused')
    expect(peer.errors.some((e) => e.includes('sync frame before the handshake'))).toBe(true)
    expect(peer.node.registry().map(([name, pids]) => [name, pids.map(String)])).toEqual([['g', ['<mallory.1.1>']]])
  })

  it('a join or leave of another node’s pid is dropped; a leave not joined is reported; a refused name’s leave is quiet', async () => {
    const peer = await hostilePeer({ as: 'mallory', acceptRegistration: (name) => name !== 'admin' })
    open.push(peer.node)
    peer.send({ v: 2, t: 'join', name: 'g', pid: ['victim', 1] })
    peer.send({ v: 2, t: 'join', name: 'admin', pid: ['mallory', 1] })
    peer.send({ v: 2, t: 'leave', name: 'admin', pid: ['mallory', 1] })
    peer.send({ v: 2, t: 'leave', name: 'never', pid: ['mallory', 1] })
    peer.send({ v: 2, t: 'join', name: 'ok', pid: ['mallory', 2] })
    await eventually(() => peer.node.allPidsOf('ok').length === 1, 3000, 'the last join')
    expect(peer.node.allPidsOf('g')).toEqual([])
    expect(peer.node.allPidsOf('admin')).toEqual([])
    expect(peer.errors).toEqual([
      'from node mallory: claims pid <victim.1> of another node',
      'from node mallory: registration of "admin" refused by acceptRegistration',
      'from node mallory: leave of <mallory.1.1> from "never", which it had not joined',
    ])
  })

  it('a join past maxNamesPerLink closes the link with system_limit, and that node’s pids leave', async () => {
    const peer = await hostilePeer({ maxNamesPerLink: 3 })
    open.push(peer.node)
    const downs: string[] = []
    peer.node.on('nodedown', (node, reason) => downs.push(`${node} ${reason}`))
    peer.send({ v: 2, t: 'hello', node: 'mallory', inc: HOSTILE_INCARNATION })
    peer.send({ v: 2, t: 'sync', names: [['g', [1, 2]]] })
    await peer.linked
    peer.send({ v: 2, t: 'join', name: 'g', pid: ['mallory', 3] })
    peer.send({ v: 2, t: 'join', name: 'g', pid: ['mallory', 4] })
    await eventually(() => downs.length === 1, 3000, 'the link closed')
    expect(downs).toEqual(['mallory system_limit'])
    expect(peer.node.registry()).toEqual([])
  })
})
