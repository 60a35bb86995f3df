/** `channelFromPeer` against hostile input: every bad message is dropped with an error report. */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { DistributedError } from '../../../src/core/api/errors.js'
import { fakePair, randomBytes, receive } from '../../support/fake-peer.js'

describe('channelFromPeer: hostile input', () => {
  const start = (kind: number, total: number, ...data: number[]): Uint8Array => {
    const message = new Uint8Array(6 + data.length)
    message[0] = 0xfe
    message[1] = kind
    new DataView(message.buffer).setUint32(2, total)
    message.set(data, 6)
    return message
  }
  const cases: Array<[string, unknown[], string]> = [
    ['a continuation without a start', [new Uint8Array([0xfd, 1, 2, 3])], 'protocol'],
    ['a truncated start header', [new Uint8Array([0xfe, 0, 0])], 'protocol'],
    ['an unknown chunk kind', [start(7, 3, 1, 2, 3)], 'protocol'],
    ['a frame above maxMessageBytes', [start(1, 5000, 1), new Uint8Array([0xfd, 2])], 'too_large'],
    ['a start carrying more than its total', [start(1, 2, 1, 2, 3)], 'protocol'],
    ['a continuation overflowing the total', [start(1, 4, 1, 2), new Uint8Array([0xfd, 3, 4, 5])], 'protocol'],
    ['a stream cut by another message', [start(0, 10, 0x61), 'interloper'], 'protocol'],
    ['invalid UTF-8', [new Uint8Array([0xc3, 0x28, 0xa0])], 'protocol'],
    ['invalid UTF-8 in a chunked string', [start(0, 2, 0xc3), new Uint8Array([0xfd, 0x28])], 'protocol'],
    ['a chunked string ending inside a character', [start(0, 3, 0x61), new Uint8Array([0xfd, 0x62, 0xe2])], 'protocol'],
    ['a value that is not a message', [42], 'protocol'],
    ['null', [null], 'protocol'],
  ]
  for (const [name, messages, code] of cases) {
    it(`drops ${name}, reports it, and keeps working`, async () => {
      const { a, b, ca, cb, errors } = fakePair({ right: { maxMessageBytes: 1000 } })
      const frames: Array<string | Uint8Array> = []
      cb.onMessage((frame) => frames.push(frame))
      expect(() => {
        for (const message of messages) b.emit('data', message)
      }).not.toThrow()
      expect(errors.length).toBeGreaterThanOrEqual(1)
      expect(errors.every((error) => error instanceof DistributedError)).toBe(true)
      expect((errors[0] as DistributedError).code).toBe(code)
      const afterError = frames.filter((frame) => frame !== 'interloper')
      expect(afterError).toEqual([])
      const got = receive(cb, 2)
      ca.send('still fine')
      ca.send(randomBytes(3000, 9))
      const [text, bytes] = await got
      expect(text).toBe('still fine')
      expect(Array.from(bytes as Uint8Array)).toEqual(Array.from(randomBytes(3000, 9)))
      expect(a.destroyed || b.destroyed).toBe(false)
    })
  }

  it('drops the rest of a broken stream silently after reporting it once', () => {
    const { b, cb, errors } = fakePair({ right: { maxMessageBytes: 100 } })
    const frames: Array<string | Uint8Array> = []
    cb.onMessage((frame) => frames.push(frame))
    b.emit('data', start(1, 5000, 1))
    for (let i = 0; i < 50; i++) b.emit('data', new Uint8Array([0xfd, i]))
    expect(errors).toHaveLength(1)
    b.emit('data', new Uint8Array([0xff, 7]))
    expect(frames).toHaveLength(1)
    expect(Array.from(frames[0] as Uint8Array)).toEqual([7])
  })

  it('survives random bytes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.string({ maxLength: 10 })), { maxLength: 30 }), (messages) => {
        const { b, cb } = fakePair({ right: { maxMessageBytes: 64 } })
        const frames: Array<string | Uint8Array> = []
        cb.onMessage((frame) => frames.push(frame))
        for (const message of messages) b.emit('data', message)
        b.emit('data', 'sentinel')
        expect(frames.at(-1)).toBe('sentinel')
      }),
      { numRuns: 300 },
    )
  })

  it('reports an exception thrown by the frame handler and goes on delivering', async () => {
    const { ca, cb, errors } = fakePair()
    const frames: Array<string | Uint8Array> = []
    cb.onMessage((frame) => {
      frames.push(frame)
      if (frame === 'boom') throw new Error('handler failed')
    })
    ca.send('boom')
    ca.send('after')
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(frames).toEqual(['boom', 'after'])
    expect(errors.map((error) => error.message)).toEqual(['handler failed'])
  })

  it('takes memory as chunk data arrives, not as a header announces it', () => {
    const { b, cb, errors } = fakePair()
    cb.onMessage(() => {})
    const before = process.memoryUsage().arrayBuffers
    // 2,000 headers announcing 64 MiB each (the default limit), each cut off by the next
    for (let i = 0; i < 2000; i++) b.emit('data', start(1, 64 * 1024 * 1024 - 1, 1))
    const grown = process.memoryUsage().arrayBuffers - before
    expect(errors).toHaveLength(1999) // each stream cut off by the next START
    expect(grown).toBeLessThan(16 * 1024 * 1024)
  })
})
