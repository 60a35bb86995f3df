import { reportListenerError } from '../util/emitter.js'

/**
 * The one transport interface of the core. Everything above it (handshake, registry
 * sync, call/cast, rpc, heartbeats) is the same code whatever carries the frames: an
 * in-memory pair, a WebRTC data channel, or anything else that can move strings or bytes
 * in order between two endpoints.
 */
export interface Channel {
  /**
   * Sends one message. Must not throw for a closed channel (the message is dropped). A
   * byte message is handed over: the caller does not change it afterwards (the channel
   * may send it later, piece by piece, without copying it).
   */
  send(message: string | Uint8Array): void
  /** Sets the handler for incoming messages (one handler: the link owns the channel; a later call replaces it). */
  onMessage(handler: (message: string | Uint8Array) => void): void
  /**
   * Sets the handler called once when the channel closes, with the error if any. A
   * `LinkLostError` says why in the link's own terms (its `reason` becomes nodedown's).
   */
  onClose(handler: (error?: Error) => void): void
  /** Closes both directions. Idempotent. */
  close(): void
  /** Bytes queued and not yet sent, where the transport knows it. */
  readonly bufferedAmount?: number
  /**
   * Optional: sets a handler called whenever anything arrives, even part of a message.
   * A transport that splits large messages calls it per piece, so that a long transfer
   * counts as a sign of life for the heartbeat before the whole message is in.
   */
  onActivity?(handler: () => void): void
  /**
   * Optional, read at every heartbeat tick: `false` while the transport itself knows when
   * the other end is gone (a relay through a hub that sees its members leave); the link
   * then sends no pings and never times out. Default: heartbeats on.
   */
  readonly heartbeat?: boolean
}

/** Why a channel closed, in the terms of `nodedown` (see `NodeDownReason`). */
export class LinkLostError extends Error {
  constructor(
    readonly reason: 'closed' | 'heartbeat_timeout' | 'transport_error' | 'left_cluster' | 'shutdown' | 'kicked',
    message: string,
  ) {
    super(message)
    this.name = 'LinkLostError'
  }
}

/**
 * Creates two connected in-memory channels: a frame sent on one arrives on the other,
 * asynchronously (next macrotask batch) and in order. Closing either closes both.
 *
 * @example
 * const [a, b] = createMemoryChannelPair()
 * await Promise.all([nodeA.link(a), nodeB.link(b)])
 */
export function createMemoryChannelPair(): [Channel, Channel] {
  const left = new MemoryEnd()
  const right = new MemoryEnd()
  left.peer = right
  right.peer = left
  return [left, right]
}

class MemoryEnd implements Channel {
  peer: MemoryEnd | undefined
  #messageHandler: ((frame: string | Uint8Array) => void) | undefined
  #closeHandler: ((error?: Error) => void) | undefined
  #inbox: Array<string | Uint8Array> = []
  #scheduled = false
  #closed = false

  get bufferedAmount(): number {
    return 0
  }

  send(frame: string | Uint8Array): void {
    const peer = this.peer
    if (this.#closed || peer === undefined || peer.#closed) return
    peer.#deliver(typeof frame === 'string' ? frame : frame.slice())
  }

  onMessage(handler: (frame: string | Uint8Array) => void): void {
    this.#messageHandler = handler
    if (this.#inbox.length > 0) this.#schedule()
  }

  onClose(handler: (error?: Error) => void): void {
    this.#closeHandler = handler
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    const peer = this.peer
    // Frames already sent are delivered first: the peer's inbox was scheduled earlier.
    setTimeout(() => {
      this.#closeHandler?.()
      if (peer !== undefined && !peer.#closed) peer.close()
    }, 0)
  }

  #deliver(frame: string | Uint8Array): void {
    this.#inbox.push(frame)
    this.#schedule()
  }

  #schedule(): void {
    if (this.#scheduled || this.#messageHandler === undefined) return
    this.#scheduled = true
    setTimeout(() => {
      this.#scheduled = false
      const frames = this.#inbox
      this.#inbox = []
      for (const frame of frames) {
        if (this.#closed) return
        try {
          this.#messageHandler?.(frame)
        } catch (error) {
          reportListenerError(error)
        }
      }
    }, 0)
  }
}
