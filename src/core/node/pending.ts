/**
 * The table of requests a node sent over one link and still waits on, by ref: one for
 * calls (calls.ts), one for rpcs (rpc.ts), both kept per linked node (linked-node.ts).
 * It owns an entry from the moment its request is sent to the moment it settles: the
 * timeout's timer (unref'd; none for `Infinity`), removing the entry when its answer comes
 * or its time is up, and failing every entry at once when the link is lost or the node
 * closes. What a request carries and what its answer or timeout means stays with its
 * exchange: each passes its own `onTimeout` and its own error for a lost link.
 */
import { startTimer, type TimerHandle } from '../util/async.js'

/** A request waiting for its answer: the promise it settles and the timer the table keeps. */
export interface PendingRequest {
  resolve(value: unknown): void
  reject(error: Error): void
  /** Set and cleared by the table. */
  timer: TimerHandle | undefined
}

export class PendingTable<E extends PendingRequest> {
  readonly #entries = new Map<number, E>()

  /**
   * Adds `entry` under `ref` (once its request is sent). After `timeoutMs` an entry still
   * here is removed and `onTimeout` runs; `Infinity` waits forever.
   */
  add(ref: number, entry: E, timeoutMs: number, onTimeout: () => void): void {
    if (timeoutMs !== Infinity) {
      entry.timer = startTimer(() => {
        if (this.#entries.delete(ref)) onTimeout()
      }, timeoutMs)
    }
    this.#entries.set(ref, entry)
  }

  /** Removes the entry `ref` and stops its timer; undefined for a late answer (it timed out) or an unknown ref. */
  take(ref: number): E | undefined {
    const entry = this.#entries.get(ref)
    if (entry === undefined) return undefined
    this.#entries.delete(ref)
    if (entry.timer !== undefined) clearTimeout(entry.timer)
    return entry
  }

  /** Rejects every entry with a fresh `error()` and empties the table (the link is lost, or the node closes). */
  failAll(error: () => Error): void {
    for (const entry of this.#entries.values()) {
      if (entry.timer !== undefined) clearTimeout(entry.timer)
      entry.reject(error())
    }
    this.#entries.clear()
  }
}
