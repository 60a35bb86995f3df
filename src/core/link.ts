/**
 * One link to another node over a `Channel`: frame encoding, coalescing of the frames
 * produced in one tick into one channel message, decoding of untrusted input, and the
 * liveness bookkeeping the node's heartbeat reads. The node decides what frames mean.
 */
import type { Channel } from './channel.js'
import { parseUntrustedJson } from './codec.js'
import { type Frame, parseFrame } from './protocol.js'
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
  private flushScheduled = false

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

  /** Queues a frame; frames queued in one tick leave together, in order. */
  send(frame: Frame): void {
    if (this.closed) return
    this.queue.push(JSON.stringify(frame))
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
    this.lastSent = now()
    const limit = this.options.maxBatchBytes
    let batch: string[] = []
    let size = 0
    for (const text of queue) {
      if (size + text.length > limit && batch.length > 0) {
        this.write(batch)
        batch = []
        size = 0
      }
      batch.push(text)
      size += text.length + 1
    }
    if (batch.length > 0) this.write(batch)
  }

  private write(batch: string[]): void {
    try {
      this.channel.send(batch.length === 1 ? (batch[0] as string) : `[${batch.join(',')}]`)
    } catch (error) {
      this.shutdown(`send failed: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  private receive(raw: string | Uint8Array): void {
    if (this.closed) return
    this.lastReceived = now()
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
    if (Array.isArray(decoded)) {
      for (const item of decoded as unknown[]) {
        if (this.closed) return
        this.dispatch(item)
      }
    } else this.dispatch(decoded)
  }

  private dispatch(item: unknown): void {
    const parsed = parseFrame(item)
    if (!parsed.ok) return this.handlers.invalid(this, parsed.error)
    try {
      this.handlers.frame(this, parsed.frame)
    } catch (error) {
      this.handlers.invalid(this, `frame ${parsed.frame.t} failed: ${error instanceof Error ? error.message : String(error)}`)
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
    this.handlers.closed(this, reason)
  }
}
