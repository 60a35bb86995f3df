import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { utf8Length } from '../../../src/core/util/utf8.js'

const utf8 = new TextEncoder()

describe('utf8Length', () => {
  it('counts what TextEncoder writes, lone surrogates included (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        expect(utf8Length(text)).toBe(utf8.encode(text).byteLength)
      }),
      { numRuns: 2000 },
    )
    expect(utf8Length('\ud800')).toBe(3)
    expect(utf8Length('\udc00\ud800')).toBe(6)
    expect(utf8Length('aé€😀')).toBe(10)
    // longer than the scratch buffer, with characters cut at its edge
    const long = 'é'.repeat(40_000) + '😀'.repeat(20_000)
    expect(utf8Length(long)).toBe(utf8.encode(long).byteLength)
  })
})
