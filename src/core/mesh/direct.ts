/**
 * Direct WebRTC links of a mesh node: attempts (an offer sent or answered, through the
 * hub's signals), how many run at once, the direct-link budget, retries with backoff, and
 * which pairs hold a direct path. The mesh (mesh.ts) decides which members want one and
 * attaches an opened peer to that member's link.
 *
 * Who offers: the member with the smaller id, unless the larger one wants a direct path
 * first (to promote a busy relayed pair); a node with more members than its budget offers
 * only to promote (the pairs that carry calls, not the first met). When both asked at
 * once (glare) the smaller id keeps its own attempt. The offerer asks first (`ask`, a
 * signal, no peer connection yet); the other side answers `go` and holds a slot of its
 * budget for the offer, or `busy` when it has `maxPendingLinks` answers in progress or no
 * room in its direct-link budget: the offerer stays on the relay and asks again after its
 * backoff. Only after `go` does the offerer build a peer connection, so a crowd of members
 * with full budgets costs a signal each, not a peer connection and its ICE gathering
 * each. An ask from a member this node's `direct` policy refuses is answered `nodirect`:
 * the offerer does not ask again. A pair that may only link directly (one side takes no
 * relay) and cannot is told on both sides (`unlinked`).
 */
import { errorMessage } from '../api/errors.js'
import { now, startTimer, type TimerHandle } from '../util/async.js'
import { logger } from '../util/log.js'
import type { Signaling } from '../hub/signaling.js'
import { onReady, type PeerFactory, type PeerLike } from '../webrtc/simple-peer.js'
import { MESH_DEFAULTS } from './mesh-options.js'

interface Attempt {
  /** The incarnation of the member it links to: its signals are addressed to that life only. */
  readonly inc: number
  /** None yet while the offerer waits for `go`, or the answerer for the offer it said `go` to. */
  peer: PeerLike | undefined
  readonly initiator: boolean
  readonly timer: TimerHandle
  /** Opened and handed to the mesh (it now holds a direct path, not an attempt). */
  open: boolean
}

const signalType = (data: unknown): unknown => (typeof data === 'object' && data !== null ? (data as { type?: unknown }).type : undefined)
/** The mesh's own signal: "I cannot take your offer now; try again later". */
const BUSY = { type: 'busy' } as const
/** The mesh's own signal: "I take no direct link from you" (this node's `direct` policy). */
const NODIRECT = { type: 'nodirect' } as const
/** The mesh's own signal: "may I offer you a direct link?" (answered `go`, `busy` or `nodirect`). */
const ASK = { type: 'ask' } as const
/** The mesh's own signal: "yes: a slot is held for your offer". */
const GO = { type: 'go' } as const
const log = logger('distribunator:mesh')

export interface DirectOptions {
  readonly iceServers?: readonly unknown[]
  readonly iceTransportPolicy?: 'all' | 'relay'
  /** An attempt not open after this long is dropped and retried. */
  readonly directTimeoutMs: number
  /** Attempts in progress each way at most. */
  readonly maxPendingLinks: number
  /** Direct paths (open or being opened) at most; Infinity for no budget. */
  readonly maxDirectLinks: number
  /** Longest wait between retries of a failed or refused attempt. */
  readonly maxRetryMs: number
}

export interface DirectHost {
  readonly id: string
  /** Whether `member` is (still) a member the mesh wants linked. */
  isMember(member: string): boolean
  /** The incarnation of `member` the mesh links to, if it is a member. */
  incarnationOf(member: string): number | undefined
  /** Whether `member` can only be linked directly (one of the two takes no relay). */
  needsDirect(member: string): boolean
  /** Whether this node's `direct` policy allows a direct link with `member`. */
  allowsDirect(member: string): boolean
  /** `member` can only be linked directly, and cannot be: tell the app (once per member). */
  unlinked(member: string, reason: string): void
  /** A peer to `member` opened: attach it to the member's link. */
  opened(member: string, peer: PeerLike): void
  /** Room in the budget is wanted (for a busy pair): demote an idle direct path if there is one; returns whether it did. */
  makeRoom(): boolean
  /** More members than `maxDirectLinks`: direct paths go to the pairs that carry calls (promotion), not to the first met. */
  crowded(): boolean
  /** Whether the pair with `member` carried an application message within `busyMs`. */
  busy(member: string): boolean
  report(message: string): void
}

export class DirectLinks {
  readonly #attempts = new Map<string, Attempt>()
  /** Members whose peer is open and attached (counted against the budget until it closes). */
  readonly #open = new Map<string, PeerLike>()
  readonly #retries = new Map<string, TimerHandle>()
  /** First attempts waiting for their time (`considerLater`); unlike retries, they do not hold back `consider`. */
  readonly #delayed = new Map<string, TimerHandle>()
  /** When each of `#delayed` is due. */
  readonly #due = new Map<string, number>()
  readonly #backoff = new Map<string, number>()
  /** Members whose side refused direct links with this node (`nodirect`): never offered to again. */
  readonly #refused = new Set<string>()
  /** Members this node told the app it cannot link (`unlinked`), once each. */
  readonly #told = new Set<string>()
  /** Members to offer to once an outgoing slot frees, in the order they came. */
  readonly #offerQueue = new Set<string>()
  #offering = 0
  #answering = 0
  #stopped = false

  readonly #host: DirectHost
  readonly #signaling: Signaling
  readonly #createPeer: PeerFactory
  readonly #options: DirectOptions

  constructor(
    host: DirectHost,
    signaling: Signaling,
    createPeer: PeerFactory,
    options: DirectOptions,
  ) {
    this.#host = host
    this.#signaling = signaling
    this.#createPeer = createPeer
    this.#options = options
  }

  /** Direct paths held or being opened. */
  get used(): number {
    return this.#open.size + this.#attempts.size
  }

  /** Whether `member` has an open direct peer or an attempt in progress. */
  has(member: string): boolean {
    return this.#open.has(member) || this.#attempts.has(member)
  }

  /** Tries a direct path to `member` if this side offers to it, or `force`s an offer (promotion). */
  consider(member: string, force = false): void {
    if (this.#stopped || member === this.#host.id || this.has(member) || this.#retries.has(member) || this.#refused.has(member)) return
    if (!this.#host.allowsDirect(member)) return this.#cannot(member, 'this node allows no direct link to it (direct)', NODIRECT)
    if (!force && (this.#host.id > member || this.#host.crowded())) return
    if (this.used >= this.#options.maxDirectLinks) {
      // no room: an idle direct path may make some (its close frees the slot); try later
      log('%s: no room for a direct path (maxDirectLinks %d)', member, this.#options.maxDirectLinks)
      if (this.#host.busy(member) && this.#host.makeRoom()) this.retryLater(member)
      else this.#cannot(member, `this node has no room for another direct link (maxDirectLinks ${this.#options.maxDirectLinks})`, BUSY)
      return
    }
    if (this.#offering >= this.#options.maxPendingLinks) {
      this.#offerQueue.add(member)
      return
    }
    const inc = this.#host.incarnationOf(member)
    if (inc === undefined) return
    this.#start(member, inc, true)
    this.#send(member, inc, ASK)
  }

  /**
   * A signal from incarnation `inc` of `from` (both set by the hub; the mesh has dropped
   * those of a superseded incarnation, and forgotten what this side had with one).
   */
  signal(from: string, inc: number, data: unknown): void {
    if (this.#stopped) return
    let attempt = this.#attempts.get(from)
    const type = signalType(data)
    if (type === BUSY.type || type === NODIRECT.type) {
      // without an attempt of this side's: the other side tells it cannot take a direct link
      if (attempt === undefined && !this.#open.has(from)) {
        if (type === NODIRECT.type) this.#refused.add(from)
        return this.#cannot(from, type === NODIRECT.type ? `${from} allows no direct link to this node (direct)` : `${from} has no room for another direct link (maxDirectLinks)`)
      }
      if (attempt === undefined || attempt.inc !== inc || !attempt.initiator || attempt.open) return
      this.#drop(from, attempt)
      if (type === NODIRECT.type) {
        // its side takes no direct link from this node: the pair stays on the relay, for good
        log('%s: refuses direct links', from)
        this.#refused.add(from)
        return this.#cannot(from, `${from} allows no direct link to this node (direct)`)
      }
      // The other side could not take this side's offer now: stay on the relay, try later.
      log('%s: busy; direct attempt later', from)
      this.retryLater(from)
      if (this.#host.needsDirect(from)) this.#cannot(from, `${from} has no room for another direct link now (maxDirectLinks)`)
      return
    }
    if (type === GO.type) {
      // the other side holds a slot for this side's offer: now the peer connection
      if (attempt !== undefined && attempt.inc === inc && attempt.initiator && attempt.peer === undefined) this.#connect(from, attempt)
      return
    }
    if (type === 'offer' && attempt !== undefined && attempt.inc === inc && !attempt.initiator && attempt.peer === undefined) {
      this.#connect(from, attempt) // the offer this side said `go` to
    } else if (type === ASK.type || type === 'offer') {
      // Glare: the smaller id keeps its own attempt. Any other ask replaces what this
      // side had with that member (the other side started over).
      if (!this.#host.allowsDirect(from)) {
        log('%s: direct link refused (direct)', from)
        this.#send(from, inc, NODIRECT)
        return this.#cannot(from, 'this node allows no direct link to it (direct)')
      }
      if (this.#host.id < from && attempt?.initiator === true && !attempt.open) return
      if (attempt !== undefined) this.#drop(from, attempt)
      const closing = this.#open.get(from)
      if (closing !== undefined) this.#dropOpen(from, closing)
      const full = this.used >= this.#options.maxDirectLinks
      if (full && !(this.#host.busy(from) && this.#host.makeRoom())) this.#cannot(from, `this node has no room for another direct link (maxDirectLinks ${this.#options.maxDirectLinks})`)
      if (full || this.#answering >= this.#options.maxPendingLinks) {
        log('%s: asked for a direct link: busy (%s)', from, full ? 'maxDirectLinks' : 'maxPendingLinks')
        this.#send(from, inc, BUSY)
        return
      }
      attempt = this.#start(from, inc, false)
      if (type === ASK.type) return this.#send(from, inc, GO)
      this.#connect(from, attempt) // an offer not asked for first
    }
    if (attempt?.peer === undefined || attempt.inc !== inc) return // none, or one with another life of that member
    try {
      attempt.peer.signal(data)
    } catch (error) {
      this.#host.report(`bad signal from ${from}: ${errorMessage(error)}`)
    }
  }

  /**
   * A member that can only be linked directly cannot be: the app is told, once, and with
   * `signal` the member too (it may be the side that waits for this one's offer).
   */
  #cannot(member: string, reason: string, signal?: typeof BUSY | typeof NODIRECT): void {
    if (!this.#host.needsDirect(member) || this.#told.has(member)) return
    this.#told.add(member)
    const inc = this.#host.incarnationOf(member)
    if (signal !== undefined && inc !== undefined) this.#send(member, inc, signal)
    this.#host.unlinked(member, reason)
  }

  /** The member left: drop whatever this side has with it. */
  forget(member: string): void {
    this.#refused.delete(member)
    this.#told.delete(member)
    this.#offerQueue.delete(member)
    this.#cancelRetry(member)
    this.#backoff.delete(member)
    const attempt = this.#attempts.get(member)
    if (attempt !== undefined) this.#drop(member, attempt)
    const peer = this.#open.get(member)
    if (peer !== undefined) this.#dropOpen(member, peer)
  }

  /** Tries `member` again later, with backoff (250 ms doubling to `maxRetryMs`). */
  retryLater(member: string): void {
    if (this.#stopped || this.#retries.has(member) || !this.#host.isMember(member)) return
    const delay = Math.min((this.#backoff.get(member) ?? MESH_DEFAULTS.firstRetryMs / 2) * 2, this.#options.maxRetryMs)
    this.#backoff.set(member, delay)
    log('%s: direct attempt in %d ms', member, delay)
    this.#schedule(member, delay)
  }

  /** `consider(member)` after `delay` ms (0: now), unless it happens sooner. */
  considerLater(member: string, delay: number): void {
    if (this.#stopped || this.has(member) || this.#retries.has(member)) return
    if (delay === 0) return this.consider(member)
    const due = now() + delay
    const pending = this.#delayed.get(member)
    if (pending !== undefined) {
      if ((this.#due.get(member) ?? 0) <= due) return
      clearTimeout(pending) // a sooner time replaces a later one
    }
    this.#due.set(member, due)
    this.#delayed.set(
      member,
      startTimer(() => {
        this.#delayed.delete(member)
        this.#due.delete(member)
        if (this.#host.isMember(member)) this.consider(member)
      }, delay),
    )
  }

  /** A retry, unless by then this node is crowded and the pair idle (a promotion tries it again once it talks). */
  #schedule(member: string, delay: number): void {
    this.#retries.set(
      member,
      startTimer(() => {
        this.#retries.delete(member)
        if (!this.#host.isMember(member)) return
        if (this.#host.needsDirect(member) || !this.#host.crowded() || this.#host.busy(member)) this.consider(member, true)
      }, delay),
    )
  }

  stop(): void {
    if (this.#stopped) return
    this.#stopped = true
    for (const timer of [...this.#retries.values(), ...this.#delayed.values()]) clearTimeout(timer)
    this.#retries.clear()
    this.#delayed.clear()
    this.#due.clear()
    this.#offerQueue.clear()
    for (const [member, attempt] of [...this.#attempts]) this.#drop(member, attempt)
    // open peers are closed by their links (the node says bye first)
  }

  /** An attempt with `member`, holding a slot each way until it opens, fails or times out; its peer comes with `#connect`. */
  #start(member: string, inc: number, initiator: boolean): Attempt {
    this.#cancelRetry(member)
    this.#offerQueue.delete(member)
    if (initiator) this.#offering++
    else this.#answering++
    const timer = startTimer(() => {
      if (this.#attempts.get(member) !== attempt || attempt.open) return
      log('%s: direct attempt timed out (directTimeoutMs %d)', member, this.#options.directTimeoutMs)
      this.#drop(member, attempt)
      this.retryLater(member)
    }, this.#options.directTimeoutMs)
    const attempt: Attempt = { inc, peer: undefined, initiator, timer, open: false }
    this.#attempts.set(member, attempt)
    return attempt
  }

  /** The attempt's peer connection: offering, or answering the offer that came. */
  #connect(member: string, attempt: Attempt): void {
    const { inc, initiator } = attempt
    log('%s: direct attempt, %s', member, initiator ? 'offering' : 'answering')
    const peer = this.#createPeer({
      initiator,
      ...(this.#options.iceServers ? { iceServers: this.#options.iceServers } : {}),
      ...(this.#options.iceTransportPolicy ? { iceTransportPolicy: this.#options.iceTransportPolicy } : {}),
    })
    attempt.peer = peer
    peer.on('signal', (data) => this.#send(member, inc, data))
    peer.on('error', (error: unknown) => {
      log('%s: direct peer error: %s', member, errorMessage(error)) // 'close' follows
    })
    peer.on('close', () => {
      if (this.#attempts.get(member) === attempt) {
        this.#attempts.delete(member)
        clearTimeout(attempt.timer)
        this.#released(attempt)
        if (!attempt.open) this.retryLater(member)
      }
      if (this.#open.get(member) === peer) this.#open.delete(member)
      this.#pumpOffers()
    })
    onReady(peer, () => {
      if (this.#attempts.get(member) !== attempt) return
      if (this.#stopped || !this.#host.isMember(member)) return this.#drop(member, attempt)
      attempt.open = true
      clearTimeout(attempt.timer)
      this.#attempts.delete(member)
      this.#released(attempt)
      this.#backoff.delete(member)
      this.#open.set(member, peer)
      this.#host.opened(member, peer)
    })
  }

  #send(member: string, inc: number, data: unknown): void {
    try {
      this.#signaling.sendSignal(member, inc, data)
    } catch (error) {
      this.#host.report(`a signal to ${member} could not be sent: ${errorMessage(error)}`)
    }
  }

  /** An attempt ended or opened: its slot goes to the next member waiting for one. */
  #released(attempt: Attempt): void {
    if (attempt.initiator) this.#offering--
    else this.#answering--
    this.#pumpOffers()
  }

  #pumpOffers(): void {
    while (!this.#stopped && this.#offering < this.#options.maxPendingLinks && this.#offerQueue.size > 0) {
      const [next] = this.#offerQueue as Iterable<string>
      this.#offerQueue.delete(next as string)
      if (this.#host.isMember(next as string)) this.consider(next as string, true)
    }
  }

  #drop(member: string, attempt: Attempt): void {
    if (this.#attempts.get(member) === attempt) {
      this.#attempts.delete(member)
      clearTimeout(attempt.timer)
      this.#released(attempt)
    }
    if (attempt.peer !== undefined && !attempt.peer.destroyed) attempt.peer.destroy()
  }

  #dropOpen(member: string, peer: PeerLike): void {
    if (this.#open.get(member) === peer) this.#open.delete(member)
    if (!peer.destroyed) peer.destroy()
  }

  #cancelRetry(member: string): void {
    for (const timers of [this.#retries, this.#delayed]) {
      const timer = timers.get(member)
      if (timer === undefined) continue
      clearTimeout(timer)
      timers.delete(member)
    }
    this.#due.delete(member)
  }
}
