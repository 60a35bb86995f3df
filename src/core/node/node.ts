/**
 * A node: local processes, the registry replica, and links to other nodes. This file
 * holds the public API (`DistNode`) and the node's state, which is its own: its
 * collaborators see it through the roles of node-core.ts, met by one object it builds
 * (`NodeHost`): `links.ts` (link lifecycle and handshake), `dispatch.ts` (frames from
 * linked nodes), `calls.ts`, `monitors.ts`, `rpc.ts` and `registry-sync.ts` (each exchange
 * from start to end); its processes are kept by `processes.ts`. A transport that links it
 * to a cluster (the mesh) gets `MeshHost` (mesh-host.ts) through `createHostedNode`.
 */
import type { Channel } from '../api/channel.js'
import { BadArgError, ClosedError, errorMessage, NoNodeError, NoProcError, ProtocolError } from '../api/errors.js'
import type { AnyNames, NameMap } from '../api/names.js'
import { isIncarnation, newIncarnation, Pid } from '../api/pid.js'
import type { Behaviour, DistNode, LinkOpenOptions, LinkPath, ModuleHandle, NodeEvents, NodeOptions, RpcCallback, RpcFunction, RpcOptions, SpawnOptions } from '../api/types.js'
import type { RegistryWatchEvent, WatchEvent } from '../api/watch.js'
import { Emitter } from '../util/emitter.js'
import { randomUuid } from '../util/uuid.js'
import type { WirePid } from '../wire/protocol.js'
import { callFrom, castFrom, Context } from './calls.js'
import type { LinkedNode } from './linked-node.js'
import { LinkTable } from './links.js'
import { createModuleHandle } from './module-handle.js'
import { monitor, processStopped } from './monitors.js'
import type { MeshHooks, MeshHost } from './mesh-host.js'
import type { NodeHost } from './node-core.js'
import { resolveNodeOptions, type ResolvedNodeOptions } from './node-options.js'
import { ProcessTable } from './processes.js'
import { Registry } from './registry.js'
import { announceMembership } from './registry-sync.js'
import { RegistrationPolicy } from './registration-policy.js'
import { RpcService } from './rpc.js'
import { assertFunction, assertName, assertPid, describe } from './validate.js'
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

/**
 * Creates a node linked to a cluster by a transport (the mesh): `attach` gets the node's
 * side of their seam (`MeshHost`, mesh-host.ts) and returns the transport's (`MeshHooks`).
 *
 * @param incarnation the one the transport announced already (the mesh's signaling)
 * @example
 * const { node, hooks: mesh } = createHostedNode(options, signaling.incarnation, (host) => new Mesh(host, signaling))
 */
export function createHostedNode<H extends MeshHooks>(options: NodeOptions, incarnation: number, attach: (host: MeshHost) => H): { node: DistNode; host: MeshHost; hooks: H } {
  let seam: { host: MeshHost; hooks: H } | undefined
  const node = new NodeRuntime(options, incarnation, (host) => {
    seam = { host, hooks: attach(host) }
    return seam.hooks
  })
  const { host, hooks } = seam as { host: MeshHost; hooks: H } // the constructor called attach
  return { node, host, hooks }
}

/**
 * The node implementation. Transports reach it through `createNode` and `createHostedNode`,
 * its collaborators through the `NodeHost` it builds (`#host`): its state is its own.
 */
class NodeRuntime implements DistNode {
  readonly id: string
  readonly incarnation: number
  readonly #options: ResolvedNodeOptions
  readonly #events = new Emitter<NodeEvents>()
  readonly #replica: Registry
  readonly #rpc: RpcService
  readonly #host: NodeHost
  readonly #table: LinkTable
  readonly #processes: ProcessTable
  readonly #watchers: Watchers
  #closed = false
  #nextRefId = 1
  /** What the transport (the mesh) tells: each link's path, each member's claims, and its stop at `close()`. */
  readonly #transport: MeshHooks | undefined
  readonly #policy: RegistrationPolicy

  /**
   * @param incarnation given by a transport that announced it already (the mesh's signaling); default a random one
   * @param attach the transport, given the node's side of their seam once the node is built
   */
  constructor(options: NodeOptions, incarnation = newIncarnation(), attach?: (host: MeshHost) => MeshHooks) {
    if (options.id !== undefined) assertName(options.id, 'node id')
    this.id = options.id ?? randomUuid()
    this.incarnation = incarnation
    this.#options = resolveNodeOptions(options)
    this.#policy = new RegistrationPolicy(options.acceptRegistration, (node) => this.claimsOf(node), (linked, message) => this.#report(linked, message))
    this.#host = this.#makeHost()
    this.#table = new LinkTable(this.#host)
    this.#replica = new Registry({
      join: (name, pid, seq) => this.#membershipChanged('join', name, pid, seq),
      leave: (name, pid, seq) => this.#membershipChanged('leave', name, pid, seq),
    })
    this.#watchers = new Watchers(this.#replica)
    this.#rpc = new RpcService(this.#host)
    this.#processes = new ProcessTable({
      id: this.id,
      incarnation,
      maxMailbox: this.#options.maxMailbox,
      context: (pid, from, fromNode) => new Context(this.#host, this, pid, from, fromNode),
      report: (message) => this.#report(undefined, message),
    })
    this.#transport = attach?.(this.#meshHost())
  }

  #membershipChanged(t: 'join' | 'leave', name: string, pid: Pid, seq: number): void {
    announceMembership(this.#host, this.#table, t, name, pid)
    this.#watchers.changed(t, name, pid, seq)
    this.#events.emit(t, name, pid)
  }

  /** The node as its collaborators see it (node-core.ts): what each role may call, nothing to assign. */
  #makeHost(): NodeHost {
    const node = this
    return {
      id: this.id,
      incarnation: this.incarnation,
      options: this.#options,
      public: this,
      get closed() {
        return node.#closed
      },
      get replica() {
        return node.#replica
      },
      get rpc() {
        return node.#rpc
      },
      nextRef: () => this.#nextRefId++,
      report: (linked, message) => this.#report(linked, message),
      safely: (fn) => this.#safely(fn),
      assertOpen: () => this.#assertOpen(),
      linked: (id) => this.#table.get(id),
      localProcess: (pid) => this.#processes.get(pid),
      processById: (id) => this.#processes.byId(id),
      firstOf: (name) => this.#replica.first(name),
      ownPid: (linked, wire) => this.#ownPid(linked, wire),
      accepts: (linked, name) => this.#policy.accepts(linked, name),
      spawnRpcProcess: () => this.spawn({}),
      stop: (pid, reason) => this.stop(pid, reason),
      nodeUp: (id) => this.#events.emit('nodeup', id),
      nodeDown: (id, reason, detail) => this.#events.emit('nodedown', id, reason, detail),
    }
  }

  /** The node as its mesh sees it (mesh-host.ts). */
  #meshHost(): MeshHost {
    return {
      id: this.id,
      incarnation: this.incarnation,
      maxFrameBytes: this.#options.maxFrameBytes,
      link: (channel, options) => this.link(channel, options),
      isLinked: (id) => this.#table.get(id) !== undefined,
      hasLink: (id) => this.#table.has(id),
      onLink: (event, listener) => (event === 'nodeup' ? this.#events.on(event, listener) : this.#events.on(event, (id) => listener(id))),
      emit: (event, ...args) => this.#events.emit(event, ...args),
      report: (message) => this.#report(undefined, message),
      close: () => this.close(),
    }
  }

  // ---- links ---------------------------------------------------------------------------

  link(channel: Channel, options: LinkOpenOptions = {}): Promise<string> {
    if (this.#closed) return Promise.reject(new ClosedError(`node ${this.id} is closed`))
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

  nodes(): string[] {
    return this.#table.ids()
  }

  links(): Array<{ node: string; path: LinkPath }> {
    const paths = this.#transport?.paths()
    return this.#table.ids().map((node) => ({ node, path: paths?.get(node) ?? 'direct' }))
  }

  claimsOf(id: string): unknown {
    assertName(id, 'node id')
    return this.#transport?.claimsOf(id)
  }

  #ownPid(linked: LinkedNode, wire: WirePid): Pid | undefined {
    if (wire[0] !== linked.id) {
      this.#report(linked, `claims pid <${wire[0]}.${wire[1]}> of another node`)
      return undefined
    }
    return new Pid(wire[0], wire[1], linked.incarnation)
  }

  #report(linked: LinkedNode | undefined, message: string): void {
    const node = linked?.id
    const error = new ProtocolError(node ? `from node ${node}: ${message}` : message, node)
    if (this.#events.count('error') > 0) this.#events.emit('error', error)
    else console.warn(`distribunator: ${error.message}`)
  }

  #safely(fn: () => void): void {
    try {
      fn()
    } catch (error) {
      queueMicrotask(() => this.#events.emit('error', new ProtocolError(`a callback threw: ${errorMessage(error)}`, undefined, { cause: error })))
    }
  }

  // ---- processes -----------------------------------------------------------------------

  spawn(behaviour: Behaviour, options: SpawnOptions = {}): Pid {
    this.#assertOpen()
    return this.#processes.spawn(behaviour, options)
  }

  stop(pid: Pid, reason = 'normal'): void {
    assertPid(pid)
    if (typeof reason !== 'string') throw new BadArgError(`reason must be a string, got ${describe(reason)}`)
    if (pid.node !== this.id) throw new BadArgError(`cannot stop ${pid.toString()}: it runs on node ${pid.node}, not here`)
    const process = this.#processes.remove(pid, reason)
    if (process === undefined) return
    this.#replica.removePid(pid)
    processStopped(this.#host, process, reason)
  }

  isAlive(pid: Pid): boolean {
    assertPid(pid)
    if (pid.node !== this.id) throw new BadArgError(`isAlive answers for local pids only; ${pid.toString()} runs on node ${pid.node}`)
    return this.#processes.get(pid) !== undefined
  }

  monitor(pid: Pid, onDown: (reason: string) => void): () => void {
    assertPid(pid)
    assertFunction(onDown, 'onDown')
    return monitor(this.#host, pid, onDown)
  }

  // ---- registry ------------------------------------------------------------------------

  register(name: string, pid: Pid): void {
    assertName(name)
    assertPid(pid)
    if (pid.node !== this.id) throw new BadArgError(`cannot register ${pid.toString()}: a pid joins a name only from its own node (${pid.node})`)
    if (this.#processes.get(pid) === undefined) throw new NoProcError(`cannot register ${pid.toString()}: it is not alive`)
    if (!this.#policy.allows(name, this.id)) throw new BadArgError(`cannot register "${name}": this node's acceptRegistration refuses it`)
    this.#replica.join(name, pid)
  }

  unregister(name: string, pid: Pid): void {
    assertName(name)
    assertPid(pid)
    if (pid.node !== this.id) throw new BadArgError(`cannot unregister ${pid.toString()}: only its own node (${pid.node}) can`)
    this.#replica.leave(name, pid)
  }

  allPidsOf(name: string): Pid[] {
    assertName(name)
    return this.#replica.pids(name)
  }

  allNodesOf(name: string): string[] {
    assertName(name)
    return this.#replica.nodes(name)
  }

  pidOf(name: string): Pid | undefined {
    assertName(name)
    return this.#replica.random(name)
  }

  registry(): Array<[string, Pid[]]> {
    return this.#replica.entries()
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

  // ---- messaging and rpc ---------------------------------------------------------------

  call<R = unknown>(to: Pid | string, msg: unknown, timeoutMs?: number): Promise<R> {
    return callFrom<R>(this.#host, undefined, to, msg, timeoutMs)
  }

  cast(to: Pid | string, msg: unknown): void {
    castFrom(this.#host, undefined, to, msg)
  }

  expose(mod: string, fns: Record<string, RpcFunction>): void {
    this.#rpc.expose(mod, fns)
  }

  doNodeRpc<R = unknown>(node: string, mod: string, fn: string, args: unknown[], callback?: RpcCallback<R>, options?: RpcOptions): Promise<R> {
    return this.#rpc.call<R>(node, mod, fn, args, callback, options)
  }

  nodeRpc<R = unknown>(name: string, mod: string, fn: string, args: unknown[], callback?: RpcCallback<R>, options?: RpcOptions): Promise<R> {
    try {
      assertName(name)
    } catch (error) {
      return Promise.reject(error)
    }
    const first = this.#replica.first(name)
    if (first === undefined) return Promise.reject(new NoNodeError(`no node has "${name}" registered`))
    return this.#rpc.call<R>(first.node, mod, fn, args, callback, options)
  }

  module(name: string): ModuleHandle {
    assertName(name)
    return createModuleHandle(this, name)
  }

  // ---- events and shutdown -------------------------------------------------------------

  on<K extends keyof NodeEvents>(event: K, listener: (...args: NodeEvents[K]) => void): () => void {
    if (!EVENTS.has(event)) throw new BadArgError(`unknown event ${describe(event)}; known: ${[...EVENTS].join(', ')}`)
    assertFunction(listener, 'listener')
    return this.#events.on(event, listener)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    // The transport first (the mesh stops meshing), then the links: to the other nodes this
    // node is down (nodedown, noconnection), as when it crashes; then the local processes
    // stop with reason `shutdown`.
    let stopped: void | Promise<void> = undefined
    const transport = this.#transport
    if (transport !== undefined) this.#safely(() => void (stopped = transport.stop()))
    this.#table.closeAll()
    for (const pid of this.#processes.pids()) this.stop(pid, 'shutdown')
    await Promise.allSettled([stopped])
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError(`node ${this.id} is closed`)
  }
}
