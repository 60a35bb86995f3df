/**
 * The node's end of the relay path: one `RelayChannel` per member it reaches through the
 * hub, packets in from the hub routed to them, packets out gathered per tick and sent
 * with one `relay` event per distinct chunk. When several members are sent the same
 * chunk in one tick (a registration reaches every relayed member as the same batch of
 * frames), it leaves once, with every target listed: the hub fans it out. Acks ride on
 * packets going the other way; a channel that owes one and sends nothing within
 * `MESH_DEFAULTS.ackDelayMs` (a reply usually goes back sooner) has it sent bare, in one
 * event for all such channels; the ack of a link's first packet waits `lazyAckMs` (what
 * this side says next on the link, usually its first registration, carries it). The hub
 * does not acknowledge packets: the receivers do, end to end, and the hub only tells of a
 * packet it refused (`onRefused`), which is sent again soon.
 *
 * Which channel a packet belongs to: the one to the sender's incarnation (stamped by the
 * hub) whose other end has that epoch. Each node numbers its channels in the order it
 * opens them, so a packet of an earlier epoch than the newest seen from that incarnation
 * belongs to a link that is over (a resend from before it closed) and is dropped; a newer
 * epoch, or another incarnation, goes to the mesh (`route`), which says whether it starts
 * a new link (the other side started over, or restarted) or is dropped.
 */
import { RelayLimits, type RelayNotice, type RelayTarget } from '../hub/relay-protocol.js'
import type { RelayTransport } from '../hub/signaling.js'
import { logger } from '../util/log.js'
import { MESH_DEFAULTS } from './mesh-options.js'
import { RelayChannel, type RelayChannelOptions, type RelayOutlet } from './relay-channel.js'
import { soon, startTimer, type TimerHandle } from '../util/async.js'

const log = logger('distribunator:relay')

type Outgoing = { readonly channel: RelayChannel; readonly seq: number; readonly data: string | Uint8Array }

export class RelayRouter implements RelayOutlet {
  readonly #channels = new Map<string, RelayChannel>()
  /**
   * The newest epoch taken from each member's incarnation, one entry per member id (kept
   * when it leaves: it may come back with the same life), at most `MESH_DEFAULTS.maxKnownEpochs`, the least
   * recently heard from forgotten first.
   */
  readonly #newest = new Map<string, { readonly inc: number; readonly epoch: number }>()
  /** The epoch of the next channel this node opens. */
  #nextEpoch = 1
  /** Channels closed cleanly and replaced, still sending what the other side has not acknowledged. */
  readonly #draining = new Set<RelayChannel>()
  #outgoing: Outgoing[] = []
  readonly #acks = new Set<RelayChannel>()
  #scheduled = false
  #ackTimer: TimerHandle | undefined
  /** `#ackTimer` waits `ackDelayMs` (not `lazyAckMs`): nothing owed needs it sooner. */
  #ackPrompt = false
  /** How long the ack of a link's first packet waits for a packet to ride on. */
  readonly #lazyAckMs: number
  /** The last packet could not leave (no hub connection): logged once until one does. */
  #stalled = false

  readonly #transport: RelayTransport
  readonly #options: RelayChannelOptions
  readonly #route: (from: string, inc: number) => RelayChannel | undefined
  readonly #report: (message: string) => void

  constructor(
    transport: RelayTransport,
    options: RelayChannelOptions,
    /**
     * A packet no open channel takes came from incarnation `inc` of `from` (a new link, or
     * a new life of that member): end what the mesh had with `from` and return a fresh
     * channel, or return undefined to drop it.
     */
    route: (from: string, inc: number) => RelayChannel | undefined,
    report: (message: string) => void,
  ) {
    this.#transport = transport
    this.#options = options
    this.#route = route
    this.#report = report
    this.#lazyAckMs = Math.max(MESH_DEFAULTS.ackDelayMs, Math.min(MESH_DEFAULTS.lazyAckMs, options.retransmitMs / 4))
    transport.onPacket((notice) => this.#received(notice))
    transport.onRefused((refusal) => {
      log('hub refused a packet (%s); resending', refusal.code)
      for (const [to, , epoch] of refusal.targets) {
        const channel = this.get(to)
        if (channel?.epoch === epoch) channel.notForwarded()
      }
    })
  }

  /** Makes the channel to incarnation `inc` of `member` (replacing the one it had). */
  open(member: string, inc: number): RelayChannel {
    const channel = new RelayChannel(member, inc, this.#nextEpoch++, this, this.#options, (error) => {
      log('%s: dropped: %s', member, error.message)
      this.#report(`relay from ${member}: ${error.message}`)
    })
    const previous = this.#channels.get(member)
    if (previous !== undefined && !previous.isFinished) this.#draining.add(previous)
    for (const old of this.#draining) if (old.isFinished) this.#draining.delete(old)
    this.#channels.set(member, channel)
    channel.onClose(() => {
      if (this.#channels.get(member) === channel) this.#channels.delete(member)
    })
    return channel
  }

  get(member: string): RelayChannel | undefined {
    const channel = this.#channels.get(member)
    return channel?.isClosed === false ? channel : undefined
  }

  /**
   * Drops the channel to `member` at once, sending nothing more on it (not even what it had
   * not delivered yet), and what was known of its epochs: the member left, or restarted.
   */
  forget(member: string, error: Error): void {
    this.#channels.get(member)?.fail(error)
    this.#channels.delete(member)
    for (const old of this.#draining) {
      if (old.remote !== member && !old.isFinished) continue
      old.fail(error)
      this.#draining.delete(old)
    }
  }

  /** Sends again everything not acknowledged (the hub connection came back). */
  resendAll(): void {
    for (const channel of this.#channels.values()) channel.resend()
  }

  /** Closes every channel (the node is closing). */
  closeAll(): void {
    for (const channel of [...this.#channels.values()]) channel.close()
    this.#channels.clear()
    if (this.#ackTimer !== undefined) clearTimeout(this.#ackTimer)
    this.#ackTimer = undefined
    this.#acks.clear()
  }

  send(channel: RelayChannel, packet: { readonly seq: number; readonly data: string | Uint8Array } | undefined): void {
    if (packet === undefined) {
      this.#acks.add(channel)
      // one timer for every ack owed: a prompt one replaces a lazy one, nothing else does
      const prompt = !channel.ackCanWait
      if (this.#ackTimer !== undefined) {
        if (this.#ackPrompt || !prompt) return
        clearTimeout(this.#ackTimer)
      }
      this.#ackPrompt = prompt
      this.#ackTimer = startTimer(() => this.#flushAcks(), prompt ? MESH_DEFAULTS.ackDelayMs : this.#lazyAckMs) // an owed ack never holds a process open
      return
    }
    this.#outgoing.push({ channel, seq: packet.seq, data: packet.data })
    if (this.#scheduled) return
    this.#scheduled = true
    soon(() => this.#flush())
  }

  #received(notice: RelayNotice): void {
    const { from, fromInc, epoch } = notice
    const newest = this.#newest.get(from)
    const known = newest !== undefined && newest.inc === fromInc
    // an earlier link of that incarnation: what it still resends is not for the current one
    if (known && epoch < newest.epoch) return
    let channel = this.get(from)
    const takes =
      channel !== undefined &&
      channel.remoteInc === fromInc &&
      (channel.remoteEpoch === undefined ? !known || epoch > newest.epoch : channel.remoteEpoch === epoch)
    if (!takes) {
      // a fresh channel of ours does not take the newest epoch it saw before it: that link is over
      if (channel !== undefined && channel.remoteInc === fromInc && channel.remoteEpoch === undefined && known) return
      channel = this.#route(from, fromInc)
      if (channel === undefined) return
    }
    if (!known || epoch > newest.epoch) {
      this.#newest.delete(from)
      this.#newest.set(from, { inc: fromInc, epoch })
      if (this.#newest.size > MESH_DEFAULTS.maxKnownEpochs) this.#newest.delete(this.#newest.keys().next().value as string)
    }
    channel?.receive(notice)
  }

  #flush(): void {
    this.#scheduled = false
    const outgoing = this.#outgoing
    this.#outgoing = []
    // Packets leave in the order they were made (each member gets its own in sequence); a
    // run of the same chunk for different members leaves as one event listing them all.
    let data: string | Uint8Array | undefined
    let targets: RelayTarget[] = []
    let members: RelayChannel[] = []
    const remotes = new Set<string>() // a packet names each member once (the hub refuses repeats)
    for (const packet of outgoing) {
      const channel = packet.channel
      if (targets.length > 0 && (packet.data !== data || remotes.has(channel.remote))) {
        this.#emit(targets, data, members)
        targets = []
        members = []
        remotes.clear()
      }
      data = packet.data
      members.push(channel)
      remotes.add(channel.remote)
      targets.push([channel.remote, channel.remoteInc, channel.epoch, packet.seq, channel.takeAck()])
    }
    if (targets.length > 0) this.#emit(targets, data, members)
  }

  /** Sends the acks still owed (no packet went back to carry them). */
  #flushAcks(): void {
    this.#ackTimer = undefined
    const bare: RelayTarget[] = []
    const remotes = new Set<string>()
    for (const channel of this.#acks) {
      if (channel.isClosed || !channel.owesAck || remotes.has(channel.remote)) continue
      remotes.add(channel.remote)
      bare.push([channel.remote, channel.remoteInc, channel.epoch, 0, channel.takeAck()])
    }
    this.#acks.clear()
    // a lost bare ack is made good by the next one (the sender's retransmission brings it)
    for (let at = 0; at < bare.length; at += RelayLimits.maxTargets) this.#transport.send(bare.slice(at, at + RelayLimits.maxTargets), undefined)
  }

  #emit(targets: RelayTarget[], data: string | Uint8Array | undefined, owners: readonly RelayChannel[]): void {
    for (let at = 0; at < targets.length; at += RelayLimits.maxTargets) {
      // A packet that could not leave (no hub connection) stays unacknowledged with its
      // channel, which sends it again soon; one lost on the way, by its retransmit timer.
      const sent = this.#transport.send(targets.slice(at, at + RelayLimits.maxTargets), data)
      if (sent === this.#stalled) log(sent ? 'packets leave again' : 'hub unreachable: packets wait')
      this.#stalled = !sent
      if (!sent) for (const owner of owners.slice(at, at + RelayLimits.maxTargets)) owner.notForwarded()
    }
  }
}
