/**
 * Typed names: a node can be given a map of the names it uses to the pid type registered
 * under each (`DistNode<Names>`), so that `call('counter', msg)` checks `msg` and infers
 * the reply as `call(pid, msg)` does for a typed pid. Types only: nothing here exists at
 * run time, and nothing checks at run time that what another node registered under a name
 * takes those messages (the map is a promise the application makes to itself, like a
 * typed event map of socket.io).
 *
 * @example
 * interface Names {
 *   counter: Pid<'increment' | 'read', number>
 *   [doc: `doc:${string}`]: Pid<{ edit: string }, boolean>
 * }
 * const node = createNode<Names>()
 * const count: number = await node.call('counter', 'increment')
 */
import type { AnyPid, ReplyOf } from './pid.js'
import type { Pid } from './pid.js'

/**
 * What a name map must be: each name (or name pattern, such as `` `doc:${string}` ``) maps
 * to a pid type. An interface fits as it is (no index signature needed).
 */
export type NameMap<Names> = { readonly [K in keyof Names]: AnyPid }

/** The names of an untyped node: any string, each an untyped `Pid`. */
export type AnyNames = Record<string, Pid>

/** The names a node of this map accepts. */
export type NameOf<Names> = keyof Names & string

/** What `call`/`cast` take as a target on a node of this map: a pid, or one of its names. */
export type Target<Names> = AnyPid | NameOf<Names>

/** The pid type a target stands for: the pid itself, or the pid type its name maps to. */
export type PidOfTarget<Names, To> = To extends AnyPid ? To : To extends keyof Names ? (Names[To] extends AnyPid ? Names[To] : never) : never

/** Stands for "no reply type given": `call` then answers the target's reply type. */
declare const inferredReply: unique symbol
export type InferredReply = typeof inferredReply

/**
 * What `call` resolves with: the target's reply type (what its `handleCall` answers), or
 * `unknown` for an untyped target (a plain `Pid`, an `AnyPid`, a name of an untyped node),
 * so that an untyped reply must be checked before it is used. `call<R>(...)` names the
 * reply type itself instead: an unchecked assertion, as a cast is.
 *
 * Never inferred from where the result goes: `const x: Board = await node.call(pid, msg)`
 * compiles only when the reply is a `Board`.
 */
export type CallResult<R, P extends AnyPid> = NoInfer<0 extends 1 & R ? R : [R] extends [InferredReply] ? Untyped<ReplyOf<P>> : R>

/** `unknown` for `any` (a reply nobody typed), the type itself otherwise. */
type Untyped<T> = 0 extends 1 & T ? unknown : T
