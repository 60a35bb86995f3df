/** The public shape of a node and of a module handle. */
import type { Channel } from './channel.js'
import type { ProtocolError } from './errors.js'
import type { AnyNames, CallResult, InferredReply, NameMap, NameOf, PidOfTarget, Target } from './names.js'
import type { AnyPid, CallOf, CastOf, Pid } from './pid.js'
import type { RegistryWatchEvent, WatchEvent } from './watch.js'

/** Options of `createNode`. */
export interface NodeOptions {
  /** The node id, unique in its cluster. Default: a random UUID. */
  readonly id?: string
  /** How often a quiet link sends a ping. Default 500 ms. */
  readonly heartbeatIntervalMs?: number
  /** A link with no frame received for this long is declared down. Default 2500 ms. */
  readonly heartbeatTimeoutMs?: number
  /** How long `link()` waits for the peer's hello and registry. Default 10 s. */
  readonly handshakeTimeoutMs?: number
  /** Largest channel message accepted from a peer. Default 64 MiB. */
  readonly maxFrameBytes?: number
  /** Frames of one tick are coalesced into channel messages up to this size. Default 16 KiB. */
  readonly maxBatchBytes?: number
  /**
   * Bytes waiting to go out on one link (queued here and in the channel's own buffer) past
   * which `call`, `cast` and `doNodeRpc` to that node fail with `OverloadedError` at once,
   * and replies and rpc results to it are dropped with an `error` event, until it drains.
   * Bounds the memory a peer that never reads can make this node hold. Default 64 MiB.
   */
  readonly maxSendBufferBytes?: number
  /** Monitors one peer may hold on this node's processes; more are answered `down` with reason `system_limit`. Default 10,000. */
  readonly maxMonitorsPerLink?: number
  /** rpc processes one peer may have running here at once; more are refused (`badrpc`, reason `system_limit`). Default 10,000. */
  readonly maxRpcsPerLink?: number
  /**
   * How long an rpc process waits, once its result is sent, for the caller's `rpc-done`
   * (sent when the caller's callback returns); then it stops with reason `timeout`. Default 30 s.
   */
  readonly rpcDoneTimeoutMs?: number
  /**
   * Longest BigInt (in digits) accepted in a value from a peer; a longer one drops the
   * message (turning text into a BigInt costs more per digit the longer it is). Default 4096.
   */
  readonly maxBigIntDigits?: number
  /**
   * Memberships one linked node may hold in this node's registry replica (its joins, each
   * pid of each name); past it the link is closed with reason `system_limit` and nothing
   * else is affected. Default 10,000.
   */
  readonly maxNamesPerLink?: number
  /**
   * Messages waiting in one process's mailbox at most (a busy process, a flood of calls);
   * past it a call is answered `OverloadedError` (`overloaded`) at once and a cast is
   * dropped (counted in an `error` event). `spawn(behaviour, { maxMailbox })` sets it for
   * one process. Default 10,000.
   */
  readonly maxMailbox?: number
  /**
   * Which registrations this node takes into its replica: called for every registration
   * it learns from another node (at link-up and on each join) with the name, the node
   * that registered it and that node's claims (stamped by the hub at admission, see
   * `claimsOf`; `undefined` without them). A refused registration never enters this
   * node's replica, so `call`, `pidOf`, `allPidsOf` and `watch` never see it; it is
   * reported once per link and name with an `error` event. A local `register` the policy
   * refuses throws `BadArgError`. A policy that throws refuses. Default: every
   * registration is taken, as in `:pg`.
   *
   * @example
   * // only a member the hub admitted as the server may hold `game`
   * acceptRegistration: (name, node, claims) => name !== 'game' || (claims as { role?: string } | undefined)?.role === 'server'
   */
  readonly acceptRegistration?: (name: string, node: string, claims: unknown) => boolean
}

/**
 * What a process does with the messages it receives. The type parameters are the messages
 * `handleCall` takes, what it answers, and the messages `handleCast` takes; `spawn`
 * infers them from the handlers (annotate `msg` to type them) and types the pid with them.
 * A behaviour without `handleCast` gives a pid that takes no cast (`Cast` is `never`), one
 * without `handleCall` a pid that takes no call.
 *
 * @example
 * const counter = node.spawn({ handleCall: (msg: 'increment' | 'read') => (msg === 'increment' ? ++count : count) })
 * const n: number = await node.call(counter, 'increment') // node.call(counter, 'reset') does not compile
 * // node.cast(counter, 'increment') does not compile either: counter has no handleCast
 */
export interface Behaviour<Call = unknown, Reply = unknown, Cast = unknown> {
  /** Answers a `call`; the returned value (or resolved promise) is the reply. */
  handleCall?(msg: Call, ctx: ProcessContext): Reply | Promise<Reply>
  /** Handles a `cast`; nothing is sent back. */
  handleCast?(msg: Cast, ctx: ProcessContext): void | Promise<void>
  /** Called once when the process stops, with the reason. */
  terminate?(reason: string): void
}

/** Options of `spawn`. */
export interface SpawnOptions {
  /** Messages waiting in this process's mailbox at most (see `NodeOptions.maxMailbox`). Default: the node's. */
  readonly maxMailbox?: number
}

/** What a handler sees besides the message. */
export interface ProcessContext {
  /** This process. */
  readonly self: Pid
  /** The calling process, when the message was sent through `ctx.call`/`ctx.cast` of another process. */
  readonly from?: Pid
  /**
   * The node the message came from: taken from the link it arrived on (the id the hub
   * bound to that member's connection), never from the message; this node's own id for
   * a message sent here. `ctx.node.claimsOf(ctx.fromNode)` tells who that member is.
   */
  readonly fromNode: string
  /** The node this process runs on. */
  readonly node: DistNode
  /** Registers this process under `name` (the seed's `register(name)`). */
  register(name: string): void
  /** `node.call` with `from` set to this process. */
  call<R = InferredReply, To extends Target<AnyNames> = Target<AnyNames>>(to: To, msg: NoInfer<CallOf<PidOfTarget<AnyNames, To>>>, timeoutMs?: number): Promise<CallResult<R, PidOfTarget<AnyNames, To>>>
  /** `node.cast` with `from` set to this process. */
  cast<To extends Target<AnyNames>>(to: To, msg: NoInfer<CastOf<PidOfTarget<AnyNames, To>>>): void
}

/** Options of `node.link(channel, options)`. */
export interface LinkOpenOptions {
  /**
   * The node id the other end must introduce itself as, when something it trusts (the
   * hub, which binds ids to connections) vouched for it. A hello with another id closes
   * the channel and rejects `link()` with a `protocol` error. Default: any id.
   */
  readonly expect?: string
  /**
   * With `expect`: the incarnation the other end must have (a new life of a node id the
   * hub announced). A hello of another incarnation is refused like another id. A hello of
   * a new incarnation of a node this node is linked to, on a link whose id was vouched for
   * (`expect`), supersedes the old link: it goes down (`closed`) first.
   */
  readonly incarnation?: number
}

/** What an exposed rpc function sees as `this`. */
export interface RpcContext {
  /** The short-lived rpc process standing for the caller; `undefined` for a local rpc. */
  readonly caller: Pid | undefined
  /** The node the rpc came from (the same as `fromNode`). */
  readonly callerNode: string
  /** The node the rpc came from, taken from the link it arrived on; this node's id for a local rpc. */
  readonly fromNode: string
  /** The node running the function. */
  readonly node: DistNode
}

export type RpcFunction = (this: RpcContext, ...args: any[]) => unknown

export type RpcCallback<R> = ((result: R, rpcPid: Pid | undefined) => unknown) | null | undefined

export interface RpcOptions {
  /** Rejects with `BadRpcError('timeout')` when no result came in time. Default 5000 ms. */
  readonly timeoutMs?: number
}

/**
 * Why a link to a node went down, as a stable code (the transport's own words come as
 * `detail`):
 * - `closed`: the other node closed the link (it said bye, or its channel closed cleanly);
 * - `heartbeat_timeout`: nothing came from it for `heartbeatTimeoutMs`;
 * - `transport_error`: the channel failed (a send failed, the data channel errored, the hub
 *   that relays it stayed unreachable);
 * - `left_cluster`: the hub saw the node leave its cluster (its process ended, its tab
 *   closed, its connection dropped);
 * - `shutdown`: this node is closing;
 * - `kicked`: the hub removed the node from the cluster (`hub.kick`);
 * - `system_limit`: the node passed a bound of this node's (`maxNamesPerLink`).
 */
export type NodeDownReason = 'closed' | 'heartbeat_timeout' | 'transport_error' | 'left_cluster' | 'shutdown' | 'kicked' | 'system_limit'

/** How a link is carried: a direct (WebRTC) data channel, or the hub's relay. */
export type LinkPath = 'direct' | 'relay'

/** Why a link closed: a `NodeDownReason`, or one of the ways a handshake ends. */
export type LinkCloseReason = NodeDownReason | 'handshake_timeout' | 'refused'

/** Node events and their listener arguments. */
export interface NodeEvents {
  /** A link completed its handshake: hellos exchanged and the peer's registry arrived. */
  nodeup: [node: string]
  /** A link is gone; `reason` says why as a stable code, `detail` in the transport's words. */
  nodedown: [node: string, reason: NodeDownReason, detail: string]
  /** A link (of a node made by `connect`) now runs on this path: at nodeup, then at each move. */
  path: [node: string, path: LinkPath]
  /** A pid joined a name (local or remote). */
  join: [name: string, pid: Pid]
  /** A pid left a name (unregister, process exit or node loss). */
  leave: [name: string, pid: Pid]
  /** A frame was dropped or a link misbehaved; the node keeps running. */
  error: [error: ProtocolError]
  /**
   * The hub connection of a node made by `connect()`: `lost` when it drops (with the URL
   * it was on; the node reconnects by itself, with backoff, moving to its next hub URL
   * when one does not answer, and relayed links wait `hubLostGraceMs` for it), then `back` once the node has
   * joined its cluster again (with the URL it joined through). Not emitted for the first
   * join (`connect()` resolving is that) nor when the node closes. `kicked` (the hub
   * removed this node) and `refused` (the hub refused a re-join: its admission no longer
   * holds) come with the hub's reason and are final: the node closes right after.
   */
  hub: [state: 'lost' | 'back' | 'kicked' | 'refused', url: string, reason?: string]
  /**
   * A member this node cannot link to (a node made by `connect()`): the pair may only link
   * directly (one of the two takes no relay), and a direct link is refused by `direct` on
   * either side or finds no room in `maxDirectLinks`. Told once per member; both sides tell it.
   */
  unlinked: [node: string, reason: string]
}

/**
 * A node. `Names` maps the registered names this node uses to their pid types (see
 * `NameMap`); with it, name arguments are checked against the map (an unknown name does
 * not compile), lookups return the mapped pid type, and `call`/`cast` by name check the
 * message and infer the reply. Without it (`DistNode`), any string is a name and its
 * pids are untyped. Code that takes any node, typed or not, takes `DistNode<any>`.
 *
 * @example
 * interface Names { counter: Pid<'increment' | 'read', number> }
 * const node = createNode<Names>()
 * const count: number = await node.call('counter', 'read')
 */
export interface DistNode<Names extends NameMap<Names> = AnyNames> {
  readonly id: string
  /**
   * This node's incarnation, chosen when it was created: part of every pid it hands out,
   * so a node restarted under the same id never answers for the pids of its earlier life.
   */
  readonly incarnation: number
  /**
   * Links this node to the node at the other end of `channel`; resolves with its id once
   * the handshake is done and its registry has arrived (its names resolve at once).
   */
  link(channel: Channel, options?: LinkOpenOptions): Promise<string>
  nodes(): string[]
  /**
   * Linked nodes and the path each link runs on. Links made by `link(channel)` count as
   * `direct`; a node made by `connect` tells `relay` for links through the hub.
   */
  links(): Array<{ node: string; path: LinkPath }>
  /**
   * The claims the hub stamped on member `id` when it admitted it (what its `authorize`
   * hook or JWT said, e.g. `{ user: 'u-42', role: 'player' }`), while it is a member;
   * `claimsOf(node.id)` gives this node's own. `undefined` for an unknown node, a member
   * admitted without claims, and on nodes not made by `connect()`.
   */
  claimsOf(id: string): unknown
  /**
   * Starts a local process; its pid is typed by the behaviour's messages and reply.
   * `Handlers` (inferred: the behaviour's keys) says which handlers it has: a message kind
   * without its handler is `never` in the pid's type, so a cast to a process without
   * `handleCast` (or a call to one without `handleCall`) does not compile.
   *
   * @example
   * const log = node.spawn({ handleCast: (line: string) => console.log(line) })
   * node.cast(log, 'started') // node.call(log, 'started') does not compile: log has no handleCall
   */
  spawn<Call = unknown, Reply = unknown, Cast = unknown, Handlers extends PropertyKey = keyof Behaviour>(
    behaviour: Behaviour<Call, Reply, Cast> & { readonly [K in Handlers]?: unknown },
    options?: SpawnOptions,
  ): Pid<'handleCall' extends Handlers ? Call : never, 'handleCall' extends Handlers ? Reply : never, 'handleCast' extends Handlers ? Cast : never>
  stop(pid: AnyPid, reason?: string): void
  isAlive(pid: AnyPid): boolean
  monitor(pid: AnyPid, onDown: (reason: string) => void): () => void
  /** Registers a local pid under `name`; with a name map, the pid must fit the name's type. */
  register<N extends NameOf<Names>>(name: N, pid: Names[N]): void
  unregister<N extends NameOf<Names>>(name: N, pid: Names[N]): void
  allPidsOf<N extends NameOf<Names>>(name: N): Array<Names[N]>
  allNodesOf(name: NameOf<Names>): string[]
  pidOf<N extends NameOf<Names>>(name: N): Names[N] | undefined
  /** Every name and its members. Untyped: the names come from every node of the cluster. */
  registry(): Array<[string, Pid[]]>
  /**
   * Follows one name, as `:pg`'s `monitor(Scope, Group)`: `listener` gets the members now
   * (`{ type: 'current', name, pids }`), then `{ type: 'join' | 'leave', name, pid }` for
   * each membership change, until the returned function is called. Guarantees:
   * - the snapshot comes first, before `watch` returns (called from inside a watch
   *   listener, right after that listener returns), and holds what `allPidsOf(name)` holds;
   * - every change after it comes exactly once, in the order this node's registry applied
   *   it; none is missed or repeated between the snapshot and the first change (both are
   *   taken in one synchronous step);
   * - when a node goes down, a `leave` comes for each of its memberships, before the
   *   `nodedown` event; a stopped process gives a `leave` per membership too;
   * - calling the returned function (from anywhere, a listener included, more than once
   *   included) stops the deliveries at once, those already due included;
   * - a listener that throws is reported like a throwing event listener (the platform's
   *   `reportError`, else `console.error`); the other listeners and later events go on;
   * - a change made by a listener (a `register`, a `stop`) is delivered after the current
   *   event has reached every listener due to get it: no listener is re-entered.
   * Watchers are local: only this node's code adds them. Each change costs one call per
   * watcher of its name (and per `watchAll` watcher); a snapshot copies the members once.
   *
   * @example
   * const online = new Set<string>()
   * const stop = node.watch('presence', (event) => {
   *   if (event.type === 'current') for (const pid of event.pids) online.add(pid.node)
   *   else if (event.type === 'join') online.add(event.pid.node)
   *   else if (!node.allNodesOf('presence').includes(event.pid.node)) online.delete(event.pid.node)
   * })
   */
  watch<N extends NameOf<Names>>(name: N, listener: (event: WatchEvent<Names[N]>) => void): () => void
  /**
   * Follows the whole registry with the guarantees of `watch`: `{ type: 'current',
   * registry }` (as `registry()` returns it) first, then a `join` or `leave` for each
   * membership change of any name.
   *
   * @example
   * const stop = node.watchAll((event) => console.log(event.type === 'current' ? event.registry : `${event.pid} ${event.type} ${event.name}`))
   */
  watchAll(listener: (event: RegistryWatchEvent) => void): () => void
  /**
   * Calls a pid, or the first pid of a name. `msg` must fit what the target's `handleCall`
   * takes and the reply is typed as it answers (for a typed pid, or a name of the map);
   * both are `unknown` for an untyped target. The reply type is never taken from where the
   * result goes: `const x: Board = await node.call(...)` compiles only if the reply is a
   * `Board`. `call<R>(...)` names the reply type itself and checks no message: an unchecked
   * assertion, for an untyped target whose reply the caller knows.
   *
   * @example
   * const n = await node.call(counter, 'read') // number, from counter's handleCall
   * const state = await node.call<GameState>('game', move) // untyped name: asserted, not checked
   */
  call<R = InferredReply, To extends Target<Names> = Target<Names>>(to: To, msg: NoInfer<CallOf<PidOfTarget<Names, To>>>, timeoutMs?: number): Promise<CallResult<R, PidOfTarget<Names, To>>>
  /** Casts to a pid, or to the first pid of a name; `msg` must fit what its `handleCast` takes. */
  cast<To extends Target<Names>>(to: To, msg: NoInfer<CastOf<PidOfTarget<Names, To>>>): void
  expose(mod: string, fns: Record<string, RpcFunction>): void
  /**
   * Runs `mod.fn(...args)` exposed on `node`. Exposed functions are untyped, so the result
   * is `unknown` unless the caller names it (`doNodeRpc<R>(...)`, an unchecked assertion);
   * it is never taken from where the result goes nor from the callback's parameter.
   *
   * @example
   * const now = await node.doNodeRpc<number>('server', 'Clock', 'now', [])
   */
  doNodeRpc<R = unknown>(node: string, mod: string, fn: string, args: unknown[], callback?: RpcCallback<NoInfer<R>>, options?: RpcOptions): Promise<NoInfer<R>>
  /** `doNodeRpc` on the node of the first pid of `name`; typed the same way. */
  nodeRpc<R = unknown>(name: NameOf<Names>, mod: string, fn: string, args: unknown[], callback?: RpcCallback<NoInfer<R>>, options?: RpcOptions): Promise<NoInfer<R>>
  /** The seed's `__MODULE__` shorthands bound to `name`, typed by the name's pid type. */
  module<N extends NameOf<Names>>(name: N): ModuleHandle<Names[N]>
  on<K extends keyof NodeEvents>(event: K, listener: (...args: NodeEvents[K]) => void): () => void
  close(): Promise<void>
}

/** The seed's `__MODULE__` shorthands, bound to one name whose pids are of type `P`. */
export interface ModuleHandle<P extends AnyPid = Pid> {
  readonly name: string
  register(pid: P): void
  myPid(): P
  allPidsOf(): P[]
  allNodesOf(): string[]
  /**
   * Calls the name's first pid: `msg` must fit `P`'s calls; the reply is `P`'s (`unknown`
   * for an untyped name), unless `R` is given (an unchecked assertion, as for `node.call`).
   */
  call<R = InferredReply>(msg: CallOf<P>, timeoutMs?: number): Promise<CallResult<R, P>>
  /** Casts to the name's first pid: `msg` must fit `P`'s casts. */
  cast(msg: CastOf<P>): void
  nodeRpc<R = unknown>(mod: string, fn: string, args: unknown[], callback?: RpcCallback<NoInfer<R>>, options?: RpcOptions): Promise<NoInfer<R>>
}
