/**
 * Turns for work that fans out to a whole cluster (a join's answer and announcement, a
 * leave's announcement): one per event-loop iteration, in the order asked. Each such
 * step writes to every member's connection, a few milliseconds in a large cluster; taken
 * one per iteration, the hub reads every other client's messages between two of them
 * instead of after a whole batch (ten joins arriving together were one 300 ms stretch).
 * The order of notices is the order of turns, as it was the order of the steps.
 */
export class Turns {
  readonly #waiting: Array<() => void> = []
  #scheduled = false

  /** Resolves at this caller's turn: in a later iteration, after every earlier caller's. */
  next(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve)
      this.#schedule()
    })
  }

  #schedule(): void {
    if (this.#scheduled || this.#waiting.length === 0) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.#waiting.shift()?.()
      // queued from inside the check phase, the next turn runs in the next iteration
      this.#schedule()
    })
  }
}
