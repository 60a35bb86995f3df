/**
 * In-memory stand-ins for a connected simple-peer pair, for the tests of `channelFromPeer`
 * (test/core/webrtc/data-channel*.test.ts): messages "in flight" count in the data channel's
 * bufferedAmount until delivered, in order.
 */
import { channelFromPeer, type DataChannelOptions } from '../../src/core/webrtc/data-channel.js'
import type { Channel } from '../../src/core/api/channel.js'
import type { DataChannelLike, PeerLike } from '../../src/core/webrtc/simple-peer.js'

export const utf8 = new TextEncoder()

/**
 * How the fake delivers messages: through the peer's 'data' event, text as bytes
 * (simple-peer in Node and in its browser bundle) or as strings; or `stream` like
 * simple-peer itself: on the data channel's `onmessage` (text as a string, binary as an
 * ArrayBuffer), whose default handler pushes into a readable stream that holds messages
 * (as bytes) until a 'data' listener comes, then hands them over one by one.
 */
export type TextDelivery = 'bytes' | 'string' | 'stream'

/** A Uint8Array subclass, as Node's Buffer is. */
class BufferLike extends Uint8Array {}

export class FakeDataChannel implements DataChannelLike {
  bufferedAmount = 0
  bufferedAmountLowThreshold = 0
  maxBuffered = 0
  readyState = 'open'
  onmessage: ((event: { readonly data: unknown }) => void) | null = null
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

/** Like FakeDataChannel, without addEventListener: the channel must poll. */
export class PollOnlyDataChannel implements DataChannelLike {
  bufferedAmount = 0
  bufferedAmountLowThreshold = 0
}

type Listener = (...args: any[]) => void

/**
 * An in-memory stand-in for a connected simple-peer pair. `send` puts a message "in
 * flight" and adds it to the data channel's bufferedAmount; `pump` delivers in-flight
 * messages in order (automatically on a timer unless `manual`).
 */
export class FakePeer implements PeerLike {
  remote: FakePeer | undefined
  destroyed = false
  readonly wire: Array<string | Uint8Array> = []
  private readonly inFlight: Array<{ data: string | Uint8Array; size: number }> = []
  private readonly listeners = new Map<string, Listener[]>()
  private pumping = false
  /** `stream` delivery: the readable stream's state and the messages it holds. */
  readonly _readableState: { length: number } | null = null
  private readonly held: Uint8Array[] = []

  constructor(
    readonly _channel: FakeDataChannel | PollOnlyDataChannel,
    private readonly delivery: TextDelivery,
    private readonly manual: boolean,
  ) {
    if (delivery === 'stream' && _channel instanceof FakeDataChannel) {
      this._readableState = { length: 0 }
      _channel.onmessage = (event) => this.push(event.data) // simple-peer's own handler
    }
  }

  on(event: string, listener: Listener): this {
    const list = this.listeners.get(event) ?? []
    list.push(listener)
    this.listeners.set(event, list)
    if (event === 'data' && this.held.length > 0) queueMicrotask(() => this.flow())
    return this
  }

  /** simple-peer's `_onChannelMessage`: into the stream, text turned into bytes. */
  private push(data: unknown): void {
    const bytes = typeof data === 'string' ? new BufferLike(utf8.encode(data)) : new BufferLike(data as ArrayBuffer)
    const state = this._readableState as { length: number }
    if (this.held.length === 0 && (this.listeners.get('data')?.length ?? 0) > 0) return this.emit('data', bytes)
    this.held.push(bytes)
    state.length += bytes.byteLength
  }

  private flow(): void {
    const state = this._readableState as { length: number }
    for (let next = this.held.shift(); next !== undefined; next = this.held.shift()) {
      state.length -= next.byteLength
      this.emit('data', next)
    }
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
      if (this.delivery === 'stream') {
        const dc = remote._channel
        if (dc instanceof FakeDataChannel) dc.onmessage?.({ data: typeof data === 'string' ? data : data.slice().buffer })
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

export interface PairOptions {
  delivery?: TextDelivery
  manual?: boolean
  pollOnly?: boolean
  left?: DataChannelOptions
  right?: DataChannelOptions
}

export function fakePair(options: PairOptions = {}): { a: FakePeer; b: FakePeer; ca: Channel; cb: Channel; errors: Error[] } {
  const delivery = options.delivery ?? 'bytes'
  const manual = options.manual ?? false
  const dc = (): FakeDataChannel | PollOnlyDataChannel => {
    if (options.pollOnly === true) return new PollOnlyDataChannel()
    return new FakeDataChannel()
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
export function receive(channel: Channel, count: number): Promise<Array<string | Uint8Array>> {
  const frames: Array<string | Uint8Array> = []
  return new Promise((resolve) => {
    channel.onMessage((frame) => {
      frames.push(frame)
      if (frames.length === count) resolve(frames)
    })
  })
}

export function messageBytes(message: string | Uint8Array): number {
  return typeof message === 'string' ? utf8.encode(message).byteLength : message.byteLength
}

export function randomBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length)
  let x = seed
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    bytes[i] = x >>> 24
  }
  return bytes
}
