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
  /**
   * Optional: called each time the link sends or receives an application message (a call,
   * cast, reply or rpc frame; not its handshake, registry sync or heartbeats). A channel
   * that shares a scarce resource among links (the mesh's direct-link budget) tells the
   * links in use from the idle ones by it.
   */
  used?(): void
}

/** A channel that also carries control chunks (kind 0–255) in order with its messages: what moving a link between paths needs. */
export interface ControlChannel extends Channel {
  /** Sends a control chunk in order with the messages. */
  sendControl(kind: number): void
  /** Sets the handler of control chunks sent with `sendControl` on the other end. */
  onControl(handler: (kind: number) => void): void
}

type Message = string | Uint8Array

/**
 * The handler slots every channel of the core keeps, written once (one handler per slot:
 * the link owns the channel, a later call replaces it), and their delivery. A subclass
 * reads a slot where it delivers, or calls `deliver`, which reports what the handler
 * throws to `handlerThrew`; neither makes a closure or an object per message.
 */
export abstract class ChannelBase implements Channel {
  protected messageHandler: ((message: Message) => void) | undefined = undefined
  protected closeHandler: ((error?: Error) => void) | undefined = undefined
  protected activityHandler: (() => void) | undefined = undefined
  #closeTaken = false

  abstract send(message: Message): void
  abstract close(): void

  onMessage(handler: (message: Message) => void): void {
    this.messageHandler = handler
  }

  onClose(handler: (error?: Error) => void): void {
    this.closeHandler = handler
  }

  /** Sets the activity handler; a subclass that sees pieces of messages calls it for each. */
  onActivity(handler: () => void): void {
    this.activityHandler = handler
  }

  /** Hands `message` to the message handler, if there is one; what it throws goes to `handlerThrew`. */
  protected deliver(message: Message): void {
    try {
      this.messageHandler?.(message)
    } catch (error) {
      this.handlerThrew(error)
    }
  }

  /** Where an exception of a handler called by `deliver` goes (the channel keeps working). */
  protected handlerThrew(error: unknown): void {
    reportListenerError(error)
  }

  /**
   * The close handler, the first time it is asked for once one is set; undefined before
   * that and ever after, so that it is called once.
   */
  protected takeCloseHandler(): ((error?: Error) => void) | undefined {
    const handler = this.closeHandler
    if (this.#closeTaken || handler === undefined) return undefined
    this.#closeTaken = true
    return handler
  }

  /** Whether `takeCloseHandler` has given the close handler out. */
  protected get closeTaken(): boolean {
    return this.#closeTaken
  }
}

/** `ChannelBase` with the control slot of a `ControlChannel`. */
export abstract class ControlChannelBase extends ChannelBase implements ControlChannel {
  protected controlHandler: ((kind: number) => void) | undefined = undefined

  abstract sendControl(kind: number): void

  onControl(handler: (kind: number) => void): void {
    this.controlHandler = handler
  }

  /** Hands a control chunk to the control handler, if there is one; what it throws goes to `handlerThrew`. */
  protected deliverControl(kind: number): void {
    try {
      this.controlHandler?.(kind)
    } catch (error) {
      this.handlerThrew(error)
    }
  }
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

class MemoryEnd extends ChannelBase {
  peer: MemoryEnd | undefined
  #inbox: Array<string | Uint8Array> = []
  #scheduled = false
  #closed = false

  get bufferedAmount(): number {
    return 0
  }

  send(frame: string | Uint8Array): void {
    const peer = this.peer
    if (this.#closed || peer === undefined || peer.#closed) return
    peer.#deliverLater(typeof frame === 'string' ? frame : frame.slice())
  }

  override onMessage(handler: (frame: string | Uint8Array) => void): void {
    super.onMessage(handler)
    if (this.#inbox.length > 0) this.#schedule()
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    const peer = this.peer
    // Frames already sent are delivered first: the peer's inbox was scheduled earlier.
    setTimeout(() => {
      this.takeCloseHandler()?.()
      if (peer !== undefined && !peer.#closed) peer.close()
    }, 0)
  }

  #deliverLater(frame: string | Uint8Array): void {
    this.#inbox.push(frame)
    this.#schedule()
  }

  #schedule(): void {
    if (this.#scheduled || this.messageHandler === undefined) return
    this.#scheduled = true
    setTimeout(() => {
      this.#scheduled = false
      const frames = this.#inbox
      this.#inbox = []
      for (const frame of frames) {
        if (this.#closed) return
        this.deliver(frame)
      }
    }, 0)
  }
}
