// The signaling hub and its Socket.IO client, over real sockets: a hub on a free port,
// socket.io-client connections (the library's `Signaling` and raw sockets for the
// malformed messages), and the `distribunator-hub` CLI as a child process.
import { spawn, type ChildProcess } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import type { Socket as RawSocket } from 'socket.io-client'
import { createSocketIoSignaling, type SocketIoSignalingOptions } from '../../../src/server/index.js'
import { DistributedError } from '../../../src/core/api/errors.js'
import type { JoinResult } from '../../../src/core/hub/signaling.js'
import type { Hub, HubOptions } from '../../../src/server/hub/hub.js'
import { rawSocket as rawClient, startTestHub, type TestHub } from '../../support/test-hub.js'
import { eventually } from '../../support/eventually.js'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const startHub = (options: HubOptions = {}): Promise<TestHub> => startTestHub(cleanups, options)

interface TestNode {
  signaling: ReturnType<typeof createSocketIoSignaling>
  joins: string[]
  leaves: string[]
  signals: Array<{ from: string; data: unknown }>
  rejoins: JoinResult[]
  statuses: string[]
}

function makeNode(hub: string | string[], cluster: string, id?: string, extra: Partial<SocketIoSignalingOptions> = {}): TestNode {
  // every test node is incarnation 1, so raw clients can address it (`ti: 1`)
  const signaling = createSocketIoSignaling({ hub, cluster, ...(id === undefined ? {} : { id }), joinTimeoutMs: 3000, incarnation: 1, ...extra })
  const node: TestNode = { signaling, joins: [], leaves: [], signals: [], rejoins: [], statuses: [] }
  signaling.onMemberJoin((m) => node.joins.push(m.id))
  signaling.onMemberLeave((id) => node.leaves.push(id))
  signaling.onSignal((from, _inc, data) => node.signals.push({ from, data }))
  let first = true
  signaling.onJoined((r) => (first ? (first = false) : node.rejoins.push(r)))
  signaling.onStatus?.((s) => node.statuses.push(s))
  cleanups.push(() => signaling.close())
  return node
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

const rawSocket = (hub: Hub): Promise<RawSocket> => rawClient(hub, cleanups)

const KEY = 'k'.repeat(16)
function ask(socket: RawSocket, event: string, ...args: unknown[]): Promise<unknown> {
  return socket.timeout(2000).emitWithAck(event, ...args)
}
const deep = (levels: number): unknown => (levels === 0 ? 'deep' : [deep(levels - 1)])
const rawJoin = (socket: RawSocket, cluster: string, id: string, key = KEY): Promise<unknown> => ask(socket, 'join', { v: 2, cluster, id, key, inc: 1 })
/** Members as the hub lists them: every client of these tests is incarnation 1. */
const listed = (...ids: string[]): Array<{ id: string; inc: number }> => ids.map((id) => ({ id, inc: 1 }))
const names = (result: JoinResult): string[] => result.members.map((m) => m.id)

describe('hub membership', () => {
  it('answers a join with the members present and tells the others who comes and goes', async () => {
    const hub = await startHub()
    const a = makeNode(hub.url, 'room', 'a')
    expect(await a.signaling.join()).toEqual({ id: 'a', members: [] })
    const b = makeNode(hub.url, 'room', 'b')
    expect(await b.signaling.join()).toEqual({ id: 'b', members: listed('a') })
    const c = makeNode(hub.url, 'room')
    const joined = await c.signaling.join()
    expect(joined.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(names(joined).sort()).toEqual(['a', 'b'])
    await eventually(() => a.joins.length === 2 && b.joins.length === 1, 3000, 'join notices')
    expect(a.joins).toEqual(['b', joined.id])
    b.signaling.close()
    await eventually(() => a.leaves.includes('b') && c.leaves.includes('b'), 3000, 'leave notices')
    expect(a.statuses).toEqual(['connected'])
  })

  it('keeps clusters apart: no member list, notice or signal crosses', async () => {
    const hub = await startHub()
    const a = makeNode(hub.url, 'red', 'a')
    await a.signaling.join()
    const b = makeNode(hub.url, 'blue', 'b')
    expect((await b.signaling.join()).members).toEqual([])
    const c = makeNode(hub.url, 'red', 'c')
    expect(names(await c.signaling.join())).toEqual(['a'])
    const intruder = await rawSocket(hub)
    expect(await rawJoin(intruder, 'blue', 'x')).toEqual({ ok: true, id: 'x', members: listed('b'), at: expect.any(Number) })
    expect(await ask(intruder, 'signal', { to: 'a', ti: 1, data: { sdp: 'evil' } })).toMatchObject({ ok: false, code: 'no_node' })
    b.signaling.sendSignal('a', 1, { sdp: 'evil' })
    c.signaling.sendSignal('a', 1, { sdp: 'fine' })
    await eventually(() => a.signals.length === 1, 3000, 'the same-cluster signal')
    await sleep(100)
    expect(a.signals).toEqual([{ from: 'c', data: { sdp: 'fine' } }])
    expect(a.joins).toEqual(['c'])
    expect(b.joins).toEqual(['x'])
  })

  it('relays signals in order with the sender id stamped by the hub', async () => {
    const hub = await startHub()
    const a = makeNode(hub.url, 'room', 'a')
    await a.signaling.join()
    const b = makeNode(hub.url, 'room', 'b')
    await b.signaling.join()
    for (let i = 0; i < 50; i++) b.signaling.sendSignal('a', 1, { seq: i })
    await eventually(() => a.signals.length === 50, 3000, '50 signals')
    expect(a.signals.map((s) => s.data)).toEqual(Array.from({ length: 50 }, (_, i) => ({ seq: i })))
    expect(a.signals.every((s) => s.from === 'b')).toBe(true)

    const forger = await rawSocket(hub)
    await rawJoin(forger, 'room', 'mallory')
    expect(await ask(forger, 'signal', { to: 'a', ti: 1, from: 'b', data: { type: 'offer', sdp: 'x' } })).toEqual({ ok: true })
    await eventually(() => a.signals.length === 51, 3000, 'the forged signal')
    expect(a.signals[50]).toEqual({ from: 'mallory', data: { type: 'offer', sdp: 'x' } })
  })

  it('refuses an id already live, but lets the same client (same key) replace its stale connection', async () => {
    const hub = await startHub()
    const first = makeNode(hub.url, 'room', 'dup')
    await first.signaling.join()
    const second = makeNode(hub.url, 'room', 'dup')
    const refusal = await second.signaling.join().catch((e: unknown) => e)
    expect(refusal).toBeInstanceOf(DistributedError)
    expect(refusal).toMatchObject({ code: 'duplicate_id' })

    const watcher = makeNode(hub.url, 'room', 'watcher')
    await watcher.signaling.join()
    const stale = await rawSocket(hub)
    expect(await rawJoin(stale, 'room', 'same', 'secret-key-0123456789')).toMatchObject({ ok: true })
    const staleGone = new Promise((resolve) => stale.once('disconnect', resolve))
    const fresh = await rawSocket(hub)
    expect(await rawJoin(fresh, 'room', 'same', 'other-key-0123456789')).toMatchObject({ ok: false, code: 'duplicate_id' })
    expect(await rawJoin(fresh, 'room', 'same', 'secret-key-0123456789')).toEqual({ ok: true, id: 'same', members: listed('dup', 'watcher'), at: expect.any(Number) })
    await staleGone
    await sleep(100)
    expect(watcher.leaves).toEqual([])
    expect(watcher.joins).toEqual(['same', 'same'])
    fresh.disconnect()
    await eventually(() => watcher.leaves.includes('same'), 3000, 'the leave of the replacement')
  })

  it('lets exactly one of many racing joins with the same id win', async () => {
    const hub = await startHub()
    const sockets = await Promise.all(Array.from({ length: 10 }, () => rawSocket(hub)))
    const replies = await Promise.all(sockets.map((s, i) => rawJoin(s, 'race', 'contested', `racing-client-key-${i}`.padEnd(16, '0'))))
    expect(replies.filter((r) => Reflect.get(Object(r), 'ok') === true)).toHaveLength(1)
    expect(replies.filter((r) => Reflect.get(Object(r), 'code') === 'duplicate_id')).toHaveLength(9)
    const late = await rawSocket(hub)
    expect(await rawJoin(late, 'race', 'late')).toEqual({ ok: true, id: 'late', members: listed('contested'), at: expect.any(Number) })
  })

  it('runs the authorize hook: allow, deny, throw, slow', async () => {
    const calls: unknown[] = []
    const hub = await startHub({
      authorizeTimeoutMs: 200,
      authorize: async ({ auth, cluster, id }) => {
        calls.push([auth, cluster, id])
        if (id === 'thrower') throw new Error('boom')
        if (id === 'sleeper') await sleep(1000)
        return typeof auth === 'object' && auth !== null && Reflect.get(auth, 'token') === 'yes'
      },
    })
    const allowed = makeNode(hub.url, 'room', 'ok', { auth: { token: 'yes' } })
    await expect(allowed.signaling.join()).resolves.toEqual({ id: 'ok', members: [] })
    expect(calls).toEqual([[{ token: 'yes' }, 'room', 'ok']])
    for (const [id, auth] of [['denied', { token: 'no' }], ['anonymous', undefined], ['thrower', { token: 'yes' }], ['sleeper', { token: 'yes' }]] as const) {
      const node = makeNode(hub.url, 'room', id, auth === undefined ? {} : { auth })
      await expect(node.signaling.join()).rejects.toMatchObject({ code: 'unauthorized' })
    }
    expect(hub.lines.some((l) => l.includes('authorize hook threw') && l.includes('boom'))).toBe(true)
    const later = makeNode(hub.url, 'room', 'later', { auth: { token: 'yes' } })
    await expect(later.signaling.join()).resolves.toEqual({ id: 'later', members: listed('ok') })
  })

  it('rejects a join with hub_unreachable when no hub answers in time', async () => {
    const hub = await startHub()
    const url = hub.url
    await hub.close()
    const node = makeNode(url, 'room', 'a', { joinTimeoutMs: 400 })
    const started = Date.now()
    await expect(node.signaling.join()).rejects.toMatchObject({ code: 'hub_unreachable' })
    expect(Date.now() - started).toBeLessThan(1500)
    await expect(makeNode(url, 'bad/cluster').signaling.join()).rejects.toMatchObject({ code: 'badarg' })
  })
})

describe('hub input validation', () => {
  it('answers every malformed message with an error and keeps working', async () => {
    const hub = await startHub()
    const member = makeNode(hub.url, 'room', 'member')
    await member.signaling.join()
    const bad = await rawSocket(hub)
    const protoAuth: unknown = JSON.parse('{"__proto__": {"admin": true}}')
    const protoData: unknown = JSON.parse('{"type": "offer", "__proto__": {"polluted": 1}}')

    expect(await ask(bad, 'signal', { to: 'member', ti: 1, data: {} })).toMatchObject({ ok: false, code: 'protocol' })
    const badJoins: unknown[] = [
      undefined,
      'join',
      42,
      [],
      { v: 2 },
      { v: 2, inc: 1, cluster: 7, id: 'x', key: KEY },
      { v: 2, inc: 1, cluster: 'room', id: 'x'.repeat(129), key: KEY },
      { v: 2, inc: 1, cluster: 'room', id: 'a b', key: KEY },
      { v: 2, inc: 1, cluster: 'room', id: 'a/b', key: KEY },
      { v: 2, inc: 1, cluster: '', id: 'x', key: KEY },
      { v: 2, cluster: 'room', id: 'x', key: KEY },
      { v: 2, inc: -1, cluster: 'room', id: 'x', key: KEY },
      { v: 2, inc: 2 ** 32, cluster: 'room', id: 'x', key: KEY },
      { v: 2, inc: '1', cluster: 'room', id: 'x', key: KEY },
      { v: 2, inc: 1, cluster: 'room', id: 'x', key: 'short' },
      { v: 2, inc: 1, cluster: 'room', id: 'x', key: KEY, auth: 'a'.repeat(5000) },
      { v: 2, inc: 1, cluster: 'room', id: 'x', key: KEY, auth: protoAuth },
      { v: 2, inc: 1, cluster: 'room', id: 'x', key: KEY, auth: { constructor: 1 } },
      { v: 2, inc: 1, cluster: 'room', id: 'x', key: KEY, auth: new Uint8Array([1, 2, 3]) },
      JSON.parse('{"__proto__": {"v": 2}, "inc": 1, "cluster": "room", "id": "x", "key": "kkkkkkkkkkkkkkkk"}'),
    ]
    for (const payload of badJoins) {
      expect(await ask(bad, 'join', payload), JSON.stringify(payload)).toMatchObject({ ok: false, code: 'badarg' })
    }
    expect(await ask(bad, 'join', { v: 1, cluster: 'room', id: 'x', key: KEY })).toMatchObject({ ok: false, code: 'protocol' })
    expect(await ask(bad, 'join', { v: 3, inc: 1, cluster: 'room', id: 'x', key: KEY })).toMatchObject({ ok: false, code: 'protocol' })
    expect(await ask(bad, 'join')).toMatchObject({ ok: false, code: 'badarg' })
    expect(await ask(bad, 'nonsense', { a: 1 })).toMatchObject({ ok: false, code: 'protocol' })
    bad.emit('nonsense', 1)
    bad.emit('join', 'no ack here')
    bad.emit('signal', { to: 'member', ti: 1, data: {} })

    expect(await rawJoin(bad, 'room', 'bad')).toEqual({ ok: true, id: 'bad', members: listed('member'), at: expect.any(Number) })
    expect(await rawJoin(bad, 'other', 'bad')).toMatchObject({ ok: false, code: 'badarg' })
    // Repeating the join on a joined connection is refused too (see test/server/hub/hostile-clients.test.ts).
    expect(await rawJoin(bad, 'room', 'bad')).toMatchObject({ ok: false, code: 'badarg', message: expect.stringContaining('already joined') })
    const badSignals: unknown[] = [
      undefined,
      { data: {} },
      { to: 5, ti: 1, data: {} },
      { to: 'member', ti: 1 },
      { to: 'member', data: {} },
      { to: 'member', ti: -1, data: {} },
      { to: 'member', ti: 1, data: 'x'.repeat(70_000) },
      { to: 'member', ti: 1, data: protoData },
      { to: 'member', ti: 1, data: { candidate: { constructor: 'x' } } },
      { to: 'member', ti: 1, data: { blob: new Uint8Array(8) } },
      { to: 'member', ti: 1, data: deep(40) },
    ]
    for (const payload of badSignals) {
      expect(await ask(bad, 'signal', payload), JSON.stringify(payload)?.slice(0, 60)).toMatchObject({ ok: false, code: 'badarg' })
    }
    expect(await ask(bad, 'signal', { to: 'bad', ti: 1, data: {} })).toMatchObject({ ok: false, code: 'badarg' })
    expect(await ask(bad, 'signal', { to: 'nobody', ti: 1, data: {} })).toMatchObject({ ok: false, code: 'no_node' })
    expect(await ask(bad, 'signal', { to: 'member', ti: 1, data: { ok: 1 } })).toEqual({ ok: true })
    await eventually(() => member.signals.length === 1, 3000, 'the valid signal')
    expect(member.signals).toEqual([{ from: 'bad', data: { ok: 1 } }])
    expect(({} as Record<string, unknown>)['admin']).toBeUndefined()
    expect(hub.lines.some((l) => l.startsWith('warn dropped message'))).toBe(true)
    expect(hub.lines.some((l) => l.startsWith('warn dropped join'))).toBe(true)

    // The client refuses what the hub would refuse, before sending it.
    expect(() => member.signaling.sendSignal('not valid', 1, {})).toThrow(/invalid member id/)
    expect(() => member.signaling.sendSignal('bad', 1, 'z'.repeat(70_000))).toThrow(/64 KiB/)
    expect(() => member.signaling.sendSignal('bad', 1, protoData)).toThrow(/plain JSON/)

    // A connection that keeps sending garbage is closed after 100 strikes.
    const flooder = await rawSocket(hub)
    const kicked = new Promise((resolve) => flooder.once('disconnect', resolve))
    for (let i = 0; i < 100; i++) flooder.emit('join', i)
    await kicked
    expect(hub.lines.some((l) => l.includes('100 malformed'))).toBe(true)

    // A frame above maxHttpBufferSize closes that connection only.
    const huge = await rawSocket(hub)
    const closed = new Promise((resolve) => huge.once('disconnect', resolve))
    huge.emit('signal', { to: 'member', ti: 1, data: 'y'.repeat(300_000) })
    await closed
    expect(bad.connected).toBe(true)
    const after = makeNode(hub.url, 'room', 'after')
    expect(names(await after.signaling.join()).sort()).toEqual(['bad', 'member'])
  })
})

describe('hub restart', () => {
  it('clients reconnect by themselves, rejoin with the same id and get the member list', async () => {
    const first = await startHub()
    const port = first.port
    const a = makeNode(first.url, 'room', 'a', { retryDelayMs: 50, maxRetryDelayMs: 200 })
    const b = makeNode(first.url, 'room', 'b', { retryDelayMs: 50, maxRetryDelayMs: 200 })
    await a.signaling.join()
    await b.signaling.join()
    await first.close()
    await eventually(() => a.statuses.includes('disconnected') && b.statuses.includes('disconnected'), 3000, 'disconnects')
    const second = await startHub({ port })
    await eventually(() => a.rejoins.length === 1 && b.rejoins.length === 1, 3000, 'rejoins')
    expect(a.rejoins[0]?.id).toBe('a')
    expect(b.rejoins[0]?.id).toBe('b')
    // Whoever rejoined second got the other in its list; the first learns by a notice.
    const aKnowsB = a.rejoins[0]?.members.some((m) => m.id === 'b') === true || a.joins.includes('b')
    const bKnowsA = b.rejoins[0]?.members.some((m) => m.id === 'a') === true || b.joins.includes('a')
    await eventually(() => aKnowsB || a.joins.includes('b'), 3000, 'a learns b')
    await eventually(() => bKnowsA || b.joins.includes('a'), 3000, 'b learns a')
    expect(a.statuses).toEqual(['connected', 'disconnected', 'connected'])
    b.signaling.sendSignal('a', 1, { after: 'restart' })
    await eventually(() => a.signals.length === 1, 3000, 'a signal through the new hub')
    expect(a.signals[0]).toEqual({ from: 'b', data: { after: 'restart' } })
    await second.close()
  })
})

describe('distribunator-hub CLI', () => {
  function runCli(args: string[]): { child: ChildProcess; stdout: () => string; stderr: () => string; exit: Promise<number | null> } {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
    return { child, stdout: () => out, stderr: () => err, exit }
  }

  it('starts, prints its URL, serves clients and exits 0 on SIGTERM', async () => {
    const cli = runCli(['--port', '0'])
    await eventually(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(cli.stdout()), 10_000, 'the listening line')
    const url = /distribunator hub listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.stdout())?.[1] ?? ''
    const node = makeNode(url, 'room', 'cli-node')
    await expect(node.signaling.join()).resolves.toEqual({ id: 'cli-node', members: [] })
    cli.child.kill('SIGTERM')
    expect(await cli.exit).toBe(0)
  })

  it('reports a busy port in one line and exits 1', async () => {
    const hub = await startHub()
    const cli = runCli(['--port', String(hub.port)])
    expect(await cli.exit).toBe(1)
    expect(cli.stderr().trim().split('\n')).toEqual([`distribunator-hub: cannot listen on 127.0.0.1:${hub.port}: address already in use`])
  })
})
