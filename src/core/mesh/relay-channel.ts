/**
 * A `Channel` to one member over the hub's relay path (hub/relay-protocol.ts).
 *
 * Messages are cut into chunks as on a data channel (wire/chunk-stream.ts). Each chunk
 * is a numbered packet; the receiver delivers packets in order, drops repeats and gaps,
 * and acknowledges what it delivered (cumulatively, on its own packets or on bare acks),
 * so a packet lost when a hub goes away is sent again when the hub comes back: nothing is
 * lost, repeated or reordered while both members stay in the cluster. At most
 * `windowBytes` are in flight unacknowledged; the rest waits here and counts in
 * `bufferedAmount` (which the link bounds with `maxSendBufferBytes`).
 *
 * A channel belongs to one incarnation of each end: its packets name the other side's
 * incarnation (`remoteInc`), and its `epoch` (given by the router, growing with each
 * channel a node opens) tells the other side which of this node's links they belong to.
 * The router (relay-router.ts) decides which channel a packet belongs to: packets of an
 * earlier epoch or another incarnation never reach this one.
 */
import { ControlChannelBase } from '../api/channel.js'
import { errorMessage } from '../api/errors.js'
import { startTimer, type TimerHandle } from '../util/async.js'
import { logger } from '../util/log.js'
import { Queue } from '../util/queue.js'
import type { RelayNotice } from '../hub/relay-protocol.js'
import { MESH_DEFAULTS } from './mesh-options.js'
import { chunkMessage, controlChunk, OutgoingStream, Reassembler } from '../wire/chunk-stream.js'

/** One numbered chunk, kept until the other side acknowledges it. */
interface Packet {
  readonly seq: number
  readonly data: string | Uint8Array
  readonly bytes: number
}

/** Where a relay channel sends its packets (a `RelayRouter`, shared by the node's relay channels). */
export interface RelayOutlet {
  send(channel: RelayChannel, packet: Packet | undefined): void
}

export interface RelayChannelOptions {
  /** Largest chunk, in bytes. */
  readonly chunkBytes: number
  /** Largest message either way, in bytes. */
  readonly maxMessageBytes: number
  /** Bytes in flight unacknowledged at most. */
  readonly windowBytes: number
  /** First wait for an acknowledgement before packets are sent again, in ms (doubling to 8×). */
  readonly retransmitMs: number
}

const log = logger('distribunator:relay')

const weight = (data: string | Uint8Array): number => (typeof data === 'string' ? data.length * 3 : data.byteLength)
/** The weight of a packet held ahead of a gap, against `windowBytes`. */
const heldWeight = (data: string | Uint8Array): number => weight(data) + MESH_DEFAULTS.heldPacketBytes

/** The relay channel's own control chunk: the sender closed the channel (after everything it sent). */
const CONTROL_CLOSE = 0

export class RelayChannel extends ControlChannelBase {
  /** The other side's epoch, from its first packet. */
  #remoteEpoch: number | undefined
  #nextSeq = 1
  readonly #unacked = new Queue<Packet>()
  #unackedBytes = 0
  /** Chunks (and streams of chunks) waiting until fewer than windowBytes are unacknowledged. */
  readonly #waiting = new Queue<string | Uint8Array | OutgoingStream>()
  #waitingBytes = 0
  /** The last packet delivered in order; the cumulative ack this side sends. */
  #delivered = 0
  /** Packets that came ahead of a gap, held until it is filled (at most `windowBytes`, each weighing its data and 64 bytes). */
  readonly #ahead = new Map<number, string | Uint8Array>()
  #aheadBytes = 0
  #ackOwed = false
  readonly #assembler: Reassembler
  #retransmitTimer: TimerHandle | undefined
  #retransmitSoon: TimerHandle | undefined
  #backoff = 1
  /** Closed for its user: nothing more is sent or delivered (what was sent still drains). */
  #closed = false
  /** Done for good: nothing is sent again, timers stopped. */
  #finished = false

  readonly #outlet: RelayOutlet
  readonly #options: RelayChannelOptions
  readonly #onDropped: (error: Error) => void

  constructor(
    /** The member at the other end. */
    readonly remote: string,
    /** Its incarnation: every packet of this channel is addressed to it. */
    readonly remoteInc: number,
    /** This side's epoch; packets name it so the other side can tell a fresh channel from this one. */
    readonly epoch: number,
    outlet: RelayOutlet,
    options: RelayChannelOptions,
    onDropped: (error: Error) => void,
  ) {
    super()
    this.#outlet = outlet
    this.#options = options
    this.#onDropped = onDropped
    this.#assembler = new Reassembler(
      options.maxMessageBytes,
      (message) => this.deliver(message),
      (error) => this.#onDropped(error),
      (kind) => (kind === CONTROL_CLOSE ? this.#shutdown(undefined, false) : this.deliverControl(kind)),
    )
  }

  /** Bytes not yet acknowledged by the other side, sent or waiting. */
  get bufferedAmount(): number {
    return this.#unackedBytes + this.#waitingBytes
  }

  /** Liveness of a relayed member comes from the hub: the link sends no heartbeat here. */
  readonly heartbeat = false

  send(message: string | Uint8Array): void {
    if (this.#closed) return
    const out = chunkMessage(message, this.#options.chunkBytes, this.#options.maxMessageBytes)
    this.#waiting.push(out)
    this.#waitingBytes += out instanceof OutgoingStream ? out.total : weight(out)
    this.#pump()
  }

  /** Sends a control chunk in order with the messages. */
  sendControl(kind: number): void {
    if (this.#finished || (this.#closed && kind !== CONTROL_CLOSE)) return
    const chunk = controlChunk(kind)
    this.#waiting.push(chunk)
    this.#waitingBytes += chunk.byteLength
    this.#pump()
  }

  /**
   * Closes this end: the other end is told (after everything sent before), and what was
   * sent keeps being delivered for a while, as a data channel does.
   */
  close(): void {
    if (this.#closed) return
    this.sendControl(CONTROL_CLOSE)
    this.#shutdown(undefined, true)
  }

  /** Closes with an error at once (the member left, the other side started over, the hub is gone). */
  fail(error: Error): void {
    this.#shutdown(error, false)
  }

  get isClosed(): boolean {
    return this.#closed
  }

  /** Done for good: closed, and nothing left to send. */
  get isFinished(): boolean {
    return this.#finished
  }

  /** The other side's epoch on this channel, once a packet of it came. */
  get remoteEpoch(): number | undefined {
    return this.#remoteEpoch
  }

  // ---- sending ----

  /** Sends waiting chunks while fewer than windowBytes are unacknowledged. */
  #pump(): void {
    while (!this.#finished && this.#waiting.length > 0) {
      const head = this.#waiting.peek() as string | Uint8Array | OutgoingStream
      let data: string | Uint8Array
      if (head instanceof OutgoingStream) {
        if (this.#unackedBytes + this.#options.chunkBytes > this.#options.windowBytes && this.#unackedBytes > 0) return
        const header = head.headerBytes
        data = head.next(this.#options.chunkBytes)
        this.#waitingBytes -= data.byteLength - header
        if (head.done) this.#waiting.shift()
      } else {
        const bytes = weight(head)
        if (this.#unackedBytes + bytes > this.#options.windowBytes && this.#unackedBytes > 0) return
        this.#waiting.shift()
        this.#waitingBytes -= bytes
        data = head
      }
      const packet: Packet = { seq: this.#nextSeq++, data, bytes: weight(data) }
      this.#unacked.push(packet)
      this.#unackedBytes += packet.bytes
      this.#ackOwed = false // the packet carries the ack
      this.#outlet.send(this, packet)
      this.#armRetransmit()
    }
  }

  /** The cumulative ack to send now (the outlet reads it for every packet to the other side). */
  takeAck(): number {
    this.#ackOwed = false
    return this.#delivered
  }

  /** Whether a bare ack is owed (packets came and none went back since). */
  get owesAck(): boolean {
    return this.#ackOwed
  }

  /**
   * Whether the ack owed covers only the other side's first packet (its hello and
   * registry): what this side says next on the link (its first registration or call)
   * carries it, so it may wait `lazyAckMs`. Any later ack waits `ackDelayMs`.
   */
  get ackCanWait(): boolean {
    return this.#delivered <= 1
  }

  #armRetransmit(): void {
    if (this.#retransmitTimer !== undefined || this.#unacked.length === 0 || this.#finished) return
    const ms = this.#options.retransmitMs * this.#backoff
    this.#retransmitTimer = startTimer(() => {
      this.#retransmitTimer = undefined
      log('%s: no ack in %d ms; resending %d packets', this.remote, ms, this.#unacked.length)
      this.#backoff = Math.min(this.#backoff * 2, 8)
      this.resend()
    }, ms)
  }

  /** A packet was not forwarded (the hub refused it, or its connection dropped): send again soon. */
  notForwarded(): void {
    if (this.#finished || this.#retransmitSoon !== undefined) return
    this.#retransmitSoon = startTimer(() => {
      this.#retransmitSoon = undefined
      this.resend()
    }, Math.min(MESH_DEFAULTS.resendSoonMs, this.#options.retransmitMs))
  }

  /** Sends every unacknowledged packet again (after a timeout, a refusal, or the hub coming back). */
  resend(): void {
    if (this.#finished) return
    const packets = this.#unacked.clear()
    for (const packet of packets) this.#unacked.push(packet)
    for (const packet of packets) this.#outlet.send(this, packet)
    this.#armRetransmit()
  }

  // ---- receiving ----

  /** A packet from the other side's channel of this link (the router checked its incarnation and epoch). */
  receive(notice: RelayNotice): void {
    if (this.#finished) return
    this.#remoteEpoch ??= notice.epoch
    this.activityHandler?.()
    this.#acknowledged(notice.ack)
    const data = notice.data
    if (data === undefined) return
    this.#ackOwed = true
    this.#outlet.send(this, undefined) // an ack goes back, on a packet of ours or bare
    const seq = notice.seq
    if (seq <= this.#delivered || this.#ahead.has(seq)) return // a repeat
    if (seq > this.#delivered + 1) {
      // ahead of a gap the sender fills again: held, within what an honest sender has in flight
      const bytes = heldWeight(data)
      if (this.#aheadBytes + bytes <= this.#options.windowBytes) {
        this.#ahead.set(seq, data)
        this.#aheadBytes += bytes
      }
      return
    }
    this.#deliver(seq, data)
    for (let next = this.#ahead.get(this.#delivered + 1); next !== undefined; next = this.#ahead.get(this.#delivered + 1)) {
      this.#ahead.delete(this.#delivered + 1)
      this.#aheadBytes -= heldWeight(next)
      this.#deliver(this.#delivered + 1, next)
    }
  }

  #deliver(seq: number, data: string | Uint8Array): void {
    this.#delivered = seq
    if (!this.#closed) this.#assembler.push(data)
  }

  #acknowledged(ack: number): void {
    let progress = false
    for (let head = this.#unacked.peek(); head !== undefined && head.seq <= ack; head = this.#unacked.peek()) {
      this.#unacked.shift()
      this.#unackedBytes -= head.bytes
      progress = true
    }
    if (!progress) return
    if (this.#closed && this.#unacked.length === 0 && this.#waiting.length === 0) return this.#finish() // drained
    this.#backoff = 1
    if (this.#retransmitTimer !== undefined) clearTimeout(this.#retransmitTimer)
    this.#retransmitTimer = undefined
    this.#pump()
    this.#armRetransmit()
  }

  /** A message or control handler threw: the channel goes on, the error is reported as a dropped message's. */
  protected override handlerThrew(error: unknown): void {
    this.#onDropped(new Error(`a relay message handler threw: ${errorMessage(error)}`))
  }

  /**
   * Closes for the user (once: the close handler runs once). With `drain`, what is still
   * unacknowledged keeps being sent until the other side has it, for at most `relayDrainMs`.
   */
  #shutdown(error: Error | undefined, drain: boolean): void {
    if (!this.#closed) {
      this.#closed = true
      this.#assembler.reset()
      const handler = this.takeCloseHandler()
      if (handler !== undefined) queueMicrotask(() => handler(error))
    }
    if (drain && this.#unacked.length + this.#waiting.length > 0) startTimer(() => this.#finish(), MESH_DEFAULTS.relayDrainMs)
    else this.#finish()
  }

  #finish(): void {
    if (this.#finished) return
    this.#finished = true
    if (this.#retransmitTimer !== undefined) clearTimeout(this.#retransmitTimer)
    if (this.#retransmitSoon !== undefined) clearTimeout(this.#retransmitSoon)
    this.#retransmitTimer = undefined
    this.#retransmitSoon = undefined
    this.#unacked.clear()
    this.#waiting.clear()
    this.#ahead.clear()
    this.#unackedBytes = 0
    this.#waitingBytes = 0
    this.#aheadBytes = 0
  }
}
