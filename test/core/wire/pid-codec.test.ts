import { describe, expect, it } from 'vitest'
import { decodeValue, encodeValue, Pid } from '../../../src/core/index.js'
import { parseUntrustedJson } from '../../../src/core/util/untrusted-json.js'

describe('Pid', () => {
  it('compares by value, incarnation included, and prints as <node.id.incarnation>', () => {
    const a = new Pid('tab-1', 7, 1234567)
    expect(a.equals(new Pid('tab-1', 7, 1234567))).toBe(true)
    expect(a.equals(new Pid('tab-1', 8, 1234567))).toBe(false)
    expect(a.equals(new Pid('tab-2', 7, 1234567))).toBe(false)
    expect(a.equals(new Pid('tab-1', 7, 1234568))).toBe(false)
    expect(String(a)).toBe('<tab-1.7.qglj>')
    expect(String(new Pid('n', 1, 0xffffffff))).toBe('<n.1.1z141z3>')
    expect(Object.isFrozen(a)).toBe(true)
  })

  it('refuses malformed parts', () => {
    expect(() => new Pid('', 1, 1)).toThrow(TypeError)
    expect(() => new Pid('n', -1, 1)).toThrow(TypeError)
    expect(() => new Pid('n', 1.5, 1)).toThrow(TypeError)
    expect(() => new Pid(3 as unknown as string, 1, 1)).toThrow(TypeError)
    expect(() => new Pid('n', 1, -1)).toThrow(TypeError)
    expect(() => new Pid('n', 1, 2 ** 32)).toThrow(TypeError)
    expect(() => new Pid('n', 1, undefined as unknown as number)).toThrow(TypeError)
  })
})

describe('codec', () => {
  it('round-trips pids and rich values through JSON text', () => {
    const value = { pid: new Pid('n', 3, 99), list: [new Pid('m', 1, 7)], at: new Date(5), m: new Map([['k', new Set([1n])]]), u: undefined }
    const back = decodeValue(JSON.parse(JSON.stringify(encodeValue(value)))) as typeof value
    expect(back.pid).toBeInstanceOf(Pid)
    expect(back.pid.equals(value.pid)).toBe(true)
    expect(back.list[0]!.equals(new Pid('m', 1, 7))).toBe(true)
    expect(back.list[0]!.equals(new Pid('m', 1, 8))).toBe(false)
    expect(back.at).toEqual(new Date(5))
    expect(back.m.get('k')).toEqual(new Set([1n]))
    expect('u' in back).toBe(true)
  })

  it('keeps values JSON alone would change, whichever encoding path they take', () => {
    class Point {
      constructor(readonly x: number) {}
    }
    const cases: unknown[] = [
      -0,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      { a: undefined, b: 1 },
      [1, undefined, 3],
      { nested: { deep: [new Date(1), 2n] } },
      Object.assign(Object.create(null), { x: 1 }),
      'plain',
      { plain: ['json', 1, true, null] },
    ]
    for (const value of cases) {
      const back = decodeValue(JSON.parse(JSON.stringify(encodeValue(value))))
      expect(back).toEqual(value)
      if (typeof value === 'number') expect(Object.is(back, value)).toBe(true)
    }
    expect(encodeValue({ plain: [1, 'a'] })).toEqual({ json: { plain: [1, 'a'] } })
    // an instance of a class the encoding does not know would arrive as a plain object: refused
    expect(() => encodeValue(new Point(3))).toThrow(/^value is an instance of Point/)
    const cyclic: Record<string, unknown> = { name: 'loop' }
    cyclic.self = cyclic
    const again = decodeValue(JSON.parse(JSON.stringify(encodeValue(cyclic)))) as Record<string, unknown>
    expect(again.self).toBe(again)
  })

  it('throws on a malformed custom pid value', () => {
    expect(() => decodeValue({ json: 5, meta: { values: [['custom', 'Pid']] } })).toThrow()
    expect(() => decodeValue({ json: ['n', -4], meta: { values: [['custom', 'Pid']] } })).toThrow()
  })

  it('drops __proto__, constructor and prototype keys from untrusted JSON at any depth', () => {
    const parsed = parseUntrustedJson('{"a":{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}},"ok":2}}') as {
      a: Record<string, unknown>
    }
    expect(Object.keys(parsed.a)).toEqual(['ok'])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.getPrototypeOf(parsed.a)).toBe(Object.prototype)
  })
})
