/**
 * The channel a mesh link runs over: a relay path through the hub, a direct WebRTC path,
 * or both while the link moves from one to the other. The link above sees one ordered
 * channel; which path carries it is this file's business.
 *
 * Moving is done each way on its own, with control chunks that travel in order with the
 * messages (PROTOCOL.md, "Paths"):
 * - `SWITCH` on a path: "everything I send after this comes on the other path". A side
 *   that moves its sending sends `SWITCH` on the old path, then sends on the new one.
 *   The receiving side delivers from the old path until that `SWITCH`, holding what comes
 *   on the new path meanwhile, then delivers the held messages and goes on from the new
 *   path. Nothing is lost, repeated or reordered, pending calls included.
 * - Relay → direct: each side switches its sending once its direct path is open.
 * - Direct → relay (a budget or idle demotion): one side switches; the other follows.
 *   `DRAINED` on the relay says "your SWITCH on the direct path came": a side closes the
 *   direct path once it has switched both ways and heard `DRAINED`, so no message on it
 *   is lost to the close.
 * A direct path that fails while it carries the link fails the link (what was in flight
 * on it may be gone); one that fails while idle is just dropped.
 */
import { ChannelBase, type ControlChannel, LinkLostError } from '../api/channel.js'
import { Queue } from '../util/queue.js'

/** A path: a channel that also carries control chunks in order with its messages. */
export interface Path extends ControlChannel {
  /** Closes at once with an error, sending nothing more (a link that failed has nothing to drain). */
  fail?(error: Error): void
}

type Message = string | Uint8Array
type Side = 'relay' | 'direct'
type Exchange = { sent: boolean; received: boolean; readonly handler: () => void }

const SWITCH = 1
const DRAINED = 2

const size = (message: Message): number => (typeof message === 'string' ? message.length : message.byteLength)

export class PathChannel extends ChannelBase {
  #relay: Path | undefined
  #direct: Path | undefined
  #sendOn: Side
  #recvFrom: Side
  /** Messages from the path not delivered from yet, in order. */
  readonly #held = new Queue<Message>()
  #heldBytes = 0
  /** The other side has our SWITCH on the direct path (it said DRAINED). */
  #peerDrained = false
  #closed = false
  /** When the link was last seen carrying an application message (see `lastUse`). */
  #lastUse = -Infinity
  /** An application message went either way since `lastUse` was last read. */
  #usedSinceRead = false
  /** Waiting for a message each way (see `afterExchange`). */
  #exchange: Exchange | undefined

  readonly #options: { readonly maxHeldBytes: number; readonly now: () => number; readonly onPathChange?: (path: Side) => void }

  constructor(
    paths: { readonly relay?: Path; readonly direct?: Path },
    options: { readonly maxHeldBytes: number; readonly now: () => number; readonly onPathChange?: (path: Side) => void },
  ) {
    super()
    this.#options = options
    if (paths.relay === undefined && paths.direct === undefined) throw new Error('a path channel needs a path')
    this.#sendOn = this.#recvFrom = paths.relay !== undefined ? 'relay' : 'direct'
    if (paths.relay !== undefined) this.#wire('relay', paths.relay)
    if (paths.direct !== undefined) this.#wire('direct', paths.direct)
  }

  /** The link sent or received an application message (Channel.used): a flag, no clock read per message. */
  used(): void {
    this.#usedSinceRead = true
  }

  /**
   * When the link last carried an application message either way (a call, cast, reply or
   * rpc); never, at first. Its handshake, registry and heartbeats do not count: the
   * direct-link budget goes to pairs that talk, and an idle direct path gives way. The
   * time is that of the first read after the message: the mesh reads every link's each
   * promotion round (`promoteEveryMs`), so it is late by at most that.
   */
  get lastUse(): number {
    if (this.#usedSinceRead) {
      this.#usedSinceRead = false
      this.#lastUse = this.#options.now()
    }
    return this.#lastUse
  }

  /** `direct` once both directions run on the direct path; `relay` otherwise (also while moving). */
  get via(): Side {
    return this.#sendOn === 'direct' && this.#recvFrom === 'direct' ? 'direct' : 'relay'
  }

  /** Whether a direct path is attached (open, or draining after a demotion). */
  get hasDirect(): boolean {
    return this.#direct !== undefined
  }

  /** Whether the link over this channel is over. */
  get isClosed(): boolean {
    return this.#closed
  }

  /** Heartbeats run only while both directions are direct; the hub answers for a relayed member. */
  get heartbeat(): boolean {
    return this.via === 'direct'
  }

  get bufferedAmount(): number {
    return (this.#relay?.bufferedAmount ?? 0) + (this.#direct?.bufferedAmount ?? 0)
  }

  /** A direct path opened: from now on this side sends on it. */
  attachDirect(direct: Path): void {
    if (this.#closed) return direct.close()
    if (this.#direct !== undefined) return direct.close() // one direct path at a time
    this.#wire('direct', direct)
    if (this.#relay === undefined) return
    this.#relay.sendControl(SWITCH)
    this.#moved(() => (this.#sendOn = 'direct'))
  }

  /** Runs a change of direction and tells `onPathChange` when the path as a whole changed. */
  #moved(change: () => void): void {
    const before = this.via
    change()
    if (this.via !== before) this.#options.onPathChange?.(this.via)
  }

  /** Moves this side's sending back to the relay; the other side follows, then the direct path closes. */
  demote(): void {
    if (this.#closed || this.#relay === undefined || this.#direct === undefined || this.#sendOn !== 'direct') return
    this.#direct.sendControl(SWITCH)
    this.#moved(() => (this.#sendOn = 'relay'))
    this.#closeDirectWhenDrained()
  }

  /**
   * Calls `handler` once (in a microtask) when a message has gone each way from now on:
   * after the link's handshake, its first exchange (a call and its reply, say).
   */
  afterExchange(handler: () => void): void {
    this.#exchange = { sent: false, received: false, handler }
  }

  #exchanged(way: 'sent' | 'received'): void {
    const exchange = this.#exchange as Exchange
    exchange[way] = true
    if (!exchange.sent || !exchange.received) return
    this.#exchange = undefined
    queueMicrotask(exchange.handler)
  }

  send(message: Message): void {
    if (this.#closed) return
    if (this.#exchange !== undefined) this.#exchanged('sent')
    const path = this.#sendOn === 'direct' ? this.#direct : this.#relay
    path?.send(message)
  }

  close(): void {
    this.#end(undefined)
  }

  /** Closes the link with a reason (the member left the cluster, the hub stayed away). */
  fail(error: LinkLostError): void {
    this.#end(error)
  }

  #wire(side: Side, path: Path): void {
    if (side === 'relay') this.#relay = path
    else this.#direct = path
    path.onMessage((message) => this.#received(side, message))
    path.onControl((kind) => this.#control(side, kind))
    path.onActivity?.(() => this.activityHandler?.())
    path.onClose((error) => this.#pathClosed(side, path, error))
  }

  #received(side: Side, message: Message): void {
    if (this.#closed) return
    if (this.#exchange !== undefined) this.#exchanged('received')
    if (side === this.#recvFrom) return this.messageHandler?.(message)
    this.#heldBytes += size(message)
    if (this.#heldBytes > this.#options.maxHeldBytes) {
      return this.#end(new LinkLostError('transport_error', `over ${this.#options.maxHeldBytes} bytes came on the ${side} path before the other path said it was done`))
    }
    this.#held.push(message)
  }

  #control(side: Side, kind: number): void {
    if (this.#closed) return
    if (kind === SWITCH) {
      const to: Side = side === 'relay' ? 'direct' : 'relay'
      if (side !== this.#recvFrom) return this.#end(new LinkLostError('transport_error', `a switch came on the ${side} path, which was not in use`))
      this.#moved(() => (this.#recvFrom = to))
      for (let message = this.#held.shift(); message !== undefined; message = this.#held.shift()) this.messageHandler?.(message)
      this.#heldBytes = 0
      if (to === 'relay') {
        // the other side left the direct path: we follow, and tell it its switch came
        this.#relay?.sendControl(DRAINED)
        if (this.#sendOn === 'direct') this.demote()
        else this.#closeDirectWhenDrained()
      }
      return
    }
    if (kind === DRAINED && side === 'relay') {
      this.#peerDrained = true
      this.#closeDirectWhenDrained()
    }
  }

  #closeDirectWhenDrained(): void {
    const direct = this.#direct
    if (direct === undefined || this.#sendOn !== 'relay' || this.#recvFrom !== 'relay' || !this.#peerDrained) return
    this.#direct = undefined
    this.#peerDrained = false
    direct.close()
  }

  #pathClosed(side: Side, path: Path, error: Error | undefined): void {
    if (this.#closed) return
    if (side === 'relay') {
      // The other side closed its relay cleanly while the link runs direct: the direct path
      // carries what is left (its bye among it) and ends the link itself.
      if (error === undefined && this.via === 'direct') {
        this.#relay = undefined
        return
      }
      return this.#end(error ?? new LinkLostError('closed', 'the relay path closed'))
    }
    if (this.#direct !== path) return // a direct path already dropped after a demotion
    this.#direct = undefined
    if (this.#relay !== undefined && this.#sendOn === 'relay' && this.#recvFrom === 'relay' && this.#held.length === 0) return // it carried nothing
    this.#end(error ?? new LinkLostError('closed', 'the direct path closed'))
  }

  #end(error: Error | undefined): void {
    if (this.#closed) return
    this.#closed = true
    this.#held.clear()
    for (const path of [this.#relay, this.#direct]) {
      // a clean close lets what was sent drain (the bye among it); a failed link sends nothing more
      if (error !== undefined && path?.fail !== undefined) path.fail(error)
      else path?.close()
    }
    this.takeCloseHandler()?.(error)
  }
}
