/**
 * Payloads built to cost super-linear CPU or to smuggle keys past the parser: superjson
 * `meta` of the wrong shape, shared references, huge BigInts, `\u`-escaped forbidden keys.
 * Each is refused (or cleaned) in time linear in its size, by `decodeValue` and
 * `parseUntrustedJson` directly and by a node that receives it from a hostile peer.
 */
import { SuperJSON } from 'superjson'
import { afterEach, describe, expect, it } from 'vitest'
import { ATTACHMENTS, DEFAULT_MAX_BIGINT_DIGITS, decodeValue, encodeValue, type Payload } from '../../../src/core/wire/codec.js'
import { parseUntrustedJson } from '../../../src/core/util/untrusted-json.js'
import type { DistNode } from '../../../src/core/index.js'
import { PROTOCOL_VERSION as v } from '../../../src/core/wire/protocol.js'
import { eventually } from '../../support/eventually.js'
import { hostilePeer, timed } from '../../support/hostile-peer.js'

const open: DistNode[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close()))
})

/** A payload as it arrives: through JSON text. */
const wire = (payload: unknown): Payload => JSON.parse(JSON.stringify(payload)) as Payload

/** The fastest of a few runs of `fn` (fewer when one run is slow), in milliseconds. */
async function cost(fn: () => unknown): Promise<number> {
  let best = Number.POSITIVE_INFINITY
  let spent = 0
  for (let i = 0; i < 3 && spent < 1500; i++) {
    const ms = await timed(fn)
    best = Math.min(best, ms)
    spent += ms
  }
  return best
}

const swallow = (fn: () => unknown) => (): void => {
  try {
    fn()
  } catch {
    // refused, as expected
  }
}

/** 1 KB that superjson expands to a tree of 2^depth leaves: every `b` is the `a` beside it. */
function doubling(depth: number): Payload {
  const json: Record<string, unknown> = {}
  const refs: Record<string, string[]> = {}
  let level = json
  const path: string[] = []
  for (let i = 0; i < depth; i++) {
    const next: Record<string, unknown> = {}
    level.a = next
    level.b = null
    refs[[...path, 'a'].join('.')] = [[...path, 'b'].join('.')]
    path.push('a')
    level = next
  }
  return wire({ json, meta: { referentialEqualities: refs, v: 1 } })
}

async function victim() {
  const h = await hostilePeer({ as: 'evil' })
  open.push(h.node)
  return h
}

describe('meta is checked before anything is decoded', () => {
  it('refuses every meta superjson would not have written, with a TypeError', () => {
    const bad: Array<[unknown, unknown]> = [
      [1, { values: 'abc' }],
      [1, { values: 5 }],
      [[1], { values: { 0: 'Date' } }],
      [1, { values: [] }],
      ['x', { values: ['Date', 'x'] }],
      ['x', { values: ['Date', {}, 3] }],
      [1, { values: [['custom', 'Nope']] }],
      [{}, { values: [['class', 'Object']] }],
      ['s', { values: [['symbol', 's']] }],
      [[1], { values: [['typed-array', 'BigInt64Array']] }],
      [1, { values: ['bogus'] }],
      [{}, { values: { a: ['Date'] } }],
      [{ a: 5 }, { values: { a: ['Date'] } }],
      [{ a: 'x' }, { values: { 'a.b': ['Date'] } }],
      [[1], { values: { 1: ['undefined'] } }],
      [[null], { values: { '01': ['undefined'] } }],
      [{ 'a\\q': null }, { values: { 'a\\q': ['undefined'] }, v: 1 }],
      [{}, { values: { constructor: ['undefined'] } }],
      [{ a: 1 }, { values: { a: ['undefined'] } }],
      ['12abc', { values: ['bigint'] }],
      ['0x1f', { values: ['bigint'] }],
      ['1e3', { values: ['number'] }],
      [[[1]], { values: ['map'] }],
      [['k'], { values: ['map'] }],
      [{ name: 1, message: 'm' }, { values: ['Error'] }],
      ['abc', { values: ['regexp'] }],
      ['/(/', { values: ['regexp'] }],
      [['a'], { values: [['typed-array', 'Float64Array']] }],
      [1, { values: ['Date', { '': ['Date'] }] }],
      [1, { referentialEqualities: 'x' }],
      [{ a: {} }, { referentialEqualities: { a: 'b' } }],
      [{ a: {} }, { referentialEqualities: { a: [] } }],
      [{ a: {} }, { referentialEqualities: { a: ['nope'] } }],
      [{ a: {}, b: {} }, { referentialEqualities: { a: ['b'], b: ['a'] } }],
      [{ a: {}, b: {} }, { referentialEqualities: { a: ['b', 'b'] } }],
      [{ a: {} }, { referentialEqualities: [['a'], 'x'] }],
      [{ a: {} }, { referentialEqualities: [[5]] }],
      [1, { v: 2 }],
      [1, { values: ['undefined'], extra: true }],
      [1, []],
      [1, 'meta'],
    ]
    for (const [json, meta] of bad) {
      expect(() => decodeValue(wire({ json, meta })), JSON.stringify(meta).slice(0, 80)).toThrow(TypeError)
    }
    // sets in sets 100,000 deep, each annotated: past the depth superjson can write
    const n = 100_000
    const deep = `{"json":${'['.repeat(n)}${']'.repeat(n)},"meta":{"values":${'["set",{"0":'.repeat(n - 1)}["set"]${'}]'.repeat(n - 1)}}}`
    expect(() => decodeValue(JSON.parse(deep) as Payload)).toThrow(TypeError)
  })

  it('a string where an object belongs costs no more than a well-formed meta', async () => {
    const hostile = Array.from({ length: 100 }, (_, i) => wire({ json: { i }, meta: { values: 'ab'.repeat(i + 1) } }))
    const ms = await timed(() => hostile.forEach((p) => expect(() => decodeValue(p)).toThrow(TypeError)))
    // superjson on its own recursed until the stack overflowed: tens of ms each
    expect(ms).toBeLessThan(500)
  })

  it('annotations under a long path cost linear time (superjson walked the path again for each)', async () => {
    const depth = 5000
    const dates = Array.from({ length: depth }, () => '"1970-01-01T00:00:00.000Z"').join(',')
    const children = Array.from({ length: depth }, (_, i) => `"${i}":["Date"]`).join(',')
    const path = Array.from({ length: depth }, () => 'a').join('.')
    const text = `{"json":${'{"a":'.repeat(depth)}[${dates}]${'}'.repeat(depth)},"meta":{"values":{"${path}":["set",{${children}}]},"v":1}}`
    let value: unknown
    const ms = await cost(() => (value = decodeValue(JSON.parse(text) as Payload)))
    let inner = value as { a: unknown }
    for (let i = 0; i < depth; i++) inner = inner.a as { a: unknown }
    expect(inner).toBeInstanceOf(Set)
    expect([...(inner as unknown as Set<Date>)].every((d) => d instanceof Date && d.getTime() === 0)).toBe(true)
    expect(ms).toBeLessThan(500) // 250 KB: superjson took about 2 s
  })

  it('annotations resolve to values, never to what superjson would walk on its own', () => {
    // a flattened path through a Set and two bin annotations on one attachment
    expect(() => decodeValue(wire({ json: { s: [1, 2] }, meta: { values: { s: ['set'], 's.5': ['Date'] } } }))).toThrow(TypeError)
    const twice = { ...wire({ json: [0, 0], meta: { values: { 0: [['custom', 'bin']], 1: [['custom', 'bin']] } }, b: 1 }), [ATTACHMENTS]: [new Uint8Array(8)] }
    expect(() => decodeValue(twice)).toThrow(TypeError)
  })

  it('a batch of casts with meta of the wrong shape is dropped at once, the node keeps serving', async () => {
    const h = await victim()
    const casts: unknown[] = []
    const target = h.node.spawn({ handleCast: (m) => void casts.push(m) })
    const hostile = { v, t: 'cast', to: target.id, msg: { json: { n: 1 }, meta: { values: 'xy' } } }
    const batch = Array.from({ length: 1200 }, () => hostile) // about 82 KB
    const ms = await timed(async () => {
      h.send(batch)
      h.send({ v, t: 'cast', to: target.id, msg: encodeValue({ at: new Date(7) }) })
      await eventually(() => casts.length === 1, 30_000, 'the well-formed cast')
    })
    expect(casts).toEqual([{ at: new Date(7) }])
    expect(h.errors.filter((e) => /undecodable cast message: TypeError/.test(e))).toHaveLength(batch.length)
    expect(ms).toBeLessThan(2000) // superjson alone spent 7-8 s of CPU on it
    expect(h.node.nodes()).toEqual(['evil'])
  })
})

describe('shared references', () => {
  it('refuses references that would multiply the value, in time linear in their size', async () => {
    expect(() => decodeValue(doubling(24))).toThrow(TypeError)
    const small = await cost(swallow(() => decodeValue(doubling(250))))
    const large = await cost(swallow(() => decodeValue(doubling(1000))))
    expect(large).toBeLessThan(small * 40 + 50) // 16× the bytes (paths are quadratic in depth)
  })

  it('keeps every shared reference and cycle encodeValue writes, as superjson reads them', () => {
    const inner = { p: 1 }
    const s = { t: inner, u: inner, at: new Date(3) }
    const cyclicMap = new Map<string, unknown>([['n', 1n]])
    cyclicMap.set('self', cyclicMap)
    const error = new Error('outer', { cause: new Error('inner') })
    const bytes = new Uint8Array([1, 2])
    const loop: Record<string, unknown> = { name: 'loop' }
    loop.self = loop
    const day = new Date(9)
    const shared = { list: [day, day], byName: new Map([['d', day]]), set: new Set([inner]), inner }
    const rest = { a: { deep: s }, b: s, url: new URL('https://example.org/x'), re: /a.b/gi, nums: new Float64Array([1.5, -2]), n: [Number.NaN, -0, Infinity] }
    const values = [loop, cyclicMap, error, shared, rest, { bytes, again: bytes }]
    for (const value of values) {
      const payload = encodeValue(value)
      const text = JSON.stringify(payload)
      const received = { ...(JSON.parse(text) as Payload), [ATTACHMENTS]: payload[ATTACHMENTS] ?? [] }
      const decoded = decodeValue(received)
      expect(JSON.stringify(received)).toBe(text) // the payload is not changed
      if (!('bytes' in value)) expect(decoded).toEqual(new SuperJSON().deserialize(JSON.parse(text) as never))
    }
    const back = (v: unknown) => decodeValue(wire(encodeValue(v))) as never
    const l: typeof loop = back(loop)
    expect(l.self).toBe(l)
    const m: typeof cyclicMap = back(cyclicMap)
    expect(m.get('self')).toBe(m)
    expect(m.get('n')).toBe(1n)
    const sh: typeof shared = back(shared)
    expect(sh.list[0]).toBe(sh.list[1])
    expect(sh.byName.get('d')).toBe(sh.list[0])
    expect([...sh.set][0]).toBe(sh.inner)
    const r: typeof rest = back(rest)
    expect(r.b).toBe(r.a.deep)
    expect(r.b.t).toBe(r.b.u)
    const e: Error = back(error)
    expect((e.cause as Error).message).toBe('inner')
  })

  it('shared values in a Map or a Set cost linear time (superjson counted to each row)', async () => {
    const rows = (n: number) => {
      const one = { s: 1 }
      return wire(encodeValue({ m: new Map(Array.from({ length: n }, (_, i) => [i, one])) }))
    }
    const small = rows(10_000)
    const large = rows(40_000)
    const a = await cost(() => decodeValue(small))
    const b = await cost(() => decodeValue(large))
    expect(b).toBeLessThan(a * 9 + 30) // 4× the rows: 4× the time, not 16×
    const paths = (n: number) => {
      const identicals = Array.from({ length: n }, (_, i) => `s.${n - 1 - i}`)
      return wire({ json: { s: Array.from({ length: n }, (_, i) => i), a: 1 }, meta: { values: { s: ['set'] }, referentialEqualities: { a: identicals } } })
    }
    const c = await cost(swallow(() => decodeValue(paths(10_000))))
    const d = await cost(swallow(() => decodeValue(paths(40_000))))
    expect(d).toBeLessThan(c * 9 + 30)
  }, 60_000)

  it('a call whose message would multiply is answered with badarg at once', async () => {
    const h = await victim()
    const echo = h.node.spawn({ handleCall: (m) => m })
    const ms = await timed(async () => {
      h.send({ v, t: 'call', ref: 1, to: echo.id, msg: doubling(23) })
      await eventually(() => h.received.some((f) => f.t === 'reply'), 30_000, 'the reply')
    })
    expect(h.received.find((f) => f.t === 'reply')).toMatchObject({ ref: 1, ok: false, error: { code: 'badarg' } })
    expect(ms).toBeLessThan(1000)
    // the same shape written out in full, as encodeValue does, is a value like any other
    const dag = (depth: number): unknown => (depth === 0 ? { at: new Date(1) } : ((x) => ({ a: x, b: x }))(dag(depth - 1)))
    h.send({ v, t: 'call', ref: 2, to: echo.id, msg: encodeValue(dag(8)) })
    await eventually(() => h.received.some((f) => f.ref === 2), 5000, 'the second reply')
    const reply = h.received.find((f) => f.ref === 2) as { ok: boolean; value: Payload }
    expect(reply.ok).toBe(true)
    expect(decodeValue(reply.value)).toEqual(dag(8))
  })
})

describe('BigInt', () => {
  it(`refuses more than maxBigIntDigits digits (default ${DEFAULT_MAX_BIGINT_DIGITS}) before calling BigInt`, async () => {
    const big = (digits: number, sign = '') => wire({ json: sign + '7'.repeat(digits), meta: { values: ['bigint'] } })
    expect(decodeValue(big(DEFAULT_MAX_BIGINT_DIGITS, '-'))).toBe(-BigInt('7'.repeat(DEFAULT_MAX_BIGINT_DIGITS)))
    expect(() => decodeValue(big(DEFAULT_MAX_BIGINT_DIGITS + 1))).toThrow(TypeError)
    expect(decodeValue(big(10, '-'), { maxBigIntDigits: 10 })).toBe(-7777777777n)
    expect(() => decodeValue(big(11), { maxBigIntDigits: 10 })).toThrow(TypeError)
    expect(decodeValue(big(20_000), { maxBigIntDigits: 20_000 })).toBe(BigInt('7'.repeat(20_000)))
    // 8 M digits cost about what a string of the same size costs
    const text = JSON.stringify({ json: { n: '7'.repeat(8_000_000), at: '1970-01-01T00:00:00.000Z' }, meta: { values: { n: ['bigint'] } } })
    const same = text.replace('"bigint"', '"Date"').replace('{"n":["Date"]}', '{"at":["Date"]}')
    const refused = await cost(swallow(() => decodeValue(JSON.parse(text) as Payload)))
    const plain = await cost(() => decodeValue(JSON.parse(same) as Payload))
    expect(refused).toBeLessThan(plain * 3 + 50)
  })

  it('a cast with a BigInt of 8 M digits is dropped at once', async () => {
    const h = await victim()
    const casts: unknown[] = []
    const target = h.node.spawn({ handleCast: (m) => void casts.push(m) })
    const ms = await timed(async () => {
      h.send({ v, t: 'cast', to: target.id, msg: { json: '9'.repeat(8_000_000), meta: { values: ['bigint'] } } })
      h.send({ v, t: 'cast', to: target.id, msg: encodeValue(12n) })
      await eventually(() => casts.length === 1, 30_000, 'the small cast')
    })
    expect(casts).toEqual([12n])
    expect(h.errors.some((e) => /undecodable cast message: TypeError: .*digits/.test(e))).toBe(true)
    expect(ms).toBeLessThan(1000)
  })
})

describe('keys written with \\u escapes', () => {
  // no forbidden word is written out anywhere in this text
  const escaped = '{"a":{"\\u005f_proto__":{"polluted":1},"\\u0063onstructor":{"x":1},"pro\\u0074otype":1,"ok":2}}'

  it('parseUntrustedJson drops forbidden keys however they are written', () => {
    const parsed = parseUntrustedJson(escaped) as { a: Record<string, unknown> }
    expect(Object.keys(parsed.a)).toEqual(['ok'])
    expect(Object.getPrototypeOf(parsed.a)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(parseUntrustedJson('{"k":"caf\\u00e9 \\\\u","constructors":1}')).toEqual({ k: 'café \\u', constructors: 1 })
  })

  it('stays linear, and text with neither a forbidden word nor an escape is parsed as fast as JSON.parse', async () => {
    const text = (n: number, key: string) =>
      JSON.stringify(Array.from({ length: n }, (_, i) => ({ KEY: i, id: `item-${i}`, tags: ['a', 'b'] }))).replaceAll('"KEY"', `"${key}"`)
    const plain = text(50_000, 'name')
    const direct = await cost(() => JSON.parse(plain))
    const checked = await cost(() => parseUntrustedJson(plain))
    expect(checked).toBeLessThan(direct * 2 + 10)
    const [short, long] = [text(20_000, '\\u0063onstructor'), text(80_000, '\\u0063onstructor')]
    expect(Object.keys((parseUntrustedJson(short) as object[])[0]!)).toEqual(['id', 'tags'])
    const a = await cost(() => parseUntrustedJson(short))
    const b = await cost(() => parseUntrustedJson(long))
    expect(b).toBeLessThan(a * 9 + 30)
  })

  it('a message with escaped forbidden keys reaches its handler without them', async () => {
    const h = await victim()
    const casts: unknown[] = []
    const target = h.node.spawn({ handleCast: (m) => void casts.push(m) })
    h.send(`{"v":${v},"t":"cast","to":${target.id},"msg":{"json":${escaped}}}`)
    h.send(`{"v":${v},"t":"cast","to":${target.id},"msg":{"json":{"at":"1970-01-01T00:00:00.005Z","\\u0063onstructor":{"polluted":1}},"meta":{"values":{"at":["Date"]}}}}`)
    await eventually(() => casts.length === 2, 5000, 'both casts')
    expect(Object.keys((casts[0] as { a: object }).a)).toEqual(['ok'])
    expect(casts[1]).toEqual({ at: new Date(5) })
    expect(Object.hasOwn(casts[1] as object, 'constructor')).toBe(false)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})
