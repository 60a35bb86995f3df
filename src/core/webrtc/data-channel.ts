/**
 * `channelFromPeer`: a connected simple-peer instance (or anything `PeerLike`) as a core
 * `Channel`, with chunking of large messages and backpressure.
 *
 * Framing (PROTOCOL.md, section 2; the chunk streams are in ../wire/chunk-stream.ts): a string
 * message that fits goes as one text chunk, as is; a byte message that fits as `0xFF` +
 * its bytes; a larger message as a START chunk and CONT chunks of at most `chunkSize`
 * bytes, back to back. Text that arrives as bytes (simple-peer's 'data' event) is read as
 * UTF-8; valid UTF-8 never starts with the tags `0xFD`–`0xFF`.
 *
 * Every incoming chunk is untrusted: a malformed header, a CONT without a START, a
 * stream that overflows its `total` or is cut by another chunk, a `total` above
 * `maxMessageBytes`, invalid UTF-8 drop the chunk (and the rest of that chunk stream),
 * the error goes to `onError`, and the channel keeps working.
 */
import { type ControlChannel, ControlChannelBase } from '../api/channel.js'
import { toError } from '../api/errors.js'
import { dataChannelOf, dataChannelOpen, type DataChannelLike, type PeerLike, unreadMessagesOf } from './simple-peer.js'
import { DATA_CHANNEL_DEFAULTS, type DataChannelOptions, resolveDataChannelOptions } from './data-channel-options.js'
import { soon, startTimer, type TimerHandle } from '../util/async.js'
import { Queue } from '../util/queue.js'
import { chunkMessage, controlChunk, type Message, OutgoingStream, Reassembler } from '../wire/chunk-stream.js'

export type { DataChannelOptions } from './data-channel-options.js'
export { DATA_CHANNEL_DEFAULTS } from './data-channel-options.js'

/** A data channel as a `Channel`, with control chunks in order with the messages (for path switching). */
export type DataChannel = ControlChannel

/** A control chunk as it waits in the inbox among messages. */
class Control {
  constructor(readonly kind: number) {}
}

/**
 * Wraps an already connected peer into a `Channel`: messages of any size up to
 * `maxMessageBytes` arrive whole, in order and with their type (string or bytes).
 *
 * `send` throws `DistributedError('too_large')` for a message above `maxMessageBytes` and
 * sends nothing; a message sent after close is dropped. A byte message is handed over (not
 * copied): do not change it after `send`. `close()` destroys the peer and
 * discards messages still queued. `onClose` fires once, with the peer's error if any.
 *
 * @example
 * peer.on('connect', () => {
 *   const channel = channelFromPeer(peer, { onError: (e) => console.warn(e) })
 *   channel.onMessage((message) => console.log(message))
 *   channel.send('x'.repeat(10_000_000)) // arrives as one 10 MB string
 * })
 */
export function channelFromPeer(peer: PeerLike, options: DataChannelOptions = {}): DataChannel {
  return new PeerChannel(peer, options)
}

type Outgoing = string | Uint8Array | OutgoingStream

class PeerChannel extends ControlChannelBase {
  readonly #chunkSize: number
  readonly #maxBytes: number
  readonly #highWaterMark: number
  readonly #reportError: ((error: Error) => void) | undefined
  readonly #dc: DataChannelLike | undefined
  readonly #assembler: Reassembler
  /** What arrived before a message handler was set (or behind what did), in order. */
  readonly #inbox = new Queue<Message | Control>()
  #draining = false
  readonly #queue = new Queue<Outgoing>()
  #queuedBytes = 0
  /** Upper bound of the data channel's `bufferedAmount`; see `canSend`. */
  #bufferedBound = 0
  #timer: TimerHandle | undefined
  #closing = false
  #closed = false
  #closeError: Error | undefined
  readonly #onLow = (): void => {
    if (this.#queue.length > 0) this.#flush()
  }

  readonly #peer: PeerLike

  constructor(
    peer: PeerLike,
    options: DataChannelOptions,
  ) {
    super()
    this.#peer = peer
    const resolved = resolveDataChannelOptions(options, peer)
    this.#chunkSize = resolved.chunkSize
    this.#maxBytes = resolved.maxMessageBytes
    this.#highWaterMark = resolved.highWaterMark
    this.#reportError = options.onError
    this.#assembler = new Reassembler(
      this.#maxBytes,
      (message) => this.#deliver(message),
      (error) => this.#report(error),
      (kind) => this.#deliver(new Control(kind)),
    )

    const dc = dataChannelOf(peer)
    this.#dc = dc
    if (dc !== undefined) {
      try {
        // simple-peer sets its own threshold (64 KiB) and `onbufferedamountlow` for its
        // stream API, which this channel does not use; a listener leaves its handler alone.
        dc.bufferedAmountLowThreshold = Math.floor(this.#highWaterMark / 2)
        dc.addEventListener?.('bufferedamountlow', this.#onLow)
      } catch {
        // A data channel without these features falls back to polling.
      }
    }
    const receive = (data: unknown): void => {
      if (this.#closed) return
      this.activityHandler?.()
      this.#assembler.push(data)
    }
    if (!this.#readDirectly(peer, receive)) peer.on('data', receive)
    peer.on('error', (error) => this.#handleClose(error))
    peer.on('close', () => this.#handleClose(undefined))
    if (peer.destroyed === true) this.#handleClose(undefined)
  }

  /**
   * Takes over the data channel's `message` events from simple-peer when it can: text then
   * stays text, with no string → Buffer → string round trip and no stream machinery per
   * chunk. Chunks that arrived before this channel was made wait in simple-peer's
   * stream; they are read from it first, in order, and direct chunks that come
   * meanwhile wait behind them. Without a data channel or that stream (another
   * `PeerLike`), chunks come through the peer's 'data' event.
   */
  #readDirectly(peer: PeerLike, receive: (data: unknown) => void): boolean {
    const dc = this.#dc
    const stream = unreadMessagesOf(peer)
    if (dc === undefined || typeof dc.onmessage !== 'function' || typeof stream?.length !== 'number') return false
    let waiting: unknown[] | undefined
    if (stream.length > 0) {
      waiting = []
      peer.on('data', (data) => {
        receive(data)
        if (stream.length !== 0 || waiting === undefined) return
        const behind = waiting
        waiting = undefined
        for (const chunk of behind) receive(chunk)
      })
    }
    dc.onmessage = (event) => {
      if (waiting !== undefined) waiting.push(event.data)
      else receive(event.data)
    }
    return true
  }

  /**
   * Bytes in the data channel's buffer plus bytes waiting here (a queued string counts
   * as 3 bytes per UTF-16 unit, the most its UTF-8 can take).
   */
  get bufferedAmount(): number {
    return this.#channelBuffered() + this.#queuedBytes
  }

  send(message: string | Uint8Array): void {
    // fast path: a short string is its own chunk
    if (typeof message === 'string' && message.length > 0 && message.length * 3 <= this.#chunkSize) return this.#enqueue(message)
    const out = chunkMessage(message, this.#chunkSize, this.#maxBytes) // a byte message is handed over: see Channel.send
    if (out instanceof OutgoingStream) this.#enqueueStream(out)
    else this.#enqueue(out)
  }

  /** Sends a control chunk (`kind` 0–255) in order with the messages; see `onControl`. */
  sendControl(kind: number): void {
    this.#enqueue(controlChunk(kind))
  }

  /** Messages that arrived before (queued in order) go to the handler in a microtask. */
  override onMessage(handler: (message: Message) => void): void {
    super.onMessage(handler)
    if (this.#inbox.length > 0) this.#scheduleDrain()
  }

  /** A handler set after the channel closed is told in a microtask. */
  override onClose(handler: (error?: Error) => void): void {
    super.onClose(handler)
    if (this.#closed && !this.closeTaken) queueMicrotask(() => this.#notifyClose())
  }

  close(): void {
    if (this.#closing || this.#closed) return
    this.#closing = true
    this.#dropQueue()
    this.#peer.destroy()
  }

  // ---- sending ----

  /**
   * Bytes a queued chunk takes at most. Queued strings all fit in one chunk, and
   * UTF-8 needs at most 3 bytes per UTF-16 unit.
   */
  #weightOf(chunk: string | Uint8Array): number {
    return typeof chunk === 'string' ? Math.min(chunk.length * 3, this.#chunkSize) : chunk.byteLength
  }

  #enqueue(chunk: string | Uint8Array): void {
    if (this.#closing || this.#closed) return
    const weight = this.#weightOf(chunk)
    if (this.#queue.length === 0 && this.#canSend(weight)) {
      this.#transmit(chunk, weight)
      return
    }
    this.#queue.push(chunk)
    this.#queuedBytes += weight
    this.#waitForDrain()
  }

  #enqueueStream(stream: OutgoingStream): void {
    if (this.#closing || this.#closed) return
    this.#queue.push(stream)
    this.#queuedBytes += stream.total
    if (this.#queue.length === 1) this.#flush()
    else this.#waitForDrain()
  }

  /**
   * Whether a chunk of `weight` bytes may go to the data channel now. Reading
   * `bufferedAmount` can be costly (a native call, a thread hop in libwebrtc), so it is
   * read only when an upper bound of it (last reading + bytes sent since) is too high.
   */
  #canSend(weight: number): boolean {
    if (this.#bufferedBound + weight <= this.#highWaterMark) return true
    const buffered = this.#channelBuffered()
    this.#bufferedBound = buffered
    return buffered === 0 || buffered + weight <= this.#highWaterMark
  }

  #channelBuffered(): number {
    if (this.#dc === undefined || this.#closed) return 0
    try {
      const amount = this.#dc.bufferedAmount
      return typeof amount === 'number' && amount > 0 ? amount : 0
    } catch {
      return 0
    }
  }

  /** Sends queued chunks while the data channel has room; then waits for it to drain. */
  #flush(): void {
    this.#clearTimer()
    for (let item = this.#queue.peek(); item !== undefined; item = this.#queue.peek()) {
      if (this.#closing || this.#closed) return
      if (item instanceof OutgoingStream) {
        const header = item.headerBytes
        if (!this.#canSend(header + Math.min(item.remaining, this.#chunkSize - header))) return this.#pause()
        const chunk = item.next(this.#chunkSize)
        this.#queuedBytes -= chunk.byteLength - header
        if (item.done) this.#queue.shift()
        this.#transmit(chunk, chunk.byteLength)
      } else {
        const weight = this.#weightOf(item)
        if (!this.#canSend(weight)) return this.#pause()
        this.#queue.shift()
        this.#queuedBytes -= weight
        this.#transmit(item, weight)
      }
    }
    this.#queuedBytes = 0
  }

  /** Stops flushing until the data channel drains. */
  #pause(): void {
    this.#waitForDrain()
  }

  #transmit(chunk: string | Uint8Array, weight: number): void {
    this.#bufferedBound += weight
    try {
      this.#peer.send(chunk)
    } catch (error) {
      // A channel that is closing drops the message (its close event follows); any other
      // failure breaks the ordered stream, so the link is torn down with that error.
      if (this.#peer.destroyed === true || !dataChannelOpen(this.#peer)) return
      this.#peer.destroy(toError(error))
    }
  }

  #waitForDrain(): void {
    if (this.#timer !== undefined || this.#closing || this.#closed) return
    // The bufferedamountlow event is the wake-up; the timer is a safety net (or the only
    // mechanism when the data channel has no addEventListener).
    const delay = this.#dc?.addEventListener === undefined ? DATA_CHANNEL_DEFAULTS.drainPollMs : DATA_CHANNEL_DEFAULTS.safetyPollMs
    this.#timer = startTimer(() => {
      this.#timer = undefined
      this.#flush()
    }, delay)
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #dropQueue(): void {
    this.#clearTimer()
    this.#queue.clear()
    this.#queuedBytes = 0
  }

  // ---- receiving and closing ----

  /** Hands a message or a control chunk on, in arrival order (queued until there is a message handler). */
  #deliver(item: Message | Control): void {
    const ready = this.messageHandler !== undefined
    if (ready && this.#inbox.length === 0) {
      this.#hand(item)
      return
    }
    this.#inbox.push(item)
    if (ready) this.#scheduleDrain()
  }

  #scheduleDrain(): void {
    if (this.#draining) return
    this.#draining = true
    soon(() => {
      this.#draining = false
      while (this.#inbox.length > 0 && !this.#closed) {
        if (this.messageHandler === undefined) return
        this.#hand(this.#inbox.shift() as Message | Control)
      }
    })
  }

  /** Hands a message to the message handler, a control chunk to the control handler. */
  #hand(item: Message | Control): void {
    if (item instanceof Control) this.deliverControl(item.kind)
    else this.deliver(item)
  }

  /** A handler threw: reported to `onError`; the channel keeps working. */
  protected override handlerThrew(error: unknown): void {
    this.#report(toError(error))
  }

  #report(error: Error): void {
    try {
      this.#reportError?.(error)
    } catch {
      // The error sink must not break the receive path.
    }
  }

  #handleClose(error: Error | undefined): void {
    if (this.#closed) return
    this.#closed = true
    this.#closeError = error
    this.#dropQueue()
    this.#assembler.reset()
    try {
      this.#dc?.removeEventListener?.('bufferedamountlow', this.#onLow)
    } catch {
      // Already torn down.
    }
    this.#notifyClose()
  }

  #notifyClose(): void {
    const handler = this.takeCloseHandler()
    if (handler === undefined) return
    try {
      handler(this.#closeError)
    } catch (error) {
      this.#report(toError(error))
    }
  }
}
