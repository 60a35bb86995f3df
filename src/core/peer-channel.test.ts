import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { channelFromPeer, type PeerChannelOptions } from './peer-channel.js'
import type { Channel } from './channel.js'
import type { DataChannelLike, PeerLike } from './signaling.js'
import { DistributedError } from './errors.js'

const utf8 = new TextEncoder()

/**
 * How the fake delivers messages: through the peer's 'data' event with text as bytes
 * (simple-peer in Node and in its browser bundle) or as strings, or on the data channel's
 * `onmessage` like a real RTCDataChannel (text as a string, binary as an ArrayBuffer).
 */
type TextDelivery = 'bytes' | 'string' | 'direct'

/** A Uint8Array subclass, as Node's Buffer is. */
class BufferLike extends Uint8Array {}

class FakeDataChannel implements DataChannelLike {
  bufferedAmount = 0
  bufferedAmountLowThreshold = 0
  maxBuffered = 0
  readyState = 'open'
  private readonly lowListeners = new Set<() => void>()

  addEventListener(_type: 'bufferedamountlow', listener: () => void): void {
    this.lowListeners.add(listener)
  }

  removeEventListener(_type: 'bufferedamountlow', listener: () => void): void {
    this.lowListeners.delete(listener)
  }

  add(bytes: number): void {
    this.bufferedAmount += bytes
    this.maxBuffered = Math.max(this.maxBuffered, this.bufferedAmount)
  }

  remove(bytes: number): void {
    const before = this.bufferedAmount
    this.bufferedAmount -= bytes
    const threshold = this.bufferedAmountLowThreshold
    if (before > threshold && this.bufferedAmount <= threshold) for (const listener of this.lowListeners) listener()
  }
}

/** Like a real RTCDataChannel: `onmessage` receives text as a string and binary as an ArrayBuffer. */
class DirectDataChannel extends FakeDataChannel {
  onmessage: ((event: { readonly data: unknown }) => void) | null = null
}

/** Like FakeDataChannel, without addEventListener: the channel must poll. */
class PollOnlyDataChannel implements DataChannelLike {
  bufferedAmount = 0
  bufferedAmountLowThreshold = 0
}

type Listener = (...args: any[]) => void

/**
 * An in-memory stand-in for a connected simple-peer pair. `send` puts a message "in
 * flight" and adds it to the data channel's bufferedAmount; `pump` delivers in-flight
 * messages in order (automatically on a timer unless `manual`).
 */
class FakePeer implements PeerLike {
  remote: FakePeer | undefined
  destroyed = false
  readonly wire: Array<string | Uint8Array> = []
  private readonly inFlight: Array<{ data: string | Uint8Array; size: number }> = []
  private readonly listeners = new Map<string, Listener[]>()
  private pumping = false

  constructor(
    readonly _channel: FakeDataChannel | PollOnlyDataChannel,
    private readonly delivery: TextDelivery,
    private readonly manual: boolean,
  ) {}

  on(event: string, listener: Listener): this {
    const list = this.listeners.get(event) ?? []
    list.push(listener)
    this.listeners.set(event, list)
    return this
  }

  emit(event: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(event) ?? []) listener(...args)
  }

  signal(): void {}

  send(data: string | Uint8Array): void {
    if (this.destroyed) throw new Error('cannot send after peer is destroyed')
    const size = typeof data === 'string' ? utf8.encode(data).byteLength : data.byteLength
    this.wire.push(typeof data === 'string' ? data : data.slice())
    this.inFlight.push({ data: typeof data === 'string' ? data : data.slice(), size })
    if (this._channel instanceof FakeDataChannel) this._channel.add(size)
    else this._channel.bufferedAmount += size
    if (!this.manual && !this.pumping) {
      this.pumping = true
      setTimeout(() => {
        this.pumping = false
        this.pump()
      }, 0)
    }
  }

  /** Delivers up to `count` in-flight messages to the remote peer. */
  pump(count = Infinity): void {
    for (let i = 0; i < count; i++) {
      const next = this.inFlight.shift()
      if (next === undefined) return
      if (this._channel instanceof FakeDataChannel) this._channel.remove(next.size)
      else this._channel.bufferedAmount -= next.size
      const { data } = next
      const remote = this.remote
      if (remote === undefined || remote.destroyed) continue
      if (this.delivery === 'direct') {
        const dc = remote._channel
        const event = { data: typeof data === 'string' ? data : data.slice().buffer }
        if (dc instanceof DirectDataChannel) dc.onmessage?.(event)
        continue
      }
      remote.emit('data', typeof data === 'string' && this.delivery === 'bytes' ? new BufferLike(utf8.encode(data)) : data)
    }
  }

  get inFlightCount(): number {
    return this.inFlight.length
  }

  destroy(error?: Error): void {
    if (this.destroyed) return
    this.destroyed = true
    queueMicrotask(() => {
      if (error !== undefined) this.emit('error', error)
      this.emit('close')
      this.remote?.destroy()
    })
  }
}

interface PairOptions {
  delivery?: TextDelivery
  manual?: boolean
  pollOnly?: boolean
  left?: PeerChannelOptions
  right?: PeerChannelOptions
}

function fakePair(options: PairOptions = {}): { a: FakePeer; b: FakePeer; ca: Channel; cb: Channel; errors: Error[] } {
  const delivery = options.delivery ?? 'bytes'
  const manual = options.manual ?? false
  const dc = (): FakeDataChannel | PollOnlyDataChannel => {
    if (options.pollOnly === true) return new PollOnlyDataChannel()
    return delivery === 'direct' ? new DirectDataChannel() : new FakeDataChannel()
  }
  const a = new FakePeer(dc(), delivery, manual)
  const b = new FakePeer(dc(), delivery, manual)
  a.remote = b
  b.remote = a
  const errors: Error[] = []
  const ca = channelFromPeer(a, { ...options.left })
  const cb = channelFromPeer(b, { onError: (error) => errors.push(error), ...options.right })
  return { a, b, ca, cb, errors }
}

/** Collects `count` frames from `channel`. */
function receive(channel: Channel, count: number): Promise<Array<string | Uint8Array>> {
  const frames: Array<string | Uint8Array> = []
  return new Promise((resolve) => {
    channel.onMessage((frame) => {
      frames.push(frame)
      if (frames.length === count) resolve(frames)
    })
  })
}

function messageBytes(message: string | Uint8Array): number {
  return typeof message === 'string' ? utf8.encode(message).byteLength : message.byteLength
}

function randomBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length)
  let x = seed
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    bytes[i] = x >>> 24
  }
  return bytes
}

describe('channelFromPeer: framing', () => {
  it('sends a small string frame as the very same text message, with no prefix', async () => {
    const { a, ca, cb } = fakePair()
    const got = receive(cb, 1)
    ca.send('{"v":1,"type":"cast"}')
    expect(a.wire).toEqual(['{"v":1,"type":"cast"}'])
    expect(await got).toEqual(['{"v":1,"type":"cast"}'])
  })

  for (const delivery of ['bytes', 'string'] as const) {
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
        fc.constantFrom<TextDelivery>('bytes', 'string'),
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
