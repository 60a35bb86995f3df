import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { DistributedError } from '../../../src/core/api/errors.js'
import { channelFromPeer } from '../../../src/core/webrtc/data-channel.js'
import { FakeDataChannel, FakePeer, fakePair, messageBytes, randomBytes, receive, type TextDelivery, utf8 } from '../../support/fake-peer.js'

describe('channelFromPeer: framing', () => {
  it('sends a small string frame as the very same text message, with no prefix', async () => {
    const { a, ca, cb } = fakePair()
    const got = receive(cb, 1)
    ca.send('{"v":1,"type":"cast"}')
    expect(a.wire).toEqual(['{"v":1,"type":"cast"}'])
    expect(await got).toEqual(['{"v":1,"type":"cast"}'])
  })

  for (const delivery of ['bytes', 'string', 'stream'] as const) {
    it(`round-trips strings and binaries of every size class (text delivered as ${delivery})`, async () => {
      const { a, ca, cb } = fakePair({ delivery, left: { chunkSize: 64 }, right: { chunkSize: 64 } })
      const frames: Array<string | Uint8Array> = [
        '',
        '\uFEFFstarts with a BOM',
        'ascii that fits',
        'x'.repeat(64), // 64 bytes: exactly one message
        'y'.repeat(65), // one byte over: chunked
        'é'.repeat(1000),
        new Uint8Array(0),
        new Uint8Array([0xff, 0xfe, 0xfd, 0]),
        randomBytes(63, 1), // 63 + tag = 64: one message
        randomBytes(64, 2), // chunked
        randomBytes(5000, 3),
      ]
      const got = receive(cb, frames.length)
      for (const frame of frames) ca.send(frame)
      const received = await got
      expect(received).toHaveLength(frames.length)
      received.forEach((frame, i) => {
        const sent = frames[i]
        if (typeof sent === 'string') expect(frame).toBe(sent)
        else {
          expect(frame).toBeInstanceOf(Uint8Array)
          expect(Array.from(frame as Uint8Array)).toEqual(Array.from(sent!))
        }
      })
      for (const message of a.wire) expect(messageBytes(message)).toBeLessThanOrEqual(64)
    })
  }

  it('reads the data channel directly, after the messages simple-peer held before the channel was made', async () => {
    const a = new FakePeer(new FakeDataChannel(), 'stream', true)
    const b = new FakePeer(new FakeDataChannel(), 'stream', true)
    a.remote = b
    b.remote = a
    const ca = channelFromPeer(a)
    const big = randomBytes(40_000, 3)
    ca.send('early 1')
    ca.send(big)
    ca.send('early 2')
    a.pump() // held in b's stream: nothing reads it yet
    expect(b._readableState?.length).toBeGreaterThan(0)
    const cb = channelFromPeer(b)
    const got = receive(cb, 5)
    ca.send('direct 1') // arrives on the data channel while the held ones are still in the stream
    a.pump()
    ca.send(new Uint8Array([1, 2]))
    a.pump()
    const frames = await got
    expect(frames.slice(0, 1)).toEqual(['early 1'])
    expect(Array.from(frames[1] as Uint8Array)).toEqual(Array.from(big))
    expect(frames.slice(2, 4)).toEqual(['early 2', 'direct 1'])
    expect(Array.from(frames[4] as Uint8Array)).toEqual([1, 2])
    expect(b._readableState?.length).toBe(0)
    // text read directly stays a string all the way
    expect(typeof frames[3]).toBe('string')
  })

  it('cuts a long string only between characters, each message full but for one character', async () => {
    const chunkSize = 16
    const { a, ca, cb } = fakePair({ left: { chunkSize }, right: { chunkSize } })
    const text = 'a€😀b'.repeat(40) // 1, 3, 4 and 1 bytes per character
    const got = receive(cb, 1)
    ca.send(text)
    expect(await got).toEqual([text])
    const bytes = utf8.encode(text)
    let offset = 0
    for (const message of a.wire) {
      expect(message).toBeInstanceOf(Uint8Array)
      const header = (message as Uint8Array)[0] === 0xfe ? 6 : 1
      expect((bytes[offset]! & 0xc0) === 0x80).toBe(false) // starts a character
      offset += (message as Uint8Array).byteLength - header
      expect((message as Uint8Array).byteLength).toBeLessThanOrEqual(chunkSize)
      if (offset < bytes.byteLength) expect((message as Uint8Array).byteLength).toBeGreaterThan(chunkSize - 4)
    }
    expect(offset).toBe(bytes.byteLength)
  })

  it('reassembles characters that a sender cut in the middle', () => {
    const { b, cb, errors } = fakePair()
    const frames: Array<string | Uint8Array> = []
    cb.onMessage((frame) => frames.push(frame))
    const text = 'a€😀b'.repeat(5)
    const bytes = utf8.encode(text)
    const start = new Uint8Array([0xfe, 0, 0, 0, 0, 0, bytes[0]!])
    new DataView(start.buffer).setUint32(2, bytes.byteLength)
    b.emit('data', start)
    for (const byte of bytes.subarray(1)) b.emit('data', new Uint8Array([0xfd, byte])) // one byte per message
    expect(errors).toEqual([])
    expect(frames).toEqual([text])
  })

  it('round-trips any string and any binary for any chunk size (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.uint8Array({ maxLength: 700 })),
        fc.integer({ min: 16, max: 200 }),
        fc.constantFrom<TextDelivery>('bytes', 'string', 'stream'),
        async (frame, chunkSize, delivery) => {
          const { a, ca, cb } = fakePair({ delivery, left: { chunkSize }, right: { chunkSize } })
          const got = receive(cb, 1)
          ca.send(frame)
          const [received] = await got
          if (typeof frame === 'string') {
            // Lone surrogates cannot be encoded in UTF-8; like WebRTC itself, the wire replaces them.
            expect(received).toBe(new TextDecoder().decode(utf8.encode(frame)))
          } else {
            expect(Array.from(received as Uint8Array)).toEqual(Array.from(frame))
          }
          for (const message of a.wire) expect(messageBytes(message)).toBeLessThanOrEqual(chunkSize)
        },
      ),
      { numRuns: 150 },
    )
  })
})

describe('channelFromPeer: size limit', () => {
  it('throws too_large synchronously for an oversized frame and sends nothing', () => {
    const { a, ca } = fakePair({ left: { maxMessageBytes: 1000, chunkSize: 64 } })
    expect(() => ca.send('x'.repeat(1001))).toThrowError(DistributedError)
    try {
      ca.send('€'.repeat(334)) // 334 characters but 1002 bytes
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(DistributedError)
      expect((error as DistributedError).code).toBe('too_large')
    }
    expect(() => ca.send(new Uint8Array(1001))).toThrowError(/exceeds maxMessageBytes/)
    expect(a.wire).toHaveLength(0)
    expect(ca.bufferedAmount).toBe(0)
    ca.send('x'.repeat(1000)) // exactly the limit is fine
    expect(a.wire.length).toBeGreaterThan(0)
  })

  it('rejects invalid options', () => {
    const { a } = fakePair()
    expect(() => channelFromPeer(a, { chunkSize: 8 })).toThrowError(/chunkSize/)
    expect(() => channelFromPeer(a, { maxMessageBytes: 2 ** 32 })).toThrowError(/maxMessageBytes/)
    expect(() => channelFromPeer(a, { highWaterMark: 0 })).toThrowError(/highWaterMark/)
  })
})

describe('channelFromPeer: backpressure', () => {
  it('keeps bufferedAmount under highWaterMark and delivers everything in order', async () => {
    const { a, ca, cb } = fakePair({ manual: true, left: { chunkSize: 32, highWaterMark: 100 } })
    const dc = a._channel as FakeDataChannel
    expect(dc.bufferedAmountLowThreshold).toBe(50)
    const frames: Array<string | Uint8Array> = []
    for (let i = 0; i < 30; i++) frames.push(`frame ${i} ${'z'.repeat(i % 7)}`)
    frames.splice(10, 0, randomBytes(500, 4)) // a chunked frame in the middle
    frames.splice(20, 0, 'ü'.repeat(300))
    const got = receive(cb, frames.length)
    for (const frame of frames) ca.send(frame)
    // The data channel got only what fits; the rest waits in the channel's queue.
    expect(dc.bufferedAmount).toBeLessThanOrEqual(100)
    expect(ca.bufferedAmount).toBeGreaterThan(dc.bufferedAmount)
    const queuedAtStart = ca.bufferedAmount
    while (a.inFlightCount > 0) a.pump(1) // the network delivers one message at a time
    const received = await got
    expect(dc.maxBuffered).toBeLessThanOrEqual(100)
    expect(queuedAtStart).toBeGreaterThan(1000)
    expect(ca.bufferedAmount).toBe(0)
    expect(received.map((f) => (typeof f === 'string' ? f : Array.from(f).join()))).toEqual(
      frames.map((f) => (typeof f === 'string' ? f : Array.from(f).join())),
    )
  })

  it('falls back to polling when the data channel has no bufferedamountlow event', async () => {
    const { ca, cb } = fakePair({ pollOnly: true, left: { highWaterMark: 1000 } })
    const count = 2000
    const got = receive(cb, count)
    for (let i = 0; i < count; i++) ca.send(`message ${i}`)
    expect(ca.bufferedAmount).toBeGreaterThan(1000)
    const received = await got
    expect(received).toEqual(Array.from({ length: count }, (_, i) => `message ${i}`))
  })
})

describe('channelFromPeer: closing', () => {
  it('close() destroys the peer; both sides see onClose once; later sends are dropped', async () => {
    const { a, ca, cb } = fakePair()
    const closes: Array<[string, Error | undefined]> = []
    ca.onClose((error) => closes.push(['a', error]))
    cb.onClose((error) => closes.push(['b', error]))
    ca.close()
    ca.close()
    expect(a.destroyed).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(closes).toEqual([
      ['a', undefined],
      ['b', undefined],
    ])
    expect(() => ca.send('after close')).not.toThrow()
    expect(() => cb.send('after close')).not.toThrow()
    expect(a.wire).toHaveLength(0)
  })

  it('passes the peer error to onClose, once', async () => {
    const { a, ca } = fakePair()
    const closes: Array<Error | undefined> = []
    ca.onClose((error) => closes.push(error))
    a.destroy(new Error('ice failed')) // the peer emits 'error', then 'close'
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(closes).toHaveLength(1)
    expect(closes[0]?.message).toBe('ice failed')
  })

  it('calls an onClose handler registered after the close', async () => {
    const { a, ca } = fakePair()
    a.destroy(new Error('ice failed'))
    await new Promise((resolve) => setTimeout(resolve, 0))
    const closes: Array<Error | undefined> = []
    ca.onClose((error) => closes.push(error))
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(closes).toHaveLength(1)
    expect(closes[0]?.message).toBe('ice failed')
  })

  it('tears the link down when the data channel refuses a frame while open', async () => {
    const { a, ca } = fakePair()
    const closed = new Promise<Error | undefined>((resolve) => ca.onClose(resolve))
    a.send = () => {
      throw new Error('message too big for the transport')
    }
    expect(() => ca.send('hello')).not.toThrow()
    expect((await closed)?.message).toBe('message too big for the transport')
  })
})
