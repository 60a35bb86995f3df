/**
 * Values that cannot arrive as they were sent are refused at the sender with a
 * `BadArgError` naming where they are, for a process of another node and of the same node
 * alike; values that travel arrive equal, and a local message or reply is a copy, as a
 * remote one is.
 */
import SuperJSON from 'superjson'
import { afterEach, describe, expect, it } from 'vitest'
import { BadArgError, BadRpcError, createMemoryChannelPair, createNode, type DistNode, Pid, ProtocolError, TimeoutError } from '../../../src/core/index.js'
import { decodeValue, encodeValue } from '../../../src/core/wire/codec.js'

const open: DistNode[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close()))
})

/** Two linked nodes: `a` sends, `b` holds the targets; `local` is a process of `a` itself. */
async function pair(behaviour: Parameters<DistNode['spawn']>[0] = { handleCall: (msg) => msg }): Promise<{ a: DistNode; b: DistNode; remote: Pid; local: Pid }> {
  const a = createNode({ id: 'a' })
  const b = createNode({ id: 'b' })
  open.push(a, b)
  const [x, y] = createMemoryChannelPair()
  await Promise.all([a.link(x), b.link(y)])
  return { a, b, remote: b.spawn(behaviour), local: a.spawn(behaviour) }
}

class Player {
  constructor(readonly name: string) {}
}
class Secret {
  readonly #key = 1
  key(): number {
    return this.#key
  }
}

/** Each value, and the start of the error its sender gets. */
function cannotTravel(): Array<[unknown, string]> {
  const sparse: unknown[] = [1, 2, 3, 4]
  delete sparse[3]
  const detached = new ArrayBuffer(8)
  structuredClone(detached, { transfer: [detached] })
  let deep: unknown = 1
  for (let i = 0; i < 100_000; i++) deep = { a: deep }
  const cyclic: Record<string, unknown> = { name: 'loop' }
  cyclic.self = cyclic
  cyclic.bad = () => 1
  return [
    [{ player: () => 'x' }, 'msg.player is a function'],
    [() => 1, 'msg is a function'],
    [{ seat: Symbol('s') }, 'msg.seat is a Symbol'],
    [{ items: [1, 2, 3, Symbol.iterator] }, 'msg.items[3] is a Symbol'],
    [{ who: new Player('ann') }, 'msg.who is an instance of Player'],
    [new Secret(), 'msg is an instance of Secret'],
    [{ node: new EventTarget() }, 'msg.node is an instance of EventTarget'],
    [{ w: new WeakMap() }, 'msg.w is an instance of WeakMap'],
    [{ w: new WeakSet() }, 'msg.w is an instance of WeakSet'],
    [{ p: Promise.resolve(1) }, 'msg.p is an instance of Promise'],
    [{ buffer: new ArrayBuffer(4) }, 'msg.buffer is an instance of ArrayBuffer'],
    [{ buffer: detached }, 'msg.buffer is an instance of ArrayBuffer'],
    [{ buffer: new SharedArrayBuffer(4) }, 'msg.buffer is an instance of SharedArrayBuffer'],
    [{ view: new DataView(new ArrayBuffer(4)) }, 'msg.view is an instance of DataView'],
    [{ big: new BigInt64Array(2) }, 'msg.big is an instance of BigInt64Array'],
    [{ n: new Number(3) }, 'msg.n is an instance of Number'],
    [{ list: sparse }, 'msg.list[3] is an empty slot of a sparse array'],
    [{ at: new Date(Number.NaN) }, 'msg.at is an invalid Date'],
    [{ m: new Map([['k', { f: () => 1 }]]) }, 'msg.m.entries()[0][1].f is a function'],
    [{ m: new Map<unknown, number>([[1, 1], [Symbol('k'), 1]]) }, 'msg.m.entries()[1][0] is a Symbol'],
    [{ s: new Set([1, Symbol('x')]) }, 'msg.s.values()[1] is a Symbol'],
    [{ e: new Error('x', { cause: () => 1 }) }, 'msg.e.cause is a function'],
    [JSON.parse('{"__proto__": 1}'), 'msg.__proto__ is a key'],
    [{ constructor: 'x' }, 'msg.constructor is a key'],
    [{ prototype: 'x' }, 'msg.prototype is a key'],
    [cyclic, 'msg.bad is a function'],
    [deep, 'msg cannot be encoded: Maximum call stack size exceeded'],
  ]
}

describe('values that cannot travel', () => {
  it('a call to another node rejects and a cast throws BadArgError, naming the path; nothing is sent', async () => {
    const seen: unknown[] = []
    const { a, remote } = await pair({ handleCall: (msg) => msg, handleCast: (msg) => void seen.push(msg) })
    for (const [value, start] of cannotTravel()) {
      const error = await a.call(remote, value).then(() => undefined, (e: unknown) => e)
      expect(error, start).toBeInstanceOf(BadArgError)
      expect((error as Error).message.startsWith(start), `${(error as Error).message} starts with ${start}`).toBe(true)
      expect(() => a.cast(remote, value), start).toThrow(BadArgError)
    }
    expect(await a.call(remote, 'still linked')).toBe('still linked')
    expect(seen).toEqual([])
  })

  it('a call or cast to a process of the same node fails the same way, with the same message', async () => {
    const seen: unknown[] = []
    const { a, remote, local } = await pair({ handleCall: (msg) => msg, handleCast: (msg) => void seen.push(msg) })
    for (const [value, start] of cannotTravel()) {
      const there = await a.call(remote, value).then(() => undefined, (e: unknown) => e)
      const here = await a.call(local, value).then(() => undefined, (e: unknown) => e)
      expect(here, start).toBeInstanceOf(BadArgError)
      expect((here as Error).message).toBe((there as Error).message)
      expect(() => a.cast(local, value), start).toThrow((there as Error).message)
    }
    await new Promise((r) => setTimeout(r, 10))
    expect(seen).toEqual([])
  })

  it('a reply that cannot travel rejects the call with BadArgError and is reported on the handler’s node', async () => {
    const { a, b, remote } = await pair({ handleCall: () => ({ ok: true, then: 1, seat: Symbol('s') }) })
    const local = b.spawn({ handleCall: () => ({ ok: true, then: 1, seat: Symbol('s') }) })
    const errors: ProtocolError[] = []
    b.on('error', (e) => errors.push(e))
    const there = await a.call(remote, 'sit').then(() => undefined, (e: unknown) => e)
    expect(there).toBeInstanceOf(BadArgError)
    expect((there as Error).message).toMatch(/^reply\.seat is a Symbol/)
    const here = await b.call(local, 'sit').then(() => undefined, (e: unknown) => e)
    expect(here).toBeInstanceOf(BadArgError)
    expect((here as Error).message).toBe((there as Error).message)
    expect(errors).toHaveLength(2)
    expect(errors.every((e) => e instanceof ProtocolError && e.message.includes('reply.seat is a Symbol'))).toBe(true)
  })

  it('rpc: arguments that cannot travel reject BadArgError; a result that cannot, BadRpcError badarg', async () => {
    const { a, b } = await pair()
    for (const n of [a, b]) n.expose('M', { echo: (x: unknown) => x, bad: () => ({ items: [0, () => 1] }) })
    for (const target of ['a', 'b']) {
      const args = await a.doNodeRpc(target, 'M', 'echo', [{ f: () => 1 }]).then(() => undefined, (e: unknown) => e)
      expect(args, target).toBeInstanceOf(BadArgError)
      expect((args as Error).message).toMatch(/^args\[0\]\.f is a function/)
      const result = await a.doNodeRpc(target, 'M', 'bad', []).then(() => undefined, (e: unknown) => e)
      expect(result, target).toBeInstanceOf(BadRpcError)
      expect(result).toMatchObject({ reason: 'badarg' })
      expect((result as Error).message).toMatch(/result\.items\[1\] is a function/)
    }
  })

  it('encodeValue names the root it is given and throws BadArgError', () => {
    expect(() => encodeValue({ f: () => 1 })).toThrow(BadArgError)
    expect(() => encodeValue({ f: () => 1 }, 'reply')).toThrow(/^reply\.f is a function/)
  })
})

describe('values that travel', () => {
  /** What a value is like once it arrived: the same for a process of this node and of another. */
  function travelling(): unknown[] {
    const shared = new SharedArrayBuffer(4)
    const cyclic: Record<string, unknown> = { name: 'loop' }
    cyclic.self = cyclic
    return [
      { text: 'x', n: 1.5, ok: true, none: null, list: [1, [2, [3]]] },
      { u: undefined, nan: Number.NaN, inf: -Infinity, zero: -0, big: 10n ** 30n },
      { at: new Date(5), re: /a+/gi, url: new URL('https://example.org/a?b'), m: new Map([[{ k: 1 }, new Set([1])]]) },
      { bytes: new Uint8Array([1, 2]), words: new Int16Array([1, -2]), floats: new Float64Array([0.5]) },
      { onShared: new Int16Array(shared), bytesOnShared: new Uint8Array(shared) },
      { pid: new Pid('n', 3, 7) },
      { long: 'y'.repeat(70_000) },
      Object.assign(Object.create(null) as object, { bare: 1 }),
      cyclic,
    ]
  }

  it('arrive equal, locally and remotely', async () => {
    const { a, remote, local } = await pair()
    for (const value of travelling()) {
      const there = await a.call(remote, value)
      const here = await a.call(local, value)
      expect(here).toEqual(there)
      expect(there).toEqual(value)
    }
    // a Buffer arrives as a Uint8Array, an Error of any class as an Error with its name and message
    for (const target of [remote, local]) {
      const error = await a.call<Error>(target, new RangeError('out', { cause: 7 }))
      expect(error).toBeInstanceOf(Error)
      expect(error).toMatchObject({ name: 'RangeError', message: 'out', cause: 7 })
      const bytes = await a.call(target, Buffer.from('hi'))
      expect(bytes).toEqual(new Uint8Array([104, 105]))
      expect(Buffer.isBuffer(bytes)).toBe(false)
    }
  })

  it('a local message and its reply are copies, as they are for another node', async () => {
    const state = { seats: ['ann'] }
    const { a, remote, local } = await pair({
      handleCall: (msg) => {
        ;(msg as { n: number }).n = 99
        return state
      },
    })
    for (const target of [local, remote]) {
      const msg = { n: 1, bytes: new Uint8Array([1]) }
      const reply = await a.call<typeof state>(target, msg)
      expect(msg.n).toBe(1)
      expect(reply).toEqual(state)
      expect(reply).not.toBe(state)
      reply.seats.push('bob')
      expect(state.seats).toEqual(['ann'])
    }
    const bytes = new Uint8Array([1, 2])
    const arrived = await a.call<Uint8Array>(a.spawn({ handleCall: (msg) => msg }), bytes)
    expect(arrived).toEqual(bytes)
    expect(arrived).not.toBe(bytes)
  })
})

describe('a local call’s timeout', () => {
  it('fires for a call whose handler never answers, for one waiting behind it, and for a process calling itself', async () => {
    const n = createNode({ id: 't' })
    open.push(n)
    const p = n.spawn({ handleCall: (msg) => (msg === 'hang' ? new Promise(() => {}) : msg) })
    const first = n.call(p, 'hang', 30)
    const second = n.call(p, 'quick', 30)
    await Promise.all([expect(first).rejects.toBeInstanceOf(TimeoutError), expect(second).rejects.toBeInstanceOf(TimeoutError)])
    const self = n.spawn({ handleCall: (msg, ctx) => (msg === 'again' ? 1 : ctx.call(ctx.self, 'again', 30)) })
    await expect(n.call(self, 'go')).rejects.toMatchObject({ remoteName: 'TimeoutError' })
    const quick = n.spawn({ handleCall: (msg) => msg })
    expect(await n.call(quick, 'at once', 30)).toBe('at once')
  })
})

describe('classes registered with superjson', () => {
  class Vec {
    constructor(
      readonly x: number,
      readonly at: Date,
    ) {}
    length(): number {
      return this.x
    }
  }
  SuperJSON.registerClass(Vec, 'test.Vec')

  it('travel as instances of their class, locally and remotely; what they hold is checked too', async () => {
    const { a, remote, local } = await pair()
    for (const target of [remote, local]) {
      const back = await a.call<{ v: Vec; list: Vec[] }>(target, { v: new Vec(3, new Date(1)), list: [new Vec(4, new Date(2))] })
      expect(back.v).toBeInstanceOf(Vec)
      expect(back.v.length()).toBe(3)
      expect(back.v.at).toEqual(new Date(1))
      expect(back.list[0]!.length()).toBe(4)
      const error = await a.call(target, { v: new Vec(Symbol('x') as never, new Date(1)) }).then(() => undefined, (e: unknown) => e)
      expect(error).toBeInstanceOf(BadArgError)
      expect((error as Error).message).toMatch(/^msg\.v\.x is a Symbol/)
    }
  })

  it('a receiver builds only classes registered where it runs', () => {
    const payload = encodeValue({ v: new Vec(1, new Date(0)) })
    expect(JSON.stringify(payload.meta)).toContain('test.Vec')
    const wire = (name: string) => JSON.parse(JSON.stringify(payload).replace('test.Vec', name)) as typeof payload
    expect(decodeValue(wire('test.Vec'))).toEqual({ v: new Vec(1, new Date(0)) })
    expect(() => decodeValue(wire('test.Other'))).toThrow(/unknown annotation/)
  })
})
