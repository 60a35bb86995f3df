/**
 * A process identifier: the node that runs the process and a number unique on that node.
 * Compared by value (`equals`), printed as `<node.id>`, and carried across the wire by
 * the codec (see `codec.ts`), so a pid inside any message arrives as a `Pid` again.
 */
export class Pid {
  readonly node: string
  readonly id: number

  /**
   * @example
   * const pid = new Pid('tab-1', 7)
   * String(pid) // '<tab-1.7>'
   */
  constructor(node: string, id: number) {
    if (typeof node !== 'string' || node.length === 0) throw new TypeError('Pid node must be a non-empty string')
    if (!Number.isSafeInteger(id) || id < 0) throw new TypeError('Pid id must be a non-negative safe integer')
    this.node = node
    this.id = id
    Object.freeze(this)
  }

  /** `<node.id>`, as Erlang prints a pid. */
  toString(): string {
    return `<${this.node}.${this.id}>`
  }

  /** True when `other` names the same process. */
  equals(other: Pid): boolean {
    return other instanceof Pid && other.node === this.node && other.id === this.id
  }

  /** Map/Set key for a pid. */
  get key(): string {
    return `${this.node}\u0000${this.id}`
  }

  toJSON(): { node: string; id: number } {
    return { node: this.node, id: this.id }
  }
}

/** True when `value` is a `Pid`. */
export function isPid(value: unknown): value is Pid {
  return value instanceof Pid
}
