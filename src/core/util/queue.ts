/**
 * A first-in first-out queue over an array: taking from the front is amortised O(1) (an
 * index moves; the taken part is dropped in one copy once it is most of the array), so a
 * long mailbox or send queue never costs a shift per item.
 */
export class Queue<T> {
  #items: Array<T | undefined> = []
  #head = 0

  get length(): number {
    return this.#items.length - this.#head
  }

  push(item: T): void {
    this.#items.push(item)
  }

  /** The item at the front, left in place. */
  peek(): T | undefined {
    return this.#items[this.#head]
  }

  /** Takes the item at the front. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined
    const item = this.#items[this.#head]
    this.#items[this.#head++] = undefined
    if (this.#head === this.#items.length) this.clear()
    else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return item
  }

  /** Empties the queue and returns what it held, front first. */
  clear(): T[] {
    const rest = this.#items.slice(this.#head) as T[]
    this.#items = []
    this.#head = 0
    return rest
  }
}
