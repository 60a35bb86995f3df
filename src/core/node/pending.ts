/**
 * The table of requests a node sent over one link and still waits on, by ref: one for
 * calls (calls.ts), one for rpcs (rpc.ts), both kept per linked node (linked-node.ts).
 * It owns an entry from the moment its request is sent to the moment it settles: its
 * deadline (none for `Infinity`), removing the entry when its answer comes or its time is
 * up, and failing every entry at once when the link is lost or the node closes. What a
 * request carries and what its answer or timeout means stays with its exchange: each
 * passes its own `onTimeout` and its own error for a lost link.
 *
 * One timer serves the whole table, set for the earliest deadline: a request answered in
 * time costs no timer of its own (starting and clearing one per call was the largest cost
 * of a call round trip in Chromium after the channel's own send). When it fires, the
 * entries whose time is up are removed and the timer is set for the next deadline (at
 * least SWEEP_GAP_MS later, so that a sweep's work stays linear in the table however the
 * deadlines are spread).
 */
import { now as monotonic, startTimer, type TimerHandle } from '../util/async.js'

/** A request waiting for its answer: the promise it settles. */
export interface PendingRequest {
  resolve(value: unknown): void
  reject(error: Error): void
}

interface Held<E> {
  readonly entry: E
  /** When its time is up (the table's clock), Infinity for none. */
  readonly deadline: number
  readonly onTimeout: () => void
}

/** A timer that fires at most this early against the clock still counts the deadline as reached. */
const EARLY_MS = 1
/**
 * After a sweep, the next one comes no sooner than this: deadlines spread a millisecond
 * apart expire in batches (each up to this late) instead of a sweep over every entry each.
 */
const SWEEP_GAP_MS = 10

export class PendingTable<E extends PendingRequest> {
  readonly #entries = new Map<number, Held<E>>()
  readonly #now: () => number
  #timer: TimerHandle | undefined
  /** The deadline the timer is set for (Infinity: no timer). */
  #timerAt = Infinity

  /** `now`: the clock deadlines are read on (monotonic milliseconds by default). */
  constructor(now: () => number = monotonic) {
    this.#now = now
  }

  /**
   * Adds `entry` under `ref` (once its request is sent). After `timeoutMs` an entry still
   * here is removed and `onTimeout` runs; `Infinity` waits forever.
   */
  add(ref: number, entry: E, timeoutMs: number, onTimeout: () => void): void {
    const deadline = timeoutMs === Infinity ? Infinity : this.#now() + timeoutMs
    this.#entries.set(ref, { entry, deadline, onTimeout })
    if (deadline < this.#timerAt) this.#arm(deadline)
  }

  /** Removes the entry `ref`; undefined for a late answer (it timed out) or an unknown ref. */
  take(ref: number): E | undefined {
    const held = this.#entries.get(ref)
    if (held === undefined) return undefined
    this.#entries.delete(ref)
    return held.entry
  }

  /** How many entries wait. */
  get size(): number {
    return this.#entries.size
  }

  /** Rejects every entry with a fresh `error()` and empties the table (the link is lost, or the node closes). */
  failAll(error: () => Error): void {
    this.#disarm()
    const held = [...this.#entries.values()]
    this.#entries.clear()
    for (const { entry } of held) entry.reject(error())
  }

  #arm(deadline: number): void {
    this.#disarm()
    this.#timerAt = deadline
    this.#timer = startTimer(() => this.#expire(), Math.max(0, deadline - this.#now()))
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#timerAt = Infinity
  }

  /** Removes the entries whose time is up, runs their `onTimeout`, and sets the timer for the next deadline. */
  #expire(): void {
    this.#timer = undefined
    this.#timerAt = Infinity
    const t = this.#now()
    const due = t + EARLY_MS
    const expired: Array<Held<E>> = []
    let next = Infinity
    for (const [ref, held] of this.#entries) {
      if (held.deadline <= due) {
        this.#entries.delete(ref)
        expired.push(held)
      } else if (held.deadline < next) next = held.deadline
    }
    if (next < this.#timerAt) this.#arm(Math.max(next, t + SWEEP_GAP_MS))
    for (const held of expired) held.onTimeout()
  }
}
