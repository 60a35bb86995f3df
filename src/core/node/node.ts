/**
 * A node: local processes, the registry replica, and links to other nodes. This file
 * holds the public API; its collaborators see it through `NodeCore` (node-core.ts):
 * `links.ts` (link lifecycle and handshake), `dispatch.ts` (frames from linked nodes),
 * `calls.ts`, `monitors.ts`, `rpc.ts` and `registry-sync.ts` (each exchange from start
 * to end).
 */
import type { Channel } from '../api/channel.js'
import { BadArgError, ClosedError, errorMessage, NoNodeError, NoProcError, OverloadedError, ProtocolError } from '../api/errors.js'
import type { AnyNames, NameMap } from '../api/names.js'
import { isIncarnation, newIncarnation, Pid } from '../api/pid.js'
import type { Behaviour, DistNode, LinkOpenOptions, LinkPath, ModuleHandle, NodeEvents, NodeOptions, ProcessContext, RpcCallback, RpcFunction, RpcOptions, SpawnOptions } from '../api/types.js'
import type { RegistryWatchEvent, WatchEvent } from '../api/watch.js'
import { Emitter } from '../util/emitter.js'
import { randomUuid } from '../util/uuid.js'
import type { WirePid } from '../wire/protocol.js'
import { callFrom, castFrom, Context } from './calls.js'
import type { LinkedNode } from './linked-node.js'
import { LinkTable } from './links.js'
import { createModuleHandle } from './module-handle.js'
import { monitor, processStopped } from './monitors.js'
import type { NodeCore } from './node-core.js'
import { resolveNodeOptions, type ResolvedNodeOptions } from './node-options.js'
import { LocalProcess } from './process.js'
import { Registry } from './registry.js'
import { announceMembership } from './registry-sync.js'
import { RpcService } from './rpc.js'
import { assertFunction, assertName, assertPid, assertTimeout, describe } from './validate.js'
import { Watchers } from './watchers.js'

const EVENTS = new Set<keyof NodeEvents>(['nodeup', 'nodedown', 'path', 'join', 'leave', 'error', 'hub', 'unlinked'])

/**
 * Creates a node. Link it to others with `link(channel)`. `Names` (optional, types only)
 * maps the names the node uses to their pid types: see `DistNode`.
 *
 * @example
 * const node = createNode({ id: 'worker' })
 * const counter = node.spawn({ handleCall: (msg) => ++n })
 * node.register('counter', counter)
 *
 * @example
 * const typed = createNode<{ counter: Pid<'increment', number> }>()
 */
export function createNode<Names extends NameMap<Names> = AnyNames>(options: NodeOptions = {}): DistNode<Names> {
  if (typeof options !== 'object' || options === null) throw new BadArgError(`options must be an object, got ${describe(options)}`)
  // The name map only narrows what the compiler accepts: the node behind it is the same.
  return new NodeRuntime(options) as DistNode<any> as DistNode<Names>
}

/** @internal The node implementation (transports reach it through `createNode` and `connect`). */
export class NodeRuntime implements NodeCore {
  readonly id: string
  readonly incarnation: number
  readonly registryReplica: Registry
  readonly events = new Emitter<NodeEvents>()
  readonly rpc: RpcService
  readonly options: ResolvedNodeOptions
  closed = false
  readonly #table: LinkTable
  readonly #processes = new Map<number, LocalProcess>()
  #nextPidId = 1
  #nextRefId = 1
  readonly #closeHooks: Array<() => void | Promise<void>> = []
  #linkPaths: (() => ReadonlyMap<string, LinkPath>) | undefined
  #claims: ((id: string) => unknown) | undefined
  readonly #accept: ((name: string, node: string, claims: unknown) => boolean) | undefined
  readonly #watchers: Watchers

  /** @param incarnation given by a transport that announced it already (the mesh's signaling); default a random one */
  constructor(options: NodeOptions, incarnation = newIncarnation()) {
    if (options.id !== undefined) assertName(options.id, 'node id')
    this.id = options.id ?? randomUuid()
    this.incarnation = incarnation
    this.options = resolveNodeOptions(options)
    if (options.acceptRegistration !== undefined) assertFunction(options.acceptRegistration, 'acceptRegistration')
    this.#accept = options.acceptRegistration
    this.#table = new LinkTable(this)
    this.registryReplica = new Registry({
      join: (name, pid, seq) => {
        announceMembership(this, this.#table, 'join', name, pid)
        this.#watchers.changed('join', name, pid, seq)
        this.events.emit('join', name, pid)
      },
      leave: (name, pid, seq) => {
        announceMembership(this, this.#table, 'leave', name, pid)
        this.#watchers.changed('leave', name, pid, seq)
        this.events.emit('leave', name, pid)
      },
    })
    this.#watchers = new Watchers(this.registryReplica)
    this.rpc = new RpcService(this)
  }

  /**
   * Runs `hook` at the start of `close()` (a transport tearing down what it owns); `close()`
   * resolves once every hook's promise has settled.
   */
  beforeClose(hook: () => void | Promise<void>): void {
    this.#closeHooks.push(hook)
  }

  nextRef(): number {
    return this.#nextRefId++
  }

  // ---- links ---------------------------------------------------------------------------

  link(channel: Channel, options: LinkOpenOptions = {}): Promise<string> {
    if (this.closed) return Promise.reject(new ClosedError(`node ${this.id} is closed`))
    const shape = channel as Partial<Record<keyof Channel, unknown>> | null
    if (typeof shape !== 'object' || shape === null || !['send', 'onMessage', 'onClose', 'close'].every((k) => typeof shape[k as keyof Channel] === 'function')) {
      return Promise.reject(new BadArgError(`channel must implement send, onMessage, onClose and close, got ${describe(channel)}`))
    }
    if (typeof options !== 'object' || options === null) return Promise.reject(new BadArgError(`options must be an object, got ${describe(options)}`))
    try {
      if (options.expect !== undefined) assertName(options.expect, 'expect')
      if (options.incarnation !== undefined && !isIncarnation(options.incarnation)) throw new BadArgError(`incarnation must be an integer from 0 to 2^32 - 1, got ${describe(options.incarnation)}`)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.#table.open(channel, options.expect, options.incarnation)
  }

  linked(node: string): LinkedNode | undefined {
    return this.#table.get(node)
  }

  /** Whether a link to `node` is open or being opened (past its hello). */
  hasLink(node: string): boolean {
    return this.#table.has(node)
  }

  nodes(): string[] {
    return this.#table.ids()
  }

  links(): Array<{ node: string; path: LinkPath }> {
    const paths = this.#linkPaths?.()
    return this.#table.ids().map((node) => ({ node, path: paths?.get(node) ?? 'direct' }))
  }

  claimsOf(id: string): unknown {
    assertName(id, 'node id')
    return this.#claims?.(id)
  }

  /** Lets a transport (the mesh) say what the hub stamped on each member, this node included. */
  describeClaims(claims: (id: string) => unknown): void {
    this.#claims = claims
  }

  /** Whether the `acceptRegistration` policy takes `name` registered by `node`; a policy that throws refuses. */
  #policy(name: string, node: string): boolean {
    const accept = this.#accept
    if (accept === undefined) return true
    try {
      return accept(name, node, this.claimsOf(node)) === true
    } catch (error) {
      this.report(undefined, `acceptRegistration threw for "${name}" of ${node}: ${errorMessage(error)}`)
      return false
    }
  }

  accepts(linked: LinkedNode, name: string): boolean {
    const node = linked.id as string
    if (this.#policy(name, node)) return true
    if (!linked.refusedNames.has(name) && linked.refusedNames.size < 1024) {
      linked.refusedNames.add(name)
      this.report(linked, `registration of "${name}" refused by acceptRegistration`)
    }
    return false
  }

  /** Lets a transport (the mesh) say which path each of its links runs on. */
  describeLinks(paths: () => ReadonlyMap<string, LinkPath>): void {
    this.#linkPaths = paths
  }

  report(linked: LinkedNode | undefined, message: string): void {
    const node = linked?.id
    const error = new ProtocolError(node ? `from node ${node}: ${message}` : message, node)
    if (this.events.count('error') > 0) this.events.emit('error', error)
    else console.warn(`distribunator: ${error.message}`)
  }

  safely(fn: () => void): void {
    try {
      fn()
    } catch (error) {
      queueMicrotask(() => this.events.emit('error', new ProtocolError(`a callback threw: ${errorMessage(error)}`, undefined, { cause: error })))
    }
  }

  // ---- processes -----------------------------------------------------------------------

  spawn(behaviour: Behaviour, options: SpawnOptions = {}): Pid {
    this.assertOpen()
    if (typeof behaviour !== 'object' || behaviour === null) throw new BadArgError(`behaviour must be an object, got ${describe(behaviour)}`)
    for (const key of ['handleCall', 'handleCast', 'terminate'] as const) {
      if (behaviour[key] !== undefined) assertFunction(behaviour[key], `behaviour.${key}`)
    }
    if (typeof options !== 'object' || options === null) throw new BadArgError(`options must be an object, got ${describe(options)}`)
    const max = options.maxMailbox ?? this.options.maxMailbox
    assertTimeout(max, 'maxMailbox') // a positive number, or Infinity for no bound
    const pid = new Pid(this.id, this.#nextPidId++, this.incarnation)
    let dropped = 0
    const process = new LocalProcess(
      pid,
      behaviour,
      (from, fromNode) => new Context(this, pid, from, fromNode),
      (envelope) => envelope.reply({ ok: false, error: new NoProcError(`${pid.toString()} is not alive`) }),
      {
        max,
        onFull: (envelope) => {
          const why = `${pid.toString()} has ${max} messages waiting (maxMailbox)`
          if (envelope.kind === 'call') return envelope.reply({ ok: false, error: new OverloadedError(this.id, why) })
          // a cast is dropped: told at the first, then at every 1000th
          if (dropped++ % 1000 === 0) this.report(undefined, `casts to ${pid.toString()} dropped (${dropped} so far): it has ${max} messages waiting (maxMailbox)`)
        },
      },
    )
    this.#processes.set(pid.id, process)
    return pid
  }

  localProcess(pid: Pid): LocalProcess | undefined {
    return pid.node === this.id && pid.incarnation === this.incarnation ? this.#processes.get(pid.id) : undefined
  }

  processById(id: number): LocalProcess | undefined {
    return this.#processes.get(id)
  }

  stop(pid: Pid, reason = 'normal'): void {
    assertPid(pid)
    if (typeof reason !== 'string') throw new BadArgError(`reason must be a string, got ${describe(reason)}`)
    if (pid.node !== this.id) throw new BadArgError(`cannot stop ${pid.toString()}: it runs on node ${pid.node}, not here`)
    const process = this.localProcess(pid)
    if (process === undefined) return
    this.#processes.delete(pid.id)
    for (const call of process.exit(reason)) call.reply({ ok: false, error: new NoProcError(`${pid.toString()} stopped`) })
    this.registryReplica.removePid(pid)
    processStopped(this, process, reason)
  }

  isAlive(pid: Pid): boolean {
    assertPid(pid)
    if (pid.node !== this.id) throw new BadArgError(`isAlive answers for local pids only; ${pid.toString()} runs on node ${pid.node}`)
    return this.localProcess(pid) !== undefined
  }

  monitor(pid: Pid, onDown: (reason: string) => void): () => void {
    assertPid(pid)
    assertFunction(onDown, 'onDown')
    return monitor(this, pid, onDown)
  }

  // ---- registry ------------------------------------------------------------------------

  register(name: string, pid: Pid): void {
    assertName(name)
    assertPid(pid)
    if (pid.node !== this.id) throw new BadArgError(`cannot register ${pid.toString()}: a pid joins a name only from its own node (${pid.node})`)
    if (this.localProcess(pid) === undefined) throw new NoProcError(`cannot register ${pid.toString()}: it is not alive`)
    if (!this.#policy(name, this.id)) throw new BadArgError(`cannot register "${name}": this node's acceptRegistration refuses it`)
    this.registryReplica.join(name, pid)
  }

  unregister(name: string, pid: Pid): void {
    assertName(name)
    assertPid(pid)
    if (pid.node !== this.id) throw new BadArgError(`cannot unregister ${pid.toString()}: only its own node (${pid.node}) can`)
    this.registryReplica.leave(name, pid)
  }

  allPidsOf(name: string): Pid[] {
    assertName(name)
    return this.registryReplica.pids(name)
  }

  allNodesOf(name: string): string[] {
    assertName(name)
    return this.registryReplica.nodes(name)
  }

  pidOf(name: string): Pid | undefined {
    assertName(name)
    return this.registryReplica.random(name)
  }

  registry(): Array<[string, Pid[]]> {
    return this.registryReplica.entries()
  }

  watch(name: string, listener: (event: WatchEvent) => void): () => void {
    assertName(name)
    assertFunction(listener, 'listener')
    return this.#watchers.watch(name, listener)
  }

  watchAll(listener: (event: RegistryWatchEvent) => void): () => void {
    assertFunction(listener, 'listener')
    return this.#watchers.watchAll(listener)
  }

  // ---- messaging -----------------------------------------------------------------------

  call<R = unknown>(to: Pid | string, msg: unknown, timeoutMs?: number): Promise<R> {
    return callFrom<R>(this, undefined, to, msg, timeoutMs)
  }

  cast(to: Pid | string, msg: unknown): void {
    castFrom(this, undefined, to, msg)
  }

  callFrom<R>(from: Pid | undefined, to: Pid | string, msg: unknown, timeoutMs?: number): Promise<R> {
    return callFrom<R>(this, from, to, msg, timeoutMs)
  }

  castFrom(from: Pid | undefined, to: Pid | string, msg: unknown): void {
    castFrom(this, from, to, msg)
  }

  ownPid(linked: LinkedNode, wire: WirePid): Pid | undefined {
    if (wire[0] !== linked.id) {
      this.report(linked, `claims pid <${wire[0]}.${wire[1]}> of another node`)
      return undefined
    }
    return new Pid(wire[0], wire[1], linked.incarnation)
  }

  // ---- rpc -----------------------------------------------------------------------------

  expose(mod: string, fns: Record<string, RpcFunction>): void {
    this.rpc.expose(mod, fns)
  }

  doNodeRpc<R = unknown>(node: string, mod: string, fn: string, args: unknown[], callback?: RpcCallback<R>, options?: RpcOptions): Promise<R> {
    return this.rpc.call<R>(node, mod, fn, args, callback, options)
  }

  nodeRpc<R = unknown>(name: string, mod: string, fn: string, args: unknown[], callback?: RpcCallback<R>, options?: RpcOptions): Promise<R> {
    try {
      assertName(name)
    } catch (error) {
      return Promise.reject(error)
    }
    const first = this.registryReplica.first(name)
    if (first === undefined) return Promise.reject(new NoNodeError(`no node has "${name}" registered`))
    return this.rpc.call<R>(first.node, mod, fn, args, callback, options)
  }

  module(name: string): ModuleHandle {
    assertName(name)
    return createModuleHandle(this, name)
  }

  // ---- events and shutdown -------------------------------------------------------------

  on<K extends keyof NodeEvents>(event: K, listener: (...args: NodeEvents[K]) => void): () => void {
    if (!EVENTS.has(event)) throw new BadArgError(`unknown event ${describe(event)}; known: ${[...EVENTS].join(', ')}`)
    assertFunction(listener, 'listener')
    return this.events.on(event, listener)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const hooks: Array<void | Promise<void>> = []
    for (const hook of this.#closeHooks.splice(0)) this.safely(() => void hooks.push(hook()))
    // Links first: to the other nodes this node is down (nodedown, noconnection), as when
    // it crashes; then the local processes stop with reason `shutdown`.
    this.#table.closeAll()
    for (const process of [...this.#processes.values()]) this.stop(process.pid, 'shutdown')
    await Promise.allSettled(hooks)
  }

  assertOpen(): void {
    if (this.closed) throw new ClosedError(`node ${this.id} is closed`)
  }
}
