// Several hub instances sharing one cluster view through a real Redis server (the
// Debian package's /usr/bin/redis-server, started on a free port in a temp dir).
// A missing redis-server fails this suite: it is a required part of the test machine.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Socket as RawSocket } from 'socket.io-client'
import { createSocketIoSignaling, type SocketIoSignalingOptions } from '../../../src/server/index.js'
import type { JoinResult, MemberInfo } from '../../../src/core/hub/signaling.js'
import type { Hub, HubOptions } from '../../../src/server/hub/hub.js'
import { rawSocket as rawClient, startTestHub, type TestHub } from '../../support/test-hub.js'
import { startRedisServer, type RedisServer } from '../../support/redis-server.js'
import { eventually } from '../../support/eventually.js'

let redisServer: RedisServer | undefined

function redis(): RedisServer {
  if (redisServer === undefined) throw new Error('redis-server did not start')
  return redisServer
}
const startRedis = (): Promise<void> => redis().start()
const killRedis = (): Promise<void> => redis().kill()

beforeAll(async () => {
  redisServer = await startRedisServer()
})

afterAll(async () => {
  await redisServer?.dispose()
})

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})


async function startHubs(count: number, options: HubOptions = {}): Promise<TestHub[]> {
  const hubs: TestHub[] = []
  for (let i = 0; i < count; i++) hubs.push(await startTestHub(cleanups, { redisUrl: redis().url, ...options }))
  return hubs
}

interface TestNode {
  signaling: ReturnType<typeof createSocketIoSignaling>
  joins: string[]
  members: MemberInfo[]
  leaves: string[]
  signals: Array<{ from: string; data: unknown }>
  rejoins: JoinResult[]
}

function makeNode(hub: string | string[], cluster: string, id: string, extra: Partial<SocketIoSignalingOptions> = {}): TestNode {
  const signaling = createSocketIoSignaling({ hub, cluster, id, joinTimeoutMs: 4000, retryDelayMs: 50, maxRetryDelayMs: 300, incarnation: 1, ...extra })
  const node: TestNode = { signaling, joins: [], members: [], leaves: [], signals: [], rejoins: [] }
  signaling.onMemberJoin((m) => (node.joins.push(m.id), node.members.push(m)))
  signaling.onMemberLeave((id) => node.leaves.push(id))
  signaling.onSignal((from, _inc, data) => node.signals.push({ from, data }))
  let first = true
  signaling.onJoined((r) => (first ? (first = false) : node.rejoins.push(r)))
  cleanups.push(() => signaling.close())
  return node
}

const rawSocket = (hub: Hub): Promise<RawSocket> => rawClient(hub, cleanups)

function pick<T>(list: readonly T[], index: number): T {
  const item = list[index]
  if (item === undefined) throw new Error(`no item ${index}`)
  return item
}

const sorted = (ids: readonly string[]): string[] => [...ids].sort()
const names = (result: JoinResult): string[] => result.members.map((m) => m.id)

describe('hubs sharing Redis', () => {
  it('the claims admission stamped on a member reach the members of every hub, in join replies and member-joins', async () => {
    const [h1, h2] = await startHubs(2, { authorize: ({ id }) => ({ claims: { user: `u-${id}` } }) })
    if (h1 === undefined || h2 === undefined) throw new Error('hubs')
    const a = makeNode(h1.url, 'claims', 'a')
    await a.signaling.join()
    const b = makeNode(h2.url, 'claims', 'b')
    const joined = await b.signaling.join()
    expect(joined.claims).toEqual({ user: 'u-b' })
    expect(joined.members).toEqual([{ id: 'a', inc: 1, claims: { user: 'u-a' } }])
    await eventually(() => a.members.length === 1, 3000, 'the member-join through Redis')
    expect(a.members).toEqual([{ id: 'b', inc: 1, claims: { user: 'u-b' } }])
  })

  it('members on different hubs see each other and signal each other', async () => {
    const [h1, h2, h3] = await startHubs(3)
    if (h1 === undefined || h2 === undefined || h3 === undefined) throw new Error('hubs')
    const a = makeNode(h1.url, 'shared', 'a')
    expect(await a.signaling.join()).toEqual({ id: 'a', members: [] })
    const b = makeNode(h2.url, 'shared', 'b')
    expect(await b.signaling.join()).toEqual({ id: 'b', members: [{ id: 'a', inc: 1 }] })
    const c = makeNode(h3.url, 'shared', 'c')
    expect(sorted(names(await c.signaling.join()))).toEqual(['a', 'b'])
    const other = makeNode(h3.url, 'elsewhere', 'z')
    expect(await other.signaling.join()).toEqual({ id: 'z', members: [] })
    await eventually(() => a.joins.length === 2 && b.joins.length === 1, 5000, 'join notices across hubs')
    expect(a.joins).toEqual(['b', 'c'])

    b.signaling.sendSignal('a', 1, { type: 'offer', sdp: 'from b' })
    c.signaling.sendSignal('b', 1, { type: 'answer', sdp: 'from c' })
    for (let i = 0; i < 20; i++) a.signaling.sendSignal('c', 1, { seq: i })
    other.signaling.sendSignal('a', 1, { sdp: 'cross-cluster' })
    await eventually(() => a.signals.length === 1 && b.signals.length === 1 && c.signals.length === 20, 5000, 'signals across hubs')
    expect(a.signals).toEqual([{ from: 'b', data: { type: 'offer', sdp: 'from b' } }])
    expect(b.signals).toEqual([{ from: 'c', data: { type: 'answer', sdp: 'from c' } }])
    expect(c.signals.map((s) => s.data)).toEqual(Array.from({ length: 20 }, (_, i) => ({ seq: i })))

    c.signaling.close()
    await eventually(() => a.leaves.includes('c') && b.leaves.includes('c'), 5000, 'leave notices across hubs')
  })

  it('refuses a duplicate id across hubs and lets the same client move between hubs', async () => {
    const [h1, h2] = await startHubs(2)
    if (h1 === undefined || h2 === undefined) throw new Error('hubs')
    const first = makeNode(h1.url, 'dups', 'taken')
    await first.signaling.join()
    const second = makeNode(h2.url, 'dups', 'taken')
    await expect(second.signaling.join()).rejects.toMatchObject({ code: 'duplicate_id' })

    const watcher = makeNode(h2.url, 'dups', 'watcher')
    await watcher.signaling.join()
    const key = 'moving-client-key-0001'
    const stale = await rawSocket(h1)
    expect(await stale.timeout(3000).emitWithAck('join', { v: 2, inc: 1, cluster: 'dups', id: 'mover', key })).toMatchObject({ ok: true })
    const staleGone = new Promise((resolve) => stale.once('disconnect', resolve))
    const fresh = await rawSocket(h2)
    const intruder = await fresh.timeout(3000).emitWithAck('join', { v: 2, inc: 1, cluster: 'dups', id: 'mover', key: 'another-key-000000001' })
    expect(intruder).toMatchObject({ ok: false, code: 'duplicate_id' })
    const moved: unknown = await fresh.timeout(3000).emitWithAck('join', { v: 2, inc: 1, cluster: 'dups', id: 'mover', key })
    expect(moved).toMatchObject({ ok: true, id: 'mover' })
    await staleGone
    await new Promise((r) => setTimeout(r, 200))
    expect(watcher.leaves).toEqual([])
  })

  it('lets exactly one of many racing joins with the same id win across hubs', async () => {
    const hubs = await startHubs(3)
    const sockets = await Promise.all(Array.from({ length: 9 }, (_, i) => rawSocket(pick(hubs, i % 3))))
    const replies = await Promise.all(
      sockets.map((s, i) => s.timeout(3000).emitWithAck('join', { v: 2, inc: 1, cluster: 'race', id: 'contested', key: `racing-client-key-${i}` })),
    )
    expect(replies.filter((r: unknown) => Reflect.get(Object(r), 'ok') === true)).toHaveLength(1)
    expect(replies.filter((r: unknown) => Reflect.get(Object(r), 'code') === 'duplicate_id')).toHaveLength(8)
  })

  it('a client with several hub URLs moves on when its hub closes and rejoins with its id', async () => {
    const [h1, h2, h3] = await startHubs(3)
    if (h1 === undefined || h2 === undefined || h3 === undefined) throw new Error('hubs')
    const b = makeNode(h2.url, 'moving', 'b')
    await b.signaling.join()
    const c = makeNode(h3.url, 'moving', 'c')
    await c.signaling.join()
    const m = makeNode([h1.url, h2.url, h3.url], 'moving', 'm')
    expect(sorted(names(await m.signaling.join()))).toEqual(['b', 'c'])
    await h1.close()
    await eventually(() => m.rejoins.length === 1, 5000, 'the rejoin through another hub')
    expect(m.rejoins[0]?.id).toBe('m')
    expect(sorted(m.rejoins[0] === undefined ? [] : names(m.rejoins[0]))).toEqual(['b', 'c'])
    await eventually(() => b.leaves.includes('m') && b.joins.filter((id) => id === 'm').length === 2, 5000, 'b sees m leave and come back')
    b.signaling.sendSignal('m', 1, { after: 'move' })
    await eventually(() => m.signals.length === 1, 5000, 'a signal to the moved client')
    expect(m.signals[0]).toEqual({ from: 'b', data: { after: 'move' } })
  })

  it('survives Redis going away, serves local members meanwhile and recovers when it returns', async () => {
    const [h1, h2] = await startHubs(2)
    if (h1 === undefined || h2 === undefined) throw new Error('hubs')
    const a = makeNode(h1.url, 'outage', 'a')
    await a.signaling.join()
    const b = makeNode(h2.url, 'outage', 'b')
    expect(await b.signaling.join()).toEqual({ id: 'b', members: [{ id: 'a', inc: 1 }] })

    await killRedis()
    await eventually(() => h1.lines.some((l) => l.includes('unreachable')) && h2.lines.some((l) => l.includes('unreachable')), 5000, 'the outage logged')
    // Local service goes on: joins, member lists and signals among one hub's members.
    const c = makeNode(h1.url, 'outage', 'c')
    expect(await c.signaling.join()).toEqual({ id: 'c', members: [{ id: 'a', inc: 1 }] })
    c.signaling.sendSignal('a', 1, { during: 'outage' })
    await eventually(() => a.signals.length === 1, 5000, 'a local signal during the outage')
    expect(a.signals[0]).toEqual({ from: 'c', data: { during: 'outage' } })

    await startRedis()
    await eventually(() => h1.lines.some((l) => l.includes('reachable again')) && h2.lines.some((l) => l.includes('reachable again')), 5000, 'the recovery logged')
    // The member that joined during the outage is announced to the other hub's members.
    await eventually(() => b.joins.includes('c'), 5000, 'b learns c after the recovery')
    const d = makeNode(h2.url, 'outage', 'd')
    expect(sorted(names(await d.signaling.join()))).toEqual(['a', 'b', 'c'])
    d.signaling.sendSignal('c', 1, { after: 'recovery' })
    await eventually(() => c.signals.length === 1, 5000, 'a cross-hub signal after the recovery')
    expect(c.signals[0]).toEqual({ from: 'd', data: { after: 'recovery' } })
    const dup = makeNode(h1.url, 'outage', 'd')
    await expect(dup.signaling.join()).rejects.toMatchObject({ code: 'duplicate_id' })
  })

  it('closes a hub promptly while Redis is down', async () => {
    const [h1] = await startHubs(1)
    if (h1 === undefined) throw new Error('hubs')
    const a = makeNode(h1.url, 'closing', 'a')
    await a.signaling.join()
    await killRedis()
    try {
      const started = Date.now()
      await h1.close()
      expect(Date.now() - started).toBeLessThan(3000)
    } finally {
      await startRedis()
    }
  })
})
