/**
 * Turns for work that fans out to a whole cluster (a join's answer and announcement, a
 * leave's announcement), in the order asked, a few milliseconds of them per event-loop
 * iteration. Each such step writes to every member's connection, a few milliseconds in a
 * large cluster; taken in slices, the hub reads every other client's messages between two
 * slices instead of after a whole batch (ten joins arriving together were one 300 ms
 * stretch). A slice holds as many steps as fit in `sliceMs`, not one: when the hub is busy
 * (every iteration long with relayed traffic), one step per iteration left a burst of 120
 * joins waiting tens of seconds for their answers. The order of notices is the order of
 * turns, as it was the order of the steps.
 */
export class Turns {
  readonly #waiting: Array<() => void> = []
  #scheduled = false

  /** @param sliceMs how long the steps of one iteration may run before the hub reads again */
  constructor(private readonly sliceMs = 4) {}

  /**
   * Resolves at this caller's turn, in a later iteration, after every earlier caller's.
   * The step is the caller's code up to its next `await`.
   */
  next(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve)
      this.#schedule()
    })
  }

  #schedule(): void {
    if (this.#scheduled || this.#waiting.length === 0) return
    this.#scheduled = true
    setImmediate(() => this.#slice(performance.now()))
  }

  #slice(started: number): void {
    this.#waiting.shift()?.()
    // runs after the step just resumed (its continuation was queued first)
    queueMicrotask(() => {
      if (this.#waiting.length > 0 && performance.now() - started < this.sliceMs) return this.#slice(started)
      this.#scheduled = false
      this.#schedule() // queued from inside the check phase: the next slice is in the next iteration
    })
  }
}
