/**
 * The multi-node behaviour suite, run unchanged over every transport and placement: it
 * takes a driver (or just a linker for nodes of this process) and checks the registry,
 * call/cast, monitors and rpc across three nodes linked in a full mesh.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  BadRpcError,
  createNode,
  type DistNode,
  NodeDownError,
  NoNodeError,
  NoPidError,
  NoProcError,
  Pid,
  RemoteError,
  TimeoutError,
} from '../../src/core/index.js'
import { eventually } from './eventually.js'

export type Linker = (a: DistNode, b: DistNode) => Promise<void>

/** Where the suite's nodes live and how two of them get linked. */
export interface ClusterDriver {
  /** Creates an unlinked node with this id. */
  createNode(id: string): DistNode
  /** Links two nodes made by `createNode`. */
  link: Linker
  /** Runs once before the suite (e.g. starts processes). */
  setup?(): Promise<void>
  /** Runs once after the suite. */
  teardown?(): Promise<void>
}

export interface SuiteOptions {
  /** Extra time allowed for link setup over slow transports. */
  readonly timeoutMs?: number
}

/** Runs the suite; a bare linker means nodes of this process made by `createNode`. */
export function clusterSuite(label: string, driverOrLinker: ClusterDriver | Linker, options: SuiteOptions = {}): void {
  const driver: ClusterDriver =
    typeof driverOrLinker === 'function' ? { createNode: (id) => createNode({ id }), link: driverOrLinker } : driverOrLinker
  const linkNodes: Linker = (a, b) => driver.link(a, b)
  describe(`cluster behaviour over ${label}`, { timeout: options.timeoutMs ?? 20_000 }, () => {
    const open: DistNode[] = []
    let counter = 0

    beforeAll(async () => driver.setup?.(), 60_000)
    afterAll(async () => driver.teardown?.(), 60_000)

    afterEach(async () => {
      await Promise.all(open.splice(0).map((n) => n.close()))
    })

    async function mesh(count = 3): Promise<DistNode[]> {
      const run = ++counter
      const nodes = Array.from({ length: count }, (_, i) => driver.createNode(`n${run}-${i}`))
      open.push(...nodes)
      for (let i = 0; i < nodes.length; i++) {
        for (let j = i + 1; j < nodes.length; j++) await linkNodes(nodes[i] as DistNode, nodes[j] as DistNode)
      }
      for (const node of nodes) await eventually(() => node.nodes().length === count - 1, 5000, 'full mesh')
      return nodes
    }

    it('links every pair and reports node ids', async () => {
      const [a, b, c] = await mesh()
      expect(a!.nodes().sort()).toEqual([b!.id, c!.id].sort())
      expect(c!.nodes().sort()).toEqual([a!.id, b!.id].sort())
    })

    it('replicates registrations to every node, in join order, duplicates listed twice', async () => {
      const [a, b, c] = await mesh()
      const pa = a!.spawn({})
      const pb = b!.spawn({})
      a!.register('room', pa)
      await eventually(() => c!.allPidsOf('room').length === 1)
      b!.register('room', pb)
      a!.register('room', pa)
      for (const node of [a!, b!, c!]) await eventually(() => node.allPidsOf('room').length === 3)
      expect(c!.allPidsOf('room')[0]!.equals(pa)).toBe(true)
      expect(c!.allPidsOf('room').filter((p) => p.equals(pa))).toHaveLength(2)
      expect(c!.allNodesOf('room')).toEqual([a!.id, b!.id])
      a!.unregister('room', pa)
      await eventually(() => c!.allPidsOf('room').length === 2)
      expect(c!.allPidsOf('room').filter((p) => p.equals(pa))).toHaveLength(1)
    })

    it('exchanges full state on link and removes a node’s names when its link drops', async () => {
      const a = driver.createNode(`late-a-${++counter}`)
      const b = driver.createNode(`late-b-${counter}`)
      open.push(a, b)
      const p = a.spawn({})
      a.register('before-link', p)
      await linkNodes(a, b)
      await eventually(() => b.allPidsOf('before-link').length === 1, 5000, 'sync')
      expect(b.allPidsOf('before-link')[0]!.equals(p)).toBe(true)
      const leaves: string[] = []
      b.on('leave', (name, pid) => leaves.push(`${name}:${pid.toString()}`))
      await a.close()
      await eventually(() => b.allPidsOf('before-link').length === 0, 5000, 'removal on link loss')
      expect(b.registry()).toEqual([])
      expect(leaves).toEqual([`before-link:${p.toString()}`])
    })

    it('removes a stopped process from every name on every node', async () => {
      const [a, b] = await mesh(2)
      const p = a!.spawn({})
      a!.register('x', p)
      a!.register('y', p)
      await eventually(() => b!.registry().length === 2)
      a!.stop(p)
      await eventually(() => b!.registry().length === 0)
      expect(a!.registry()).toEqual([])
    })

    it('watch: the members at once, then each join and leave; a lost node\'s pids leave before nodedown', async () => {
      const [a, b, c] = await mesh(3)
      const pb = b!.spawn({})
      b!.register('room', pb)
      await eventually(() => a!.allPidsOf('room').length === 1)
      const seen: string[] = []
      a!.watch('room', (event) => seen.push(event.type === 'current' ? `current ${event.pids.join(',')}` : `${event.type} ${event.pid}`))
      a!.on('nodedown', (id) => seen.push(`nodedown ${id}`))
      expect(seen).toEqual([`current ${pb}`])
      const pc = c!.spawn({})
      c!.register('room', pc)
      await eventually(() => seen.length === 2)
      b!.register('room', pb)
      await eventually(() => seen.length === 3)
      c!.unregister('room', pc)
      await eventually(() => seen.length === 4)
      await b!.close()
      await eventually(() => seen.length === 7, 5000, 'the leaves and nodedown')
      expect(seen).toEqual([`current ${pb}`, `join ${pc}`, `join ${pb}`, `leave ${pc}`, `leave ${pb}`, `leave ${pb}`, `nodedown ${b!.id}`])
    })

    it('calls and casts a process on another node by pid and by name', async () => {
      const [a, b] = await mesh(2)
      let total = 0
      const p = b!.spawn({
        handleCall: (msg) => ({ echo: msg, total }),
        handleCast: (msg) => {
          total += msg as number
        },
      })
      b!.register('acc', p)
      await eventually(() => a!.allPidsOf('acc').length === 1)
      a!.cast('acc', 2)
      a!.cast(p, 3)
      const value = { when: new Date(0), tags: new Set(['x']), big: 10n ** 20n, map: new Map([[1, 'one']]), pid: p }
      const reply = await a!.call<{ echo: typeof value; total: number }>('acc', value)
      expect(reply.total).toBe(5)
      expect(reply.echo.when).toEqual(new Date(0))
      expect(reply.echo.tags).toEqual(new Set(['x']))
      expect(reply.echo.big).toBe(10n ** 20n)
      expect(reply.echo.map.get(1)).toBe('one')
      expect(reply.echo.pid).toBeInstanceOf(Pid)
      expect(reply.echo.pid.equals(p)).toBe(true)
    })

    it('carries byte arrays as binary attachments: anywhere in a value, a Node Buffer too, in order with other frames', async () => {
      const [a, b] = await mesh(2)
      const seen: unknown[] = []
      const p = b!.spawn({ handleCall: (msg) => msg, handleCast: (msg) => void seen.push(msg) })
      const big = new Uint8Array(300_000).map((_, i) => (i * 7) & 255)
      const value = { name: 'file', parts: [new Uint8Array([1, 2, 3]), big, new Uint8Array(0)], when: new Date(5) }
      a!.cast(p, 'before')
      a!.cast(p, { one: new Uint8Array([9]) })
      a!.cast(p, 'after')
      const back = await a!.call<typeof value>(p, value)
      expect(back.name).toBe('file')
      expect(back.when).toEqual(new Date(5))
      expect(back.parts[0]).toEqual(new Uint8Array([1, 2, 3]))
      expect(back.parts[1]).toBeInstanceOf(Uint8Array)
      expect(back.parts[1]!.byteLength).toBe(big.byteLength)
      expect(back.parts[1]!.every((x, i) => x === ((i * 7) & 255))).toBe(true)
      expect(back.parts[2]).toEqual(new Uint8Array(0))
      await eventually(() => seen.length === 3)
      expect(seen).toEqual(['before', { one: new Uint8Array([9]) }, 'after'])
      const text = await a!.call<Uint8Array>(p, Buffer.from('héllo'))
      expect(text).toBeInstanceOf(Uint8Array)
      expect(new TextDecoder().decode(text)).toBe('héllo')
    })

    it('carries long strings as text attachments: top level, beside byte arrays, in a Map, with non-ASCII text, in order with other frames', async () => {
      const [a, b] = await mesh(2)
      const seen: unknown[] = []
      const p = b!.spawn({ handleCall: (msg) => msg, handleCast: (msg) => void seen.push(msg) })
      // past TEXT_ATTACHMENT_CHARS (64 Ki): astral characters, quotes and escapes that JSON would have to escape
      const long = 'é"\\\n𝄞 '.repeat(20_000) + 'end'
      expect(await a!.call(p, long)).toBe(long)
      const value = { text: long, bytes: new Uint8Array([1, 2]), again: long, map: new Map([['k', 'x'.repeat(70_000)]]), short: 'short' }
      a!.cast(p, 'before')
      a!.cast(p, long)
      a!.cast(p, 'after')
      const back = await a!.call<typeof value>(p, value)
      expect(back.text).toBe(long)
      expect(back.again).toBe(long)
      expect(back.bytes).toEqual(new Uint8Array([1, 2]))
      expect(back.map.get('k')).toBe('x'.repeat(70_000))
      expect(back.short).toBe('short')
      await eventually(() => seen.length === 3)
      expect(seen).toEqual(['before', long, 'after'])
    })

    it('rejects calls with typed errors: remote throw, noproc, timeout, no_pid', async () => {
      const [a, b] = await mesh(2)
      const p = b!.spawn({
        handleCall: (msg) => {
          if (msg === 'boom') throw new RangeError('out of range')
          return new Promise(() => {})
        },
      })
      const thrown = await a!.call(p, 'boom').catch((e: unknown) => e)
      expect(thrown).toBeInstanceOf(RemoteError)
      expect(thrown).toMatchObject({ code: 'remote', remoteName: 'RangeError', message: 'out of range' })
      await expect(a!.call(p, 'hang', 50)).rejects.toBeInstanceOf(TimeoutError)
      await expect(a!.call(new Pid(b!.id, 9999, b!.incarnation), 'x')).rejects.toBeInstanceOf(NoProcError)
      b!.stop(p)
      await expect(a!.call(p, 'x')).rejects.toMatchObject({ code: 'noproc' })
      await expect(a!.call('nobody', 'x')).rejects.toBeInstanceOf(NoPidError)
      expect(() => a!.cast('nobody', 'x')).toThrow(NoPidError)
      expect(() => a!.cast<Pid>(p, 'to a dead pid')).not.toThrow() // p has no handleCast: sent as to a plain Pid
    })

    it('fails a pending call with nodedown at once when the target’s link drops', async () => {
      const [a, b] = await mesh(2)
      const p = b!.spawn({ handleCall: () => new Promise(() => {}) })
      const started = Date.now()
      // Caught at once: over some drivers the rejection arrives before close() settles.
      const outcome = a!.call(p, 'wait', 60_000).catch((error: unknown) => error)
      await new Promise((r) => setTimeout(r, 50))
      await b!.close()
      expect(await outcome).toBeInstanceOf(NodeDownError)
      expect(Date.now() - started).toBeLessThan(5000)
    })

    it('monitors remote pids: stop reason, noproc, loss of its node', async () => {
      const [a, b, c] = await mesh()
      const p = b!.spawn({})
      const reasons: string[] = []
      a!.monitor(p, (r) => reasons.push(`b:${r}`))
      await new Promise((r) => setTimeout(r, 50))
      b!.stop(p, 'finished')
      await eventually(() => reasons.length === 1)
      a!.monitor(p, (r) => reasons.push(`dead:${r}`))
      await eventually(() => reasons.length === 2)
      const q = c!.spawn({})
      a!.monitor(q, (r) => reasons.push(`c:${r}`))
      const cancelled = c!.spawn({})
      const cancel = a!.monitor(cancelled, (r) => reasons.push(`cancelled:${r}`))
      cancel()
      await new Promise((r) => setTimeout(r, 50))
      await c!.close()
      await eventually(() => reasons.length === 3)
      expect(reasons).toEqual(['b:finished', 'dead:noproc', 'c:noconnection'])
    })

    it('runs rpc in a process that lives until the caller’s callback has returned', async () => {
      const [a, b] = await mesh(2)
      const order: string[] = []
      let seenCaller: Pid | undefined
      b!.expose('Math', {
        double(this: { caller: Pid | undefined }, x: number) {
          seenCaller = this.caller
          b!.monitor(this.caller as Pid, (reason) => order.push(`target saw exit:${reason}`))
          order.push('function ran')
          return x * 2
        },
      })
      const result = await a!.doNodeRpc<number>(b!.id, 'Math', 'double', [21], async (value, rpcPid) => {
        order.push(`callback got ${value}`)
        expect(rpcPid?.equals(seenCaller as Pid)).toBe(true)
        await new Promise((r) => setTimeout(r, 100))
        order.push('callback done')
      })
      expect(result).toBe(42)
      await eventually(() => order.length === 4)
      expect(order).toEqual(['function ran', 'callback got 42', 'callback done', 'target saw exit:normal'])
    })

    it('rpc errors: undef, thrown, nodedown, no_node; nodeRpc picks the first node of a name', async () => {
      const [a, b, c] = await mesh()
      b!.expose('M', {
        fail() {
          throw new TypeError('bad input')
        },
        where() {
          return 'b'
        },
      })
      c!.expose('M', { where: () => 'c' })
      await expect(a!.doNodeRpc(b!.id, 'M', 'nope', [])).rejects.toMatchObject({ code: 'badrpc', reason: 'undef' })
      await expect(a!.doNodeRpc(b!.id, 'Nope', 'where', [])).rejects.toMatchObject({ code: 'badrpc', reason: 'undef' })
      const thrown = await a!.doNodeRpc(b!.id, 'M', 'fail', []).catch((e: unknown) => e)
      expect(thrown).toBeInstanceOf(BadRpcError)
      expect(thrown).toMatchObject({ reason: 'bad input' })
      await expect(a!.doNodeRpc('no-such-node', 'M', 'where', [])).rejects.toMatchObject({ code: 'badrpc', reason: 'nodedown' })
      await expect(a!.nodeRpc('unregistered', 'M', 'where', [])).rejects.toBeInstanceOf(NoNodeError)
      c!.register('svc', c!.spawn({}))
      await eventually(() => a!.allPidsOf('svc').length === 1)
      b!.register('svc', b!.spawn({}))
      await eventually(() => a!.allPidsOf('svc').length === 2)
      expect(await a!.nodeRpc('svc', 'M', 'where', [], null)).toBe('c')
    })

    it('module handles: register, myPid, allPidsOf, allNodesOf, call, cast, nodeRpc', async () => {
      const [a, b] = await mesh(2)
      let seen = 0
      const Counter = b!.module('Counter')
      Counter.register(b!.spawn({ handleCall: () => ++seen, handleCast: () => void seen++ }))
      b!.expose('Counter', { peek: () => seen })
      const remote = a!.module('Counter')
      await eventually(() => remote.allPidsOf().length === 1)
      expect(remote.myPid().node).toBe(b!.id)
      expect(remote.allNodesOf()).toEqual([b!.id])
      remote.cast('tick')
      expect(await remote.call('tick')).toBe(2)
      expect(await remote.nodeRpc('Counter', 'peek', [], null)).toBe(2)
      expect(() => a!.module('Empty').myPid()).toThrow(NoPidError)
      await expect(a!.module('Empty').call('x')).rejects.toBeInstanceOf(NoPidError)
      await expect(a!.module('Empty').nodeRpc('Counter', 'peek', [])).rejects.toBeInstanceOf(NoNodeError)
    })

    it('tells every handler the node a message came from (fromNode), from the link and never from the message', async () => {
      const [a, b] = await mesh(2)
      const casts: string[] = []
      b!.register('who', b!.spawn({ handleCall: (_msg, ctx) => ctx.fromNode, handleCast: (msg, ctx) => void casts.push(`${String(msg)} from ${ctx.fromNode}`) }))
      await eventually(() => a!.allPidsOf('who').length === 1)
      // a plain node call, whatever the message claims
      expect(await a!.call('who', { fromNode: 'forged', from: 'forged', node: 'forged' })).toBe(a!.id)
      // from a process of a (ctx.call sets `from`, the link still says a)
      const relay = a!.spawn({ handleCall: (msg, ctx) => ctx.call('who', msg) })
      expect(await a!.call(relay, 'through a process')).toBe(a!.id)
      // a local send says the own node
      expect(await b!.call('who', 'local')).toBe(b!.id)
      a!.cast('who', 'a cast')
      await eventually(() => casts.length === 1)
      expect(casts).toEqual([`a cast from ${a!.id}`])
      // rpc: fromNode in the function's context
      b!.expose('Who', { who(this: { fromNode: string }) { return this.fromNode } })
      expect(await a!.doNodeRpc(b!.id, 'Who', 'who', [])).toBe(a!.id)
    })
  })
}
