/**
 * One link to another node over a `Channel`: frame encoding, coalescing of the frames
 * produced in one tick into one channel message, decoding of untrusted input, and the
 * liveness bookkeeping the node's heartbeat reads. The node decides what frames mean.
 *
 * A frame whose payload holds byte arrays (`b` attachments) ends its text message; the
 * attachments follow it as binary channel messages, in order. On receipt, that frame and
 * the frames after it wait until its attachments are in.
 */
import type { Channel } from './channel.js'
import { ATTACHMENTS, parseUntrustedJson } from './codec.js'
import { DistributedError } from './errors.js'
import { type Frame, parseFrame, payloadOf } from './protocol.js'
import { now } from './timers.js'

export interface LinkOptions {
  /** Largest channel message accepted, in characters/bytes. */
  readonly maxFrameBytes: number
  /** Frames are coalesced into messages up to about this size. */
  readonly maxBatchBytes: number
}

export interface LinkHandlers {
  frame(link: Link, frame: Frame): void
  invalid(link: Link, reason: string): void
  closed(link: Link, reason: string): void
}

const decoder = new TextDecoder()

export class Link {
  /** The remote node id, once its hello arrived. */
  remote: string | undefined
  /** True between a completed handshake and the close. */
  up = false
  closed = false
  lastReceived = now()
  lastSent = now()

  private queue: string[] = []
  private queuedChars = 0
  /** Attachments of queued frames, by queue index. */
  private queuedAttachments: Map<number, Uint8Array[]> | undefined
  private flushScheduled = false
  /** A received frame waiting for its attachments, and the frames received after it. */
  private waiting: { frame: Frame; need: number; got: Uint8Array[]; bytes: number; later: unknown[] } | undefined

  constructor(
    readonly channel: Channel,
    private readonly options: LinkOptions,
    private readonly handlers: LinkHandlers,
  ) {
    channel.onMessage((raw) => this.receive(raw))
    channel.onActivity?.(() => {
      this.lastReceived = now()
    })
    channel.onClose((error) => this.shutdown(error ? `channel error: ${error.message}` : 'channel closed'))
  }

  /**
   * Queues a frame; frames queued in one tick leave together, in order. Throws
   * `DistributedError('too_large')`, queuing nothing, for a frame (or its byte arrays)
   * above `maxFrameBytes`, the most the other side accepts by default. A full batch
   * leaves at once, so a long synchronous burst streams out (and counts as a sign of life
   * on the other side) instead of waiting for the end of the tick.
   */
  send(frame: Frame): void {
    if (this.closed) return
    const text = JSON.stringify(frame)
    const limit = this.options.maxFrameBytes
    if (text.length > limit) throw new DistributedError('too_large', `a ${frame.t} frame of ${text.length} characters exceeds maxFrameBytes ${limit}`)
    const attachments = payloadOf(frame)?.[ATTACHMENTS]
    if (attachments !== undefined) {
      let bytes = 0
      for (const item of attachments) bytes += item.byteLength
      if (bytes > limit) throw new DistributedError('too_large', `byte arrays of ${bytes} bytes in one ${frame.t} frame exceed maxFrameBytes ${limit}`)
    }
    if (this.queuedChars + text.length > this.options.maxBatchBytes && this.queue.length > 0) this.flush()
    this.queue.push(text)
    this.queuedChars += text.length + 1
    if (attachments !== undefined) (this.queuedAttachments ??= new Map()).set(this.queue.length - 1, attachments)
    if (!this.flushScheduled) {
      this.flushScheduled = true
      queueMicrotask(() => this.flush())
    }
  }

  /** Sends everything queued now. */
  flush(): void {
    this.flushScheduled = false
    const queue = this.queue
    if (queue.length === 0 || this.closed) return
    this.queue = []
    this.queuedChars = 0
    const attached = this.queuedAttachments
    this.queuedAttachments = undefined
    this.lastSent = now()
    const limit = this.options.maxBatchBytes
    let batch: string[] = []
    let size = 0
    for (let i = 0; i < queue.length; i++) {
      const text = queue[i] as string
      if (size + text.length > limit && batch.length > 0) {
        this.write(batch)
        batch = []
        size = 0
      }
      batch.push(text)
      size += text.length + 1
      const attachments = attached?.get(i)
      if (attachments !== undefined) {
        this.write(batch)
        for (const bytes of attachments) this.writeRaw(bytes)
        batch = []
        size = 0
      }
    }
    if (batch.length > 0) this.write(batch)
  }

  private write(batch: string[]): void {
    this.writeRaw(batch.length === 1 ? (batch[0] as string) : `[${batch.join(',')}]`)
  }

  private writeRaw(message: string | Uint8Array): void {
    if (this.closed) return
    try {
      this.channel.send(message)
    } catch (error) {
      // A message the channel refuses for its size is dropped (send() checks sizes first,
      // so only text whose UTF-8 outgrows the limit gets here); anything else breaks the link.
      if (error instanceof DistributedError && error.code === 'too_large') return this.handlers.invalid(this, `dropped an outgoing message: ${error.message}`)
      this.shutdown(`send failed: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  private receive(raw: string | Uint8Array): void {
    if (this.closed) return
    this.lastReceived = now()
    const waiting = this.waiting
    if (waiting !== undefined) {
      if (raw instanceof Uint8Array) {
        waiting.bytes += raw.byteLength
        if (waiting.bytes > this.options.maxFrameBytes) {
          // the attachments of one frame together stay under the limit of one message
          this.waiting = undefined
          return this.handlers.invalid(this, `attachments of over ${this.options.maxFrameBytes} bytes in all; the frame and ${waiting.later.length} after it dropped`)
        }
        waiting.got.push(raw)
        if (waiting.got.length < waiting.need) return
        this.waiting = undefined
        const payload = payloadOf(waiting.frame)
        if (payload !== undefined) payload[ATTACHMENTS] = waiting.got
        this.deliver(waiting.frame)
        return this.dispatchAll(waiting.later)
      }
      this.waiting = undefined
      this.handlers.invalid(this, `a ${waiting.frame.t} frame lost its attachments (${waiting.got.length} of ${waiting.need} came); ${waiting.later.length} frames after it dropped`)
    }
    let text: string
    if (typeof raw === 'string') text = raw
    else if (raw instanceof Uint8Array) text = decoder.decode(raw)
    else return this.handlers.invalid(this, 'message is neither text nor bytes')
    if (text.length > this.options.maxFrameBytes) {
      return this.handlers.invalid(this, `message of ${text.length} bytes exceeds the limit of ${this.options.maxFrameBytes}`)
    }
    let decoded: unknown
    try {
      decoded = parseUntrustedJson(text)
    } catch {
      return this.handlers.invalid(this, 'message is not valid JSON')
    }
    if (Array.isArray(decoded)) this.dispatchAll(decoded as unknown[])
    else this.dispatch(decoded)
  }

  /** Dispatches `items` in order; once one waits for attachments, the rest wait behind it. */
  private dispatchAll(items: readonly unknown[]): void {
    for (let i = 0; i < items.length; i++) {
      if (this.closed) return
      this.dispatch(items[i])
      const waiting = this.waiting as Link['waiting']
      if (waiting !== undefined) {
        waiting.later.push(...items.slice(i + 1))
        return
      }
    }
  }

  /** Hands one decoded item on, or holds it (see `waiting`) until its attachments are in. */
  private dispatch(item: unknown): void {
    const parsed = parseFrame(item)
    if (!parsed.ok) return this.handlers.invalid(this, parsed.error)
    const need = payloadOf(parsed.frame)?.b
    if (need !== undefined) {
      this.waiting = { frame: parsed.frame, need, got: [], bytes: 0, later: [] }
      return
    }
    this.deliver(parsed.frame)
  }

  private deliver(frame: Frame): void {
    try {
      this.handlers.frame(this, frame)
    } catch (error) {
      this.handlers.invalid(this, `frame ${frame.t} failed: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  /** Flushes what is queued and closes the channel. */
  close(reason: string): void {
    if (this.closed) return
    this.flush()
    this.shutdown(reason)
    try {
      this.channel.close()
    } catch {
      // the channel is gone either way
    }
  }

  private shutdown(reason: string): void {
    if (this.closed) return
    this.closed = true
    this.up = false
    this.queue = []
    this.queuedChars = 0
    this.queuedAttachments = undefined
    this.waiting = undefined
    this.handlers.closed(this, reason)
  }
}
