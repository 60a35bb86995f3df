/**
 * A member that joined the hub but does not answer (a frozen tab, a stopped process, a
 * hostile client) must not hold up everyone who joins after it: `connect()` resolves once
 * the members that answer are linked, and links the silent one later if it ever answers.
 */
import { io as connectRaw } from 'socket.io-client'
import { afterEach, describe, expect, it } from 'vitest'
import { connect, createHub, type DistNode, type Hub } from '../../src/server/index.js'
import { type ChildPeer, startChildPeer, stopChildPeer } from '../support/child-peers.js'
import { eventually } from '../support/eventually.js'

const open: Array<{ close(): Promise<void> }> = []
const children: ChildPeer[] = []
const sockets: Array<{ disconnect(): unknown }> = []

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect()
  for (const child of children) if (child.process.signalCode === null) child.process.kill('SIGCONT')
  await Promise.all(children.splice(0).map(stopChildPeer))
  for (const item of open.splice(0).reverse()) await item.close()
})

const quiet = { info() {}, warn() {}, error() {} }

async function member(hub: Hub, cluster: string, id: string): Promise<DistNode> {
  const node = await connect({ hub: hub.url, cluster, id })
  open.push(node)
  return node
}

/** Joins `cluster` as `id` with a bare Socket.IO client that never answers anything. */
async function ghost(hub: Hub, cluster: string, id: string): Promise<void> {
  const socket = connectRaw(hub.url, { transports: ['websocket'], forceNew: true, reconnection: false })
  sockets.push(socket)
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('connect_error', reject)
  })
  const reply: unknown = await socket.timeout(3000).emitWithAck('join', { v: 2, cluster, id, key: 'ghost-key-0123456789', inc: 7 })
  expect(reply).toMatchObject({ ok: true })
}

describe('a member that never answers', { timeout: 60_000 }, () => {
  it('does not hold up a newcomer: connect() resolves with the members that answer, in well under the mesh timeout', async () => {
    const hub = await createHub({ port: 0, logger: quiet })
    open.push(hub)
    const worker = await member(hub, 'haunted', 'worker')
    worker.register('svc', worker.spawn({ handleCall: () => 'served' }))
    await ghost(hub, 'haunted', 'ghost')
    const started = performance.now()
    const newcomer = await member(hub, 'haunted', 'newcomer')
    const took = performance.now() - started
    expect(took).toBeLessThan(1500) // the mesh timeout is 10 s; a silent member is given up after 1 s
    expect(newcomer.nodes()).toEqual(['worker'])
    expect(newcomer.allPidsOf('svc')).toHaveLength(1)
    expect(await newcomer.call('svc', 'hi')).toBe('served')
  })

  it('links a frozen process once it answers again (SIGSTOP, then SIGCONT)', async () => {
    const hub = await createHub({ port: 0, logger: quiet })
    open.push(hub)
    const frozen = await startChildPeer(hub.url, 'thaw', 'frozen')
    children.push(frozen)
    frozen.process.kill('SIGSTOP')
    const started = performance.now()
    const newcomer = await member(hub, 'thaw', 'newcomer')
    expect(performance.now() - started).toBeLessThan(1500)
    expect(newcomer.nodes()).toEqual([])
    frozen.process.kill('SIGCONT')
    await eventually(() => newcomer.allPidsOf('echo:frozen').length === 1, 10_000, 'the thawed member linked')
    expect(await newcomer.call('echo:frozen', 'back')).toBe('back')
  })
})
