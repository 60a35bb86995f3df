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
 * What `call` resolves with: the reply type given explicitly (`call<number>(...)`, as
 * before typed pids), else the target's reply type.
 */
export type CallResult<R, P extends AnyPid> = 0 extends 1 & R ? R : [R] extends [InferredReply] ? ReplyOf<P> : R
