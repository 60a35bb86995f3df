import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { utf8Length } from '../../../src/core/util/utf8.js'
import { chunkMessage, OutgoingStream } from '../../../src/core/wire/chunk-stream.js'

const utf8 = new TextEncoder()

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
          for (const byte of message.subarray(first ? 6 : 1)) parts.push(byte)
          first = false
        }
        expect(parts).toEqual(Array.from(expected))
      }),
      { numRuns: 500 },
    )
  })
})

describe('chunkMessage', () => {
  it('sends a string whole only when its UTF-8 fits the chunk size, whatever sizes other channels use', () => {
    const big = 64 * 1024
    expect(chunkMessage('a'.repeat(40_000), big, 1 << 20)).toBe('a'.repeat(40_000)) // another channel's larger chunks
    expect(chunkMessage('é'.repeat(400), 1000, 1 << 20)).toBe('é'.repeat(400)) // 800 bytes
    expect(chunkMessage('é'.repeat(600), 1000, 1 << 20)).toBeInstanceOf(OutgoingStream) // 1200 bytes
    expect(chunkMessage('€'.repeat(334), 1000, 1 << 20)).toBeInstanceOf(OutgoingStream) // 1002 bytes
    expect(chunkMessage('€'.repeat(333), 1000, 1 << 20)).toBe('€'.repeat(333)) // 999 bytes
  })
})
