/**
 * One link to another node over a `Channel`: frame encoding, coalescing of the frames
 * produced in one tick into one channel message, decoding of untrusted input, and the
 * liveness bookkeeping the node's heartbeat reads. The node decides what frames mean.
 *
 * A frame whose payload holds byte arrays (`b` attachments) or long strings (`s`) ends
 * its text message; the attachments follow it, in order: binary channel messages, then
 * text messages. On receipt, that frame and the frames after it wait until its
 * attachments are in.
 */
import { type Channel, LinkLostError } from '../api/channel.js'
import { parseUntrustedJson } from '../util/untrusted-json.js'
import { ATTACHMENTS } from './codec.js'
import { errorMessage, TooLargeError } from '../api/errors.js'
import { APPLICATION_FRAMES, type Frame, parseFrame, payloadOf, PROTOCOL_VERSION } from './protocol.js'
import { now, soon } from '../util/async.js'
import type { LinkCloseReason } from '../api/types.js'

export interface LinkOptions {
  /** Largest channel message accepted, in characters/bytes. */
  readonly maxFrameBytes: number
  /** Frames are coalesced into messages up to about this size. */
  readonly maxBatchBytes: number
  /** Unsent bytes (here and in the channel) past which `hasRoom()` says no. */
  readonly maxSendBufferBytes: number
}

export interface LinkHandlers {
  frame(link: Link, frame: Frame): void
  invalid(link: Link, reason: string): void
  closed(link: Link, reason: LinkCloseReason, detail: string): void
}

/** A received frame waiting for its attachments (`binary` byte arrays, then texts, `need` in all), and the items of its batch after it. */
interface Waiting {
  readonly frame: Frame
  readonly binary: number
  readonly need: number
  readonly got: Array<Uint8Array | string>
  bytes: number
  readonly rest: readonly unknown[]
  readonly next: number
}

/** A heartbeat as it travels (see `ping`). */
const PING_TEXT = JSON.stringify({ v: PROTOCOL_VERSION, t: 'ping' } satisfies Frame)

const decoder = new TextDecoder()
const strictDecoder = new TextDecoder('utf-8', { fatal: true })

export class Link {
  /** The remote node id, once its hello arrived. */
  remote: string | undefined
  /** True between a completed handshake and the close. */
  up = false
  closed = false
  lastReceived = now()
  lastSent = now()

  #queue: string[] = []
  #queuedChars = 0
  /** Attachments of queued frames, by queue index. */
  #queuedAttachments: Map<number, Array<Uint8Array | string>> | undefined
  #flushScheduled = false
  /** The backlog was over `maxSendBufferBytes` when last read. */
  #overloaded = false
  /** Bytes written to the channel since the backlog was last read. */
  #writtenSinceCheck = 0
  /**
   * A received frame waiting for its attachments, and the items of its batch after it
   * (`rest` from index `next`), held without copying.
   */
  #waiting: Waiting | undefined

  readonly #options: LinkOptions
  readonly #handlers: LinkHandlers

  constructor(
    readonly channel: Channel,
    options: LinkOptions,
    handlers: LinkHandlers,
  ) {
    this.#options = options
    this.#handlers = handlers
    channel.onMessage((raw) => this.#receive(raw))
    channel.onActivity?.(() => {
      this.lastReceived = now()
    })
    channel.onClose((error) => {
      if (error === undefined) this.#shutdown('closed', 'the channel closed')
      else if (error instanceof LinkLostError) this.#shutdown(error.reason, error.message)
      else this.#shutdown('transport_error', `channel error: ${error.message}`)
    })
  }

  /**
   * Queues a frame; frames queued in one tick leave together, in order. Throws
   * `TooLargeError`, queuing nothing, for a frame (or its byte arrays)
   * above `maxFrameBytes`, the most the other side accepts by default. A full batch
   * leaves at once, so a long synchronous burst streams out (and counts as a sign of life
   * on the other side) instead of waiting for the end of the tick.
   */
  send(frame: Frame): void {
    if (this.closed) return
    const text = JSON.stringify(frame)
    const limit = this.#options.maxFrameBytes
    if (text.length > limit) throw new TooLargeError(`a ${frame.t} frame of ${text.length} characters exceeds maxFrameBytes ${limit}`)
    const attachments = payloadOf(frame)?.[ATTACHMENTS]
    if (attachments !== undefined) {
      let bytes = 0
      for (const item of attachments) bytes += typeof item === 'string' ? item.length : item.byteLength
      if (bytes > limit) throw new TooLargeError(`byte arrays and long strings of ${bytes} bytes in one ${frame.t} frame exceed maxFrameBytes ${limit}`)
    }
    if (APPLICATION_FRAMES.has(frame.t)) this.channel.used?.()
    this.#enqueue(text, attachments)
  }

  /**
   * Queues a heartbeat. It travels as a fixed text, sent and recognised as such: the frame
   * code every call runs through never meets its shape (a new shape there sends the
   * optimised call path back to the interpreter for thousands of calls).
   */
  ping(): void {
    if (!this.closed) this.#enqueue(PING_TEXT, undefined)
  }

  #enqueue(text: string, attachments: Array<Uint8Array | string> | undefined): void {
    if (this.#queuedChars + text.length > this.#options.maxBatchBytes && this.#queue.length > 0) this.flush()
    this.#queue.push(text)
    this.#queuedChars += text.length + 1
    if (attachments !== undefined) (this.#queuedAttachments ??= new Map()).set(this.#queue.length - 1, attachments)
    if (!this.#flushScheduled) {
      this.#flushScheduled = true
      soon(() => this.flush())
    }
  }

  /**
   * Whether the backlog (frames queued here plus what the channel has not sent yet) is
   * within `maxSendBufferBytes`. The channel's `bufferedAmount` is read every quarter of
   * that limit written, and again while over it, so the backlog stays within the limit
   * plus a quarter plus one frame, at no cost per frame.
   */
  hasRoom(): boolean {
    if (!this.#overloaded) return true
    this.#overloaded = this.#backlog() > this.#options.maxSendBufferBytes
    return !this.#overloaded
  }

  /**
   * Sends a frame that answers the peer (a reply, a `down`, an rpc result) if the backlog
   * has room; otherwise drops it with an `invalid` report and returns false. What the
   * peer asks for while it does not read cannot grow this node's memory.
   */
  answer(frame: Frame): boolean {
    if (this.closed) return false
    if (!this.hasRoom()) {
      this.#handlers.invalid(this, `dropped a ${frame.t} frame: the link holds over ${this.#options.maxSendBufferBytes} unsent bytes (maxSendBufferBytes)`)
      return false
    }
    this.send(frame)
    return true
  }

  #backlog(): number {
    const buffered = this.channel.bufferedAmount
    return this.#queuedChars + (typeof buffered === 'number' && buffered > 0 ? buffered : 0)
  }

  /** Sends everything queued now. */
  flush(): void {
    this.#flushScheduled = false
    const queue = this.#queue
    if (queue.length === 0 || this.closed) return
    this.#queue = []
    this.#queuedChars = 0
    const attached = this.#queuedAttachments
    this.#queuedAttachments = undefined
    this.lastSent = now()
    const limit = this.#options.maxBatchBytes
    let batch: string[] = []
    let size = 0
    for (let i = 0; i < queue.length; i++) {
      const text = queue[i] as string
      if (size + text.length > limit && batch.length > 0) {
        this.#write(batch)
        batch = []
        size = 0
      }
      batch.push(text)
      size += text.length + 1
      const attachments = attached?.get(i)
      if (attachments !== undefined) {
        this.#write(batch)
        for (const bytes of attachments) this.#writeRaw(bytes)
        batch = []
        size = 0
      }
    }
    if (batch.length > 0) this.#write(batch)
  }

  #write(batch: string[]): void {
    this.#writeRaw(batch.length === 1 ? (batch[0] as string) : `[${batch.join(',')}]`)
  }

  #writeRaw(message: string | Uint8Array): void {
    if (this.closed) return
    try {
      this.channel.send(message)
      this.#writtenSinceCheck += typeof message === 'string' ? message.length : message.byteLength
      if (this.#writtenSinceCheck * 4 >= this.#options.maxSendBufferBytes) {
        this.#writtenSinceCheck = 0
        this.#overloaded = this.#backlog() > this.#options.maxSendBufferBytes
      }
    } catch (error) {
      // A message the channel refuses for its size is dropped (send() checks sizes first,
      // so only text whose UTF-8 outgrows the limit gets here); anything else breaks the link.
      if (error instanceof TooLargeError) return this.#handlers.invalid(this, `dropped an outgoing message: ${error.message}`)
      this.#shutdown('transport_error', `send failed: ${errorMessage(error)}`)
    }
  }

  /** Never throws: a channel calls this from its own event handlers. */
  #receive(raw: string | Uint8Array): void {
    try {
      this.#receiveMessage(raw)
    } catch (error) {
      this.#handlers.invalid(this, `a message could not be handled: ${errorMessage(error)}`)
    }
  }

  #receiveMessage(raw: string | Uint8Array): void {
    if (this.closed) return
    this.lastReceived = now()
    // a frame waiting for its attachments takes what comes first (apart, to keep this small)
    if (this.#waiting !== undefined && this.#receiveAttachment(this.#waiting, raw)) return
    let text: string
    if (typeof raw === 'string') text = raw
    else if (raw instanceof Uint8Array) text = decoder.decode(raw)
    else return this.#handlers.invalid(this, 'message is neither text nor bytes')
    if (text === PING_TEXT) return // a heartbeat on its own: nothing more to do than the time above
    if (text.length > this.#options.maxFrameBytes) {
      return this.#handlers.invalid(this, `message of ${text.length} bytes exceeds the limit of ${this.#options.maxFrameBytes}`)
    }
    let decoded: unknown
    try {
      decoded = parseUntrustedJson(text)
    } catch {
      return this.#handlers.invalid(this, 'message is not valid JSON')
    }
    if (Array.isArray(decoded)) this.#dispatchAll(decoded as unknown[], 0)
    else this.#dispatch(decoded, [], 0)
  }

  /**
   * Hands `raw` to the frame waiting for its attachments. False when `raw` cannot be one
   * (text where a byte array is due): the frame and the items after it are dropped, and
   * `raw` is read as frames.
   */
  #receiveAttachment(waiting: Waiting, raw: string | Uint8Array): boolean {
    // byte arrays come first, as binary messages; then long strings, as text (or as
    // UTF-8 bytes, from a transport that delivers text so)
    const binaryDue = waiting.got.length < waiting.binary
    if (!(raw instanceof Uint8Array) && (typeof raw !== 'string' || binaryDue)) {
      this.#waiting = undefined
      this.#handlers.invalid(this, `a ${waiting.frame.t} frame lost its attachments (${waiting.got.length} of ${waiting.need} came); ${waiting.rest.length - waiting.next} frames after it dropped`)
      return false
    }
    waiting.bytes += typeof raw === 'string' ? raw.length : raw.byteLength
    if (waiting.bytes > this.#options.maxFrameBytes) {
      // the attachments of one frame together stay under the limit of one message
      this.#waiting = undefined
      this.#handlers.invalid(this, `attachments of over ${this.#options.maxFrameBytes} bytes in all; the frame and ${waiting.rest.length - waiting.next} after it dropped`)
      return true
    }
    if (binaryDue || typeof raw === 'string') waiting.got.push(raw)
    else {
      let text: string
      try {
        text = strictDecoder.decode(raw)
      } catch {
        this.#waiting = undefined
        this.#handlers.invalid(this, `a text attachment of a ${waiting.frame.t} frame is not UTF-8; the frame and ${waiting.rest.length - waiting.next} after it dropped`)
        return true
      }
      waiting.got.push(text)
    }
    if (waiting.got.length < waiting.need) return true
    this.#waiting = undefined
    const payload = payloadOf(waiting.frame)
    if (payload !== undefined) payload[ATTACHMENTS] = waiting.got
    this.#deliver(waiting.frame)
    this.#dispatchAll(waiting.rest, waiting.next)
    return true
  }

  /**
   * Dispatches `items` from index `from` in order; once one waits for attachments, the
   * rest wait behind it (no copy: the work stays linear however the items are split).
   */
  #dispatchAll(items: readonly unknown[], from: number): void {
    for (let i = from; i < items.length; i++) {
      if (this.closed) return
      this.#dispatch(items[i], items, i + 1)
      if (this.#waiting !== undefined) return
    }
  }

  /** Hands one decoded item on, or holds it (see `waiting`) with the items after it until its attachments are in. */
  #dispatch(item: unknown, rest: readonly unknown[], next: number): void {
    const parsed = parseFrame(item)
    if (!parsed.ok) return this.#handlers.invalid(this, parsed.error)
    const payload = payloadOf(parsed.frame)
    if (payload?.b !== undefined || payload?.s !== undefined) {
      const binary = payload.b ?? 0
      this.#waiting = { frame: parsed.frame, binary, need: binary + (payload.s ?? 0), got: [], bytes: 0, rest, next }
      return
    }
    this.#deliver(parsed.frame)
  }

  #deliver(frame: Frame): void {
    if (APPLICATION_FRAMES.has(frame.t)) this.channel.used?.()
    try {
      this.#handlers.frame(this, frame)
    } catch (error) {
      this.#handlers.invalid(this, `frame ${frame.t} failed: ${errorMessage(error)}`)
    }
  }

  /** Flushes what is queued and closes the channel. */
  close(reason: LinkCloseReason, detail: string = reason): void {
    if (this.closed) return
    this.flush()
    this.#shutdown(reason, detail)
    try {
      this.channel.close()
    } catch {
      // the channel is gone either way
    }
  }

  #shutdown(reason: LinkCloseReason, detail: string): void {
    if (this.closed) return
    this.closed = true
    this.up = false
    this.#queue = []
    this.#queuedChars = 0
    this.#queuedAttachments = undefined
    this.#waiting = undefined
    this.#handlers.closed(this, reason, detail)
  }
}
