/** The key of a pid's message types: a type only, nothing at run time. */
declare const messageTypes: unique symbol

/**
 * A process identifier: the node that runs the process, the incarnation of that node (a
 * number chosen when the node is created, so a node restarted under the same id hands
 * out pids that never equal its earlier ones, as Erlang's creation number does), and a
 * number unique within that incarnation. Compared by value (`equals`), printed as
 * `<node.id.incarnation>`, and carried across the wire by the codec (see `codec.ts`), so a
 * pid inside any message arrives as a `Pid` again.
 *
 * The type parameters say what the process takes and gives: `Call` the messages its
 * `handleCall` accepts, `Reply` what a call answers, `Cast` the messages its `handleCast`
 * accepts (`spawn` infers them from the behaviour, `never` for a handler it lacks: such a
 * pid takes no message of that kind). They exist only for the compiler: a
 * pid on the wire or in a lookup is a plain `Pid`, all three `unknown`, and a `Pid` of any
 * types fits where a `Pid` is asked for. Two pids fit each other when each of their types
 * fits the other's one way or the other (so `Pid<string>` and `Pid<'a' | 'b'>` mix,
 * `Pid<string>` and `Pid<number>` do not).
 */
export class Pid<Call = unknown, Reply = unknown, Cast = unknown> {
  /** Carries the type parameters (compared loosely, as method parameters are); never set. */
  declare readonly [messageTypes]?: { types(call: Call, reply: Reply, cast: Cast): void }
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

/** A pid whatever its message types: what functions that take any pid ask for. */
export type AnyPid = Pid<any, any, any>

/** The messages a pid's `handleCall` takes (`unknown` for an untyped pid). */
export type CallOf<P extends AnyPid> = P extends Pid<infer Call, any, any> ? Call : never

/** What a call to a pid answers (`unknown` for an untyped pid). */
export type ReplyOf<P extends AnyPid> = P extends Pid<any, infer Reply, any> ? Reply : never

/** The messages a pid's `handleCast` takes (`unknown` for an untyped pid). */
export type CastOf<P extends AnyPid> = P extends Pid<any, any, infer Cast> ? Cast : never

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
