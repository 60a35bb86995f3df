import { describe, expect, it } from 'vitest'
import {
  BadRpcError,
  type Channel,
  createMemoryChannelPair,
  DistributedError,
  type DistNode,
  NoProcError,
  Pid,
  RemoteError,
  TimeoutError,
} from '../../../src/core/index.js'
import { eventually } from '../../support/eventually.js'
import { memoryNodes } from '../../support/memory-nodes.js'

const { node, pair } = memoryNodes()

describe('local processes', () => {
  it('spawns, stops and reports liveness; stop runs terminate once with the reason', () => {
    const n = node({ id: 'solo' })
    const reasons: string[] = []
    const p = n.spawn({ terminate: (r) => reasons.push(r) })
    expect(p.node).toBe('solo')
    expect(n.isAlive(p)).toBe(true)
    n.stop(p, 'done')
    n.stop(p, 'again')
    expect(n.isAlive(p)).toBe(false)
    expect(reasons).toEqual(['done'])
  })

  it('monitors report normal, a custom reason, and noproc for a dead pid', async () => {
    const n = node()
    const seen: string[] = []
    const p = n.spawn({})
    const q = n.spawn({})
    n.monitor(p, (r) => seen.push(`p:${r}`))
    n.monitor(q, (r) => seen.push(`q:${r}`))
    n.stop(p)
    n.stop(q, 'crashed')
    n.monitor(p, (r) => seen.push(`late:${r}`))
    const cancel = n.monitor(n.spawn({}), (r) => seen.push(`cancelled:${r}`))
    cancel()
    await eventually(() => seen.length === 3)
    expect(seen).toEqual(['p:normal', 'q:crashed', 'late:noproc'])
  })

  it('handles one message at a time, in order, awaiting async handlers', async () => {
    const n = node()
    const log: string[] = []
    const p = n.spawn({
      async handleCall(msg) {
        log.push(`start ${String(msg)}`)
        await new Promise((r) => setTimeout(r, msg === 1 ? 30 : 1))
        log.push(`end ${String(msg)}`)
        return msg
      },
    })
    const results = await Promise.all([n.call(p, 1), n.call(p, 2)])
    expect(results).toEqual([1, 2])
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2'])
  })

  it('local calls fail like remote ones: RemoteError, TimeoutError, NoProcError; casts run later', async () => {
    const n = node()
    let casts = 0
    const p = n.spawn({
      handleCall: (msg) => {
        if (msg === 'throw') throw new SyntaxError('nope')
        return msg === 'hang' ? new Promise(() => {}) : casts
      },
      handleCast: () => void casts++,
    })
    n.cast(p, 'x')
    expect(casts).toBe(0)
    expect(await n.call(p, 'count')).toBe(1)
    await expect(n.call(p, 'throw')).rejects.toMatchObject({ name: 'RemoteError', remoteName: 'SyntaxError', message: 'nope' })
    await expect(n.call(p, 'hang', 20)).rejects.toBeInstanceOf(TimeoutError)
    const q = n.spawn({ handleCall: () => new Promise(() => {}) })
    const pending = n.call(q, 'wait')
    n.stop(q)
    await expect(pending).rejects.toBeInstanceOf(NoProcError)
    await expect(n.call(q, 'again')).rejects.toBeInstanceOf(NoProcError)
    const noHandler: Pid = n.spawn({}) // untyped: its typed pid takes no call
    await expect(n.call(noHandler, 'x')).rejects.toBeInstanceOf(RemoteError)
  })

  it('ctx.call and ctx.cast carry the caller pid as ctx.from', async () => {
    const n = node()
    const froms: Array<string | undefined> = []
    const server = n.spawn({ handleCall: (_m, ctx) => void froms.push(ctx.from?.toString()) })
    const client = n.spawn({ handleCall: (_m, ctx) => ctx.call(server, 'hi') })
    await n.call(client, 'go')
    await n.call(server, 'direct')
    expect(froms).toEqual([client.toString(), undefined])
  })
})

describe('local registry', () => {
  it('registers only live local pids; empty names vanish; events follow changes', () => {
    const n = node({ id: 'me' })
    const events: string[] = []
    n.on('join', (name, pid) => events.push(`+${name}${pid.toString()}`))
    n.on('leave', (name, pid) => events.push(`-${name}${pid.toString()}`))
    const p = n.spawn({})
    expect(() => n.register('x', new Pid('other', 1, 0))).toThrow(/own node/)
    n.stop(n.spawn({}))
    expect(() => n.register('x', new Pid('me', 2, n.incarnation))).toThrow(NoProcError)
    n.register('x', p)
    n.register('x', p)
    expect(n.allPidsOf('x')).toHaveLength(2)
    n.unregister('x', p)
    expect(n.registry()).toEqual([['x', [p]]])
    n.unregister('x', p)
    n.unregister('x', p)
    expect(n.registry()).toEqual([])
    expect(n.pidOf('x')).toBeUndefined()
    const text = `<me.1.${n.incarnation.toString(36)}>`
    expect(events).toEqual([`+x${text}`, `+x${text}`, `-x${text}`, `-x${text}`])
  })

  it('pidOf returns a random member', () => {
    const n = node()
    const pids = [n.spawn({}), n.spawn({}), n.spawn({})]
    for (const p of pids) n.register('g', p)
    const seen = new Set<string>()
    for (let i = 0; i < 200; i++) seen.add(String(n.pidOf('g')))
    expect(seen.size).toBe(3)
  })
})

describe('links', () => {
  it('refuses a second link to the same node and a link to itself', async () => {
    const a = node({ id: 'a' })
    const b = node({ id: 'b' })
    await pair(a, b)
    const [x, y] = createMemoryChannelPair()
    const results = await Promise.allSettled([a.link(x), b.link(y)])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'already_linked' })
    expect(a.nodes()).toEqual(['b'])
    const twin = node({ id: 'a' })
    const [s, t] = createMemoryChannelPair()
    const self = await Promise.allSettled([a.link(s), twin.link(t)])
    expect((self[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'badarg' })
  })

  it('times out a handshake the other side never answers', async () => {
    const a = node({ handshakeTimeoutMs: 50 })
    const [x] = createMemoryChannelPair()
    await expect(a.link(x)).rejects.toBeInstanceOf(TimeoutError)
  })

  it('declares a silent peer down within the heartbeat bound, with noconnection for monitors', async () => {
    const options = { heartbeatIntervalMs: 50, heartbeatTimeoutMs: 200 }
    const a = node({ id: 'a', ...options })
    const b = node({ id: 'b', ...options })
    const [x, y] = createMemoryChannelPair()
    // b's side goes silent without closing, like a frozen or killed process behind a NAT.
    let silent = false
    const muted: Channel = { send: (f) => void (silent || y.send(f)), onMessage: (h) => y.onMessage(h), onClose: (h) => y.onClose(h), close: () => y.close() }
    await Promise.all([a.link(x), b.link(muted)])
    const p = b.spawn({ handleCall: () => new Promise(() => {}) })
    b.register('svc', p)
    await eventually(() => a.allPidsOf('svc').length === 1)
    const reasons: string[] = []
    a.monitor(p, (r) => reasons.push(r))
    const downs: string[] = []
    a.on('nodedown', (id, reason) => downs.push(`${id}:${reason}`))
    const pending = a.call(p, 'x', 60_000)
    const started = Date.now()
    silent = true
    await expect(pending).rejects.toMatchObject({ code: 'nodedown' })
    const took = Date.now() - started
    expect(took).toBeGreaterThanOrEqual(150)
    expect(took).toBeLessThan(1500)
    expect(downs).toEqual(['b:heartbeat_timeout'])
    expect(a.allPidsOf('svc')).toEqual([])
    expect(reasons).toEqual(['noconnection'])
  })

  it('transport activity (part of a large frame) counts as a sign of life', async () => {
    const options = { heartbeatIntervalMs: 30, heartbeatTimeoutMs: 120 }
    const a = node({ id: 'a', ...options })
    const b = node({ id: 'b', ...options })
    const [x, y] = createMemoryChannelPair()
    let activity: (() => void) | undefined
    const watched: Channel = { send: (f) => x.send(f), onMessage: (h) => x.onMessage(h), onClose: (h) => x.onClose(h), close: () => x.close(), onActivity: (h) => void (activity = h) }
    let silent = false
    const muted: Channel = { send: (f) => void (silent || y.send(f)), onMessage: (h) => y.onMessage(h), onClose: (h) => y.onClose(h), close: () => y.close() }
    await Promise.all([a.link(watched), b.link(muted)])
    silent = true
    const pieces = setInterval(() => activity?.(), 20)
    await new Promise((r) => setTimeout(r, 400))
    expect(a.nodes()).toEqual(['b'])
    clearInterval(pieces)
    await eventually(() => a.nodes().length === 0, 1000, 'link dropped once the pieces stop')
  })

  it('a quiet but live link stays up through heartbeats', async () => {
    const options = { heartbeatIntervalMs: 30, heartbeatTimeoutMs: 120 }
    const a = node(options)
    const b = node(options)
    await pair(a, b)
    await new Promise((r) => setTimeout(r, 400))
    expect(a.nodes()).toEqual([b.id])
  })

  it('a node whose own event loop was blocked past the timeout does not declare its live peers down', async () => {
    const options = { heartbeatIntervalMs: 30, heartbeatTimeoutMs: 120 }
    const a = node({ id: 'a', ...options })
    const b = node({ id: 'b', ...options })
    await pair(a, b)
    const downs: string[] = []
    a.on('nodedown', (n, reason) => downs.push(`${n}:${reason}`))
    b.on('nodedown', (n, reason) => downs.push(`${n}:${reason}`))
    const until = Date.now() + 500 // a long synchronous job: no timer, no message meanwhile
    while (Date.now() < until) {
      // busy
    }
    await new Promise((r) => setTimeout(r, 300))
    expect(downs).toEqual([])
    expect(a.nodes()).toEqual(['b'])
  })

  it('a long synchronous burst leaves in full batches as it goes, not all at the end of the tick', async () => {
    const a = node({ id: 'a' })
    const b = node({ id: 'b' })
    const [x, y] = createMemoryChannelPair()
    let sent = 0
    const counted: Channel = { send: (f) => void (sent++, x.send(f)), onMessage: (h) => x.onMessage(h), onClose: (h) => x.onClose(h), close: () => x.close() }
    await Promise.all([a.link(counted), b.link(y)])
    let got = 0
    const sink = b.spawn({ handleCast: () => void got++ })
    await new Promise((r) => setTimeout(r, 20))
    const before = sent
    const text = 'x'.repeat(100)
    for (let i = 0; i < 2000; i++) a.cast(sink, text)
    const duringLoop = sent - before
    expect(duringLoop).toBeGreaterThanOrEqual(10) // about 230 kB in batches of 16 KiB
    expect(duringLoop).toBeLessThan(20)
    await eventually(() => got === 2000)
  })

  it('a value too large for the other side fails with too_large where it is sent, and the link stays up', async () => {
    const options = { maxFrameBytes: 2000 }
    const a = node({ id: 'a', ...options })
    const b = node({ id: 'b', ...options })
    await pair(a, b)
    const echo: Pid = b.spawn({ handleCall: (msg) => (msg === 'big reply' ? 'y'.repeat(3000) : msg) }) // untyped: cast to it too
    b.expose('Big', { result: () => new Uint8Array(3000) })
    const tooLarge = { code: 'too_large' }
    await expect(a.call(echo, 'x'.repeat(3000))).rejects.toMatchObject(tooLarge)
    await expect(a.call(echo, { parts: [new Uint8Array(1500), new Uint8Array(1500)] })).rejects.toMatchObject(tooLarge)
    expect(() => a.cast(echo, 'x'.repeat(3000))).toThrow(DistributedError)
    await expect(a.doNodeRpc('b', 'Big', 'result', [new Uint8Array(3000)])).rejects.toMatchObject(tooLarge)
    // too large on the way back: the caller gets the error instead of waiting
    await expect(a.call(echo, 'big reply')).rejects.toMatchObject(tooLarge)
    await expect(a.doNodeRpc('b', 'Big', 'result', [])).rejects.toMatchObject({ code: 'badrpc', message: expect.stringMatching(/exceed maxFrameBytes/) })
    expect(a.nodes()).toEqual(['b'])
    expect(await a.call(echo, 'still linked')).toBe('still linked')
  })

  it('nodedown reasons are stable codes, with the transport\'s words as detail', async () => {
    const downs: string[] = []
    const watch = (n: DistNode): void => void n.on('nodedown', (id, reason, detail) => downs.push(`${n.id} lost ${id}: ${reason} (${detail})`))
    // a clean close: the closing node sees shutdown, the other closed
    const a = node({ id: 'a' })
    const b = node({ id: 'b' })
    watch(a)
    watch(b)
    await pair(a, b)
    await b.close()
    await eventually(() => downs.length === 2)
    expect(downs.sort()).toEqual(['a lost b: closed (the peer said bye: node closed)', 'b lost a: shutdown (this node closed)'])
    // a channel that fails: transport_error
    downs.length = 0
    const c = node({ id: 'c' })
    watch(c)
    const [x, y] = createMemoryChannelPair()
    let fail: ((error?: Error) => void) | undefined
    const failing: Channel = { send: (f) => x.send(f), onMessage: (h) => x.onMessage(h), onClose: (h) => void (fail = h), close: () => x.close() }
    const d = node({ id: 'd' })
    await Promise.all([c.link(failing), d.link(y)])
    fail?.(new Error('ECONNRESET'))
    await eventually(() => downs.length === 1)
    expect(downs).toEqual(['c lost d: transport_error (channel error: ECONNRESET)'])
  })

  it('close() stops local processes, rejects pending calls and ends links', async () => {
    const a = node({ id: 'a' })
    const b = node({ id: 'b' })
    await pair(a, b)
    const reasons: string[] = []
    const local = a.spawn({ handleCall: () => new Promise(() => {}), terminate: (r) => reasons.push(r) })
    const remote = b.spawn({ handleCall: () => new Promise(() => {}) })
    const toLocal = a.call(local, 'x', 60_000)
    const toRemote = a.call(remote, 'x', 60_000)
    await new Promise((r) => setTimeout(r, 20))
    await a.close()
    await expect(toLocal).rejects.toBeInstanceOf(NoProcError)
    await expect(toRemote).rejects.toMatchObject({ code: 'closed' })
    expect(reasons).toEqual(['shutdown'])
    await eventually(() => b.nodes().length === 0)
    expect(() => a.spawn({})).toThrow(DistributedError)
    await expect(a.call(remote, 'x')).rejects.toMatchObject({ code: 'closed' })
    await expect(a.link(createMemoryChannelPair()[0])).rejects.toMatchObject({ code: 'closed' })
  })
})

describe('local rpc', () => {
  it('runs directly with no rpc process; errors become badrpc', async () => {
    const n = node({ id: 'here' })
    n.expose('M', {
      add(this: { caller: Pid | undefined }, x: number, y: number) {
        return { sum: x + y, caller: this.caller }
      },
      async boom() {
        throw new Error('exploded')
      },
    })
    const calls: Array<[unknown, unknown]> = []
    const result = await n.doNodeRpc('here', 'M', 'add', [2, 3], (r, pid) => void calls.push([r, pid]))
    expect(result).toEqual({ sum: 5, caller: undefined })
    expect(calls).toEqual([[{ sum: 5, caller: undefined }, undefined]])
    await expect(n.doNodeRpc('here', 'M', 'missing', [])).rejects.toMatchObject({ code: 'badrpc', reason: 'undef' })
    await expect(n.doNodeRpc('here', 'M', 'boom', [])).rejects.toMatchObject({ code: 'badrpc', reason: 'exploded' })
  })

  it('a remote rpc that outlives its timeout rejects badrpc timeout and its process still ends', async () => {
    const a = node({ id: 'a' })
    const b = node({ id: 'b' })
    await pair(a, b)
    let rpcPid: Pid | undefined
    let finish: () => void = () => {}
    b.expose('Slow', {
      run(this: { caller: Pid | undefined }) {
        rpcPid = this.caller
        return new Promise<void>((r) => (finish = r))
      },
    })
    const rejected = await a.doNodeRpc('b', 'Slow', 'run', [], null, { timeoutMs: 50 }).catch((e: unknown) => e)
    expect(rejected).toBeInstanceOf(BadRpcError)
    expect(rejected).toMatchObject({ reason: 'timeout' })
    expect(b.isAlive(rpcPid as Pid)).toBe(true)
    finish()
    await eventually(() => !b.isAlive(rpcPid as Pid))
  })
})
