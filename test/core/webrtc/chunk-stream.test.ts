import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { OutgoingStream, utf8Length } from '../../../src/core/webrtc/chunk-stream.js'

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
  })
})

describe('OutgoingStream', () => {
  it('emits exactly the UTF-8 of a string, START then CONT messages within the room (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }), fc.integer({ min: 11, max: 64 }), (text, room) => {
        const expected = utf8.encode(text)
        const stream = OutgoingStream.ofString(text, utf8Length(text))
        const parts: number[] = []
        let first = true
        while (!stream.done) {
          const message = stream.next(room)
          expect(message.byteLength).toBeLessThanOrEqual(room)
          expect(message[0]).toBe(first ? 0xfe : 0xfd)
          parts.push(...message.subarray(first ? 6 : 1))
          first = false
        }
        expect(parts).toEqual(Array.from(expected))
      }),
      { numRuns: 500 },
    )
  })
})
