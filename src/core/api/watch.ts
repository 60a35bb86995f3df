/**
 * What `node.watch(name, listener)` and `node.watchAll(listener)` hand their listener:
 * the members as they are, then one event per membership change. See `DistNode.watch`
 * for the guarantees.
 */
import type { AnyPid, Pid } from './pid.js'

/**
 * An event of `watch(name)`. First, once, `current` with the members of `name` at the
 * moment of the call (oldest membership first, a pid listed once per membership, `[]`
 * when nobody holds the name); then `join` and `leave` for each membership change.
 * Starting from `pids` and applying each event (join: append `pid`; leave: remove the
 * newest membership of `pid`) gives `allPidsOf(name)` as the node sees it.
 */
export type WatchEvent<P extends AnyPid = Pid> =
  | { readonly type: 'current'; readonly name: string; readonly pids: P[] }
  | { readonly type: 'join'; readonly name: string; readonly pid: P }
  | { readonly type: 'leave'; readonly name: string; readonly pid: P }

/**
 * An event of `watchAll()`. First, once, `current` with every name and its members at the
 * moment of the call (as `registry()` returns them); then `join` and `leave` for each
 * membership change of any name.
 */
export type RegistryWatchEvent =
  | { readonly type: 'current'; readonly registry: Array<[string, Pid[]]> }
  | { readonly type: 'join'; readonly name: string; readonly pid: Pid }
  | { readonly type: 'leave'; readonly name: string; readonly pid: Pid }
