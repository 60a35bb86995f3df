/**
 * A process identifier: the node that runs the process, the incarnation of that node (a
 * number chosen when the node is created, so a node restarted under the same id hands
 * out pids that never equal its earlier ones, as Erlang's creation number does), and a
 * number unique within that incarnation. Compared by value (`equals`), printed as
 * `<node.id.incarnation>`, and carried across the wire by the codec (see `codec.ts`), so a
 * pid inside any message arrives as a `Pid` again.
 */
export class Pid {
  readonly node: string
  readonly id: number
  readonly incarnation: number

  /**
   * @example
   * const pid = new Pid('tab-1', 7, 1234567)
   * String(pid) // '<tab-1.7.qglj>'
   */
  constructor(node: string, id: number, incarnation: number) {
    if (typeof node !== 'string' || node.length === 0) throw new TypeError('Pid node must be a non-empty string')
    if (!Number.isSafeInteger(id) || id < 0) throw new TypeError('Pid id must be a non-negative safe integer')
    if (!isIncarnation(incarnation)) throw new TypeError('Pid incarnation must be an integer from 0 to 2^32 - 1')
    this.node = node
    this.id = id
    this.incarnation = incarnation
    Object.freeze(this)
  }

  /** `<node.id.incarnation>`, the incarnation in base 36 (at most 7 characters). */
  toString(): string {
    return `<${this.node}.${this.id}.${this.incarnation.toString(36)}>`
  }

  /** True when `other` names the same process of the same incarnation of its node. */
  equals(other: Pid): boolean {
    return other instanceof Pid && other.node === this.node && other.id === this.id && other.incarnation === this.incarnation
  }

  /** Map/Set key for a pid. */
  get key(): string {
    return `${this.node}\u0000${this.id}\u0000${this.incarnation}`
  }

  toJSON(): { node: string; id: number; incarnation: number } {
    return { node: this.node, id: this.id, incarnation: this.incarnation }
  }
}

/** True when `value` is a `Pid`. */
export function isPid(value: unknown): value is Pid {
  return value instanceof Pid
}

/** An incarnation number: an integer from 0 to 2^32 − 1. */
export function isIncarnation(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff
}

/** A fresh incarnation for a node being created: 32 random bits. */
export function newIncarnation(): number {
  return globalThis.crypto.getRandomValues(new Uint32Array(1))[0] as number
}
