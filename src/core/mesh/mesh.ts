/**
 * The full mesh: a node joins its cluster through a `Signaling` backend and links to
 * every other member over a WebRTC peer made by a `PeerFactory` (both handed in by
 * `distribunator/browser` or `distribunator/server`). One link per pair: the member with
 * the smaller id sends the offer, so two members never both offer. Links outlive the
 * hub: a member the hub reports gone keeps its link until the link itself drops; a
 * dropped link to a member the hub still lists is tried again with backoff.
 */
import { channelFromPeer, type DataChannelOptions } from '../webrtc/data-channel.js'
import { BadArgError, ProtocolError } from '../api/errors.js'
import type { NodeOptions } from '../api/types.js'
import { NodeRuntime } from '../node/node.js'
import type { Signaling } from '../signaling/signaling.js'
import type { PeerFactory, PeerLike } from '../webrtc/simple-peer.js'
import { startTimer, type TimerHandle } from '../util/async.js'
import type { DistNode } from '../api/types.js'

export interface MeshOptions extends NodeOptions {
  /** ICE servers handed to every peer (STUN/TURN). Default: none (host candidates). */
  readonly iceServers?: readonly unknown[]
  /** `connect()` resolves once the members present at join are linked, or after this long. Default 10 s. */
  readonly meshTimeoutMs?: number
  /** A link attempt that has not opened after this long is abandoned and retried. Default 15 s. */
  readonly linkTimeoutMs?: number
  /** Data-channel framing options (chunk size, largest value, buffering). */
  readonly transport?: DataChannelOptions
  /**
   * Link attempts this node has in progress at once, each way: offers it sent and offers
   * it answered that have not opened yet. Members beyond it wait their turn; an offer
   * beyond it is answered "busy" and its sender tries again later. Default 16.
   */
  readonly maxPendingLinks?: number
}

interface Attempt {
  readonly peer: PeerLike
  readonly initiator: boolean
  readonly timer: TimerHandle
  linked: boolean
  /** Still counted against `maxPendingLinks`. */
  pending: boolean
}

const signalType = (data: unknown): unknown => (typeof data === 'object' && data !== null ? (data as { type?: unknown }).type : undefined)
/** The mesh's own signal: "I cannot take your offer now; try again later". */
const BUSY = { type: 'busy' } as const
const DEFAULT_MAX_PENDING_LINKS = 16

/**
 * Joins a cluster and keeps this node linked to every member. Resolves with the node.
 *
 * @example
 * const node = await joinMesh({ id: 'tab-1' }, signaling, createPeer)
 */
export async function joinMesh(options: MeshOptions, signaling: Signaling, createPeer: PeerFactory): Promise<DistNode> {
  const node = new NodeRuntime(options)
  const mesh = new Mesh(node, signaling, createPeer, options)
  node.beforeClose(() => mesh.stop())
  try {
    await mesh.start()
  } catch (error) {
    await node.close()
    throw error
  }
  return node
}

class Mesh {
  private readonly attempts = new Map<string, Attempt>()
  private readonly channels = new Map<string, ReturnType<typeof channelFromPeer>>()
  private readonly retries = new Map<string, TimerHandle>()
  private readonly backoff = new Map<string, number>()
  private members = new Set<string>()
  /** Members to offer to once an outgoing slot frees, in the order they came. */
  private readonly offerQueue = new Set<string>()
  /** Attempts not yet linked that this side offered, and that it answered. */
  private offering = 0
  private answering = 0
  private readonly maxPending: number
  private stopped = false

  constructor(
    private readonly node: NodeRuntime,
    private readonly signaling: Signaling,
    private readonly createPeer: PeerFactory,
    private readonly options: MeshOptions,
  ) {
    const max = options.maxPendingLinks ?? DEFAULT_MAX_PENDING_LINKS
    if (!Number.isInteger(max) || max < 1) throw new BadArgError(`maxPendingLinks must be a positive integer, got ${String(max)}`)
    this.maxPending = max
  }

  async start(): Promise<void> {
    this.signaling.onMemberJoin((id) => {
      this.members.add(id)
      this.consider(id)
    })
    this.signaling.onMemberLeave((id) => {
      this.members.delete(id)
      this.offerQueue.delete(id)
      this.cancelRetry(id)
      const attempt = this.attempts.get(id)
      if (attempt !== undefined && !attempt.linked) this.drop(id, attempt)
    })
    // The member list at every (re)join, then each change to it, in order (see Signaling).
    this.signaling.onJoined(({ id, members }) => {
      if (id !== this.node.id) return
      this.members = new Set(members)
      for (const member of members) this.consider(member)
    })
    this.signaling.onSignal((from, data) => this.signal(from, data))
    this.node.on('nodedown', (id) => {
      this.channels.delete(id)
      const attempt = this.attempts.get(id)
      if (attempt !== undefined && attempt.linked) this.drop(id, attempt)
      if (this.members.has(id)) this.scheduleRetry(id)
    })
    const { id, members } = await this.signaling.join()
    if (id !== this.node.id) throw new ProtocolError(`the hub bound id ${id}, expected ${this.node.id}`)
    await this.settle(members, this.options.meshTimeoutMs ?? 10_000)
  }

  /** Waits until `members` are linked (or gone from the hub), at most `ms`. */
  private settle(members: readonly string[], ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): boolean => members.every((m) => !this.members.has(m) || this.node.linked(m) !== undefined)
      if (done()) return resolve()
      const timer = startTimer(finish, ms)
      const offs = [this.node.on('nodeup', check), this.node.on('nodedown', check)]
      const poll = setInterval(check, 100)
      function check(): void {
        if (done()) finish()
      }
      function finish(): void {
        clearTimeout(timer)
        clearInterval(poll)
        for (const off of offs) off()
        resolve()
      }
    })
  }

  /** Starts a link to `id` when this side is the one that offers, or queues it while the offers in progress are at the limit. */
  private consider(id: string): void {
    if (this.stopped || id === this.node.id || this.node.hasLink(id) || this.attempts.has(id)) return
    if (this.node.id > id) return
    if (this.offering >= this.maxPending) {
      this.offerQueue.add(id)
      return
    }
    this.open(id, true)
  }

  /** An attempt opened or ended: its slot goes to the next member waiting for one. */
  private release(attempt: Attempt): void {
    if (!attempt.pending) return
    attempt.pending = false
    if (attempt.initiator) this.offering--
    else this.answering--
    while (this.offering < this.maxPending && this.offerQueue.size > 0 && !this.stopped) {
      const [next] = this.offerQueue as Iterable<string>
      this.offerQueue.delete(next as string)
      if (this.members.has(next as string)) this.consider(next as string)
    }
  }

  private open(id: string, initiator: boolean): Attempt {
    this.cancelRetry(id)
    this.offerQueue.delete(id)
    if (initiator) this.offering++
    else this.answering++
    const peer = this.createPeer({ initiator, ...(this.options.iceServers ? { iceServers: this.options.iceServers } : {}) })
    const timer = startTimer(() => {
      const current = this.attempts.get(id)
      if (current === attempt && !attempt.linked) {
        this.drop(id, attempt)
        this.scheduleRetry(id)
      }
    }, this.options.linkTimeoutMs ?? 15_000)
    const attempt: Attempt = { peer, initiator, timer, linked: false, pending: true }
    this.attempts.set(id, attempt)
    peer.on('signal', (data) => this.signaling.sendSignal(id, data))
    peer.on('error', () => {
      // 'close' follows; the link (if any) reports the loss through the node
    })
    peer.on('close', () => {
      if (this.attempts.get(id) !== attempt) return
      this.attempts.delete(id)
      clearTimeout(attempt.timer)
      this.release(attempt)
      if (!attempt.linked && this.members.has(id)) this.scheduleRetry(id)
    })
    peer.on('connect', () => void this.linkPeer(id, attempt))
    return attempt
  }

  private async linkPeer(id: string, attempt: Attempt): Promise<void> {
    if (this.attempts.get(id) !== attempt || this.stopped) return
    const old = this.channels.get(id)
    if (old !== undefined) old.close()
    const channel = channelFromPeer(attempt.peer, {
      ...this.options.transport,
      onError: (error) => this.node.report(undefined, `transport from ${id}: ${error.message}`),
    })
    this.channels.set(id, channel)
    try {
      // The hub vouches for the id that signalled this peer: a hello with another id closes it.
      await this.node.link(channel, { expect: id })
      attempt.linked = true
      clearTimeout(attempt.timer)
      this.release(attempt)
      this.backoff.delete(id)
    } catch {
      if (this.channels.get(id) === channel) this.channels.delete(id)
      channel.close()
    }
  }

  private signal(from: string, data: unknown): void {
    if (this.stopped) return
    let attempt = this.attempts.get(from)
    const type = signalType(data)
    if (type === BUSY.type) {
      // The other side could not take this side's offer now: try again later.
      if (attempt !== undefined && attempt.initiator && !attempt.linked) {
        this.drop(from, attempt)
        if (this.members.has(from)) this.scheduleRetry(from)
      }
      return
    }
    if (type === 'offer') {
      // The smaller id offers; when both sides offered at once (glare), the smaller id
      // keeps its own attempt and ignores the other offer. Any other offer replaces
      // what this side had with that node (the other side started over).
      if (this.node.id < from && attempt !== undefined && !attempt.linked) return
      if (attempt !== undefined) this.drop(from, attempt)
      if (this.answering >= this.maxPending) {
        this.signaling.sendSignal(from, BUSY)
        return
      }
      attempt = this.open(from, false)
    }
    if (attempt === undefined) return
    try {
      attempt.peer.signal(data)
    } catch (error) {
      this.node.report(undefined, `bad signal from ${from}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  private drop(id: string, attempt: Attempt): void {
    if (this.attempts.get(id) === attempt) this.attempts.delete(id)
    clearTimeout(attempt.timer)
    this.release(attempt)
    if (!attempt.peer.destroyed) attempt.peer.destroy()
  }

  /** Tries `id` again later, with exponential backoff (250 ms doubling to 10 s). */
  private scheduleRetry(id: string): void {
    if (this.stopped || this.retries.has(id) || this.node.id > id) return
    const delay = Math.min((this.backoff.get(id) ?? 125) * 2, 10_000)
    this.backoff.set(id, delay)
    const timer = startTimer(() => {
      this.retries.delete(id)
      this.consider(id)
    }, delay)
    this.retries.set(id, timer)
  }

  private cancelRetry(id: string): void {
    const timer = this.retries.get(id)
    if (timer === undefined) return
    clearTimeout(timer)
    this.retries.delete(id)
  }

  stop(): void {
    if (this.stopped) return
    this.stopped = true
    for (const timer of this.retries.values()) clearTimeout(timer)
    this.retries.clear()
    this.offerQueue.clear()
    // Linked peers are closed by the node itself, through their channels, after its bye.
    for (const [id, attempt] of [...this.attempts]) if (!attempt.linked) this.drop(id, attempt)
    this.signaling.close()
  }
}
