/**
 * A node: local processes, the registry replica, and links to other nodes. This file
 * holds the public API and the link lifecycle; `dispatch.ts` handles incoming frames and
 * `rpc.ts` the rpc-with-callback protocol.
 */
import type { Channel } from '../api/channel.js'
import { callFrom, castFrom, Context } from './calls.js'
import { Emitter } from '../util/emitter.js'
import { AlreadyLinkedError, BadArgError, ClosedError, type DistributedError, errorMessage, NodeDownError, NoNodeError, NoProcError, ProtocolError, TimeoutError } from '../api/errors.js'
import { handleFrame } from './dispatch.js'
import { Link } from '../wire/link.js'
import { resolveNodeOptions, type ResolvedNodeOptions } from './node-options.js'
import { createModuleHandle } from './module-handle.js'
import { PeerState } from './linked-node.js'
import { startHeartbeat } from '../wire/heartbeat.js'
import { newIncarnation, Pid } from '../api/pid.js'
import { type Behaviour, LocalProcess, type ProcessContext } from './process.js'
import { type Frame, PROTOCOL_VERSION, type WirePid } from '../wire/protocol.js'
import { Registry } from './registry.js'
import { RpcService } from './rpc.js'
import { startTimer, type TimerHandle } from '../util/async.js'
import type { DistNode, LinkCloseReason, LinkOpenOptions, ModuleHandle, NodeEvents, NodeOptions, RpcCallback, RpcFunction, RpcOptions } from '../api/types.js'

export type { NodeOptions } from '../api/types.js'
import { assertFunction, assertName, assertPid, describe } from './validate.js'

const EVENTS = new Set<keyof NodeEvents>(['nodeup', 'nodedown', 'join', 'leave', 'error'])

/**
 * Creates a node. Link it to others with `link(channel)`.
 *
 * @example
 * const node = createNode({ id: 'worker' })
 * const counter = node.spawn({ handleCall: (msg) => ++n })
 * node.register('counter', counter)
 */
export function createNode(options: NodeOptions = {}): DistNode {
  if (typeof options !== 'object' || options === null) throw new BadArgError(`options must be an object, got ${describe(options)}`)
  return new NodeRuntime(options)
}

/** @internal The node implementation; `dispatch.ts` and `rpc.ts` use its internals. */
export class NodeRuntime implements DistNode {
  readonly id: string
  /** This node's incarnation: part of every pid it hands out (see `Pid`). */
  readonly incarnation = newIncarnation()
  readonly peers = new Map<string, PeerState>()
  readonly processes = new Map<number, LocalProcess>()
  readonly registryReplica: Registry
  readonly events = new Emitter<NodeEvents>()
  readonly rpc: RpcService
  readonly options: ResolvedNodeOptions
  closed = false
  private readonly handshaking = new Set<PeerState>()
  private nextPidId = 1
  private nextRefId = 1
  private heartbeat: TimerHandle | undefined
  private readonly closeHooks: Array<() => void> = []

  constructor(options: NodeOptions) {
    if (options.id !== undefined) assertName(options.id, 'node id')
    this.id = options.id ?? globalThis.crypto.randomUUID()
    this.options = resolveNodeOptions(options)
    this.registryReplica = new Registry({
      join: (name, pid) => {
        if (pid.node === this.id) this.broadcast({ v: PROTOCOL_VERSION, t: 'join', name, pid: [pid.node, pid.id] })
        this.events.emit('join', name, pid)
      },
      leave: (name, pid) => {
        if (pid.node === this.id) this.broadcast({ v: PROTOCOL_VERSION, t: 'leave', name, pid: [pid.node, pid.id] })
        this.events.emit('leave', name, pid)
      },
    })
    this.rpc = new RpcService(this)
  }

  /** Runs `hook` at the start of `close()` (a transport tearing down what it owns). */
  beforeClose(hook: () => void): void {
    this.closeHooks.push(hook)
  }

  nextRef(): number {
    return this.nextRefId++
  }

  // ---- links ---------------------------------------------------------------------------

  link(channel: Channel, options: LinkOpenOptions = {}): Promise<string> {
    if (this.closed) return Promise.reject(new ClosedError(`node ${this.id} is closed`))
    const shape = channel as Partial<Record<keyof Channel, unknown>> | null
    if (typeof shape !== 'object' || shape === null || !['send', 'onMessage', 'onClose', 'close'].every((k) => typeof shape[k as keyof Channel] === 'function')) {
      return Promise.reject(new BadArgError(`channel must implement send, onMessage, onClose and close, got ${describe(channel)}`))
    }
    if (typeof options !== 'object' || options === null) return Promise.reject(new BadArgError(`options must be an object, got ${describe(options)}`))
    const expect = options.expect
    try {
      if (expect !== undefined) assertName(expect, 'expect')
    } catch (error) {
      return Promise.reject(error)
    }
    return new Promise<string>((resolve, reject) => {
      const link = new Link(channel, this.options, {
        frame: (_, frame) => handleFrame(this, peer, frame),
        invalid: (_, reason) => this.report(peer, reason),
        closed: (_, reason, detail) => this.linkClosed(peer, reason, detail),
      })
      const peer = new PeerState(link, expect)
      const timer = startTimer(() => peer.link.close('handshake_timeout', 'no hello and registry in time'), this.options.handshakeTimeoutMs)
      peer.handshake = { resolve, reject, timer }
      this.handshaking.add(peer)
      this.startHeartbeat()
      link.send({ v: PROTOCOL_VERSION, t: 'hello', node: this.id, inc: this.incarnation })
    })
  }

  /** Ends a handshake with a refusal: the peer is told why, `link()` rejects, the channel closes. */
  private refuseLink(peer: PeerState, reason: string, error: DistributedError): void {
    const handshake = peer.handshake
    peer.handshake = undefined
    if (handshake !== undefined) {
      clearTimeout(handshake.timer)
      handshake.reject(error)
    }
    peer.link.send({ v: PROTOCOL_VERSION, t: 'bye', reason })
    peer.link.close('refused', reason)
  }

  /** The peer's hello arrived: accept the link or refuse it. */
  helloReceived(peer: PeerState, node: string, incarnation: number): void {
    if (peer.handshake === undefined || peer.link.up) return this.report(peer, 'hello on a link that is already up')
    if (peer.expect !== undefined && node !== peer.expect) {
      this.report(peer, `introduced itself as ${node} on a link to ${peer.expect}; link closed`)
      return this.refuseLink(peer, 'unexpected node id', new ProtocolError(`expected node ${peer.expect}, the peer said it is ${node}`, node))
    }
    if (node === this.id) return this.refuseLink(peer, 'same node id', new BadArgError(`cannot link node ${node} to itself`))
    if (this.peers.has(node)) return this.refuseLink(peer, 'already linked', new AlreadyLinkedError(node))
    this.handshaking.delete(peer)
    peer.link.remote = node
    peer.incarnation = incarnation
    peer.link.up = true
    this.peers.set(node, peer)
    peer.link.send({ v: PROTOCOL_VERSION, t: 'sync', names: this.registryReplica.snapshotOf(this.id) })
    // The handshake ends with the peer's sync, which follows its hello: see syncReceived.
    // Until then the peer is not in nodes() and none of its other frames is acted on.
  }

  /**
   * The peer's registry arrived: the link is complete. `link()` resolves and `nodeup`
   * fires only now, so whoever waits for them sees the peer's names at once.
   */
  syncReceived(peer: PeerState, names: ReadonlyArray<readonly [string, readonly number[]]>): void {
    if (peer.synced) return this.report(peer, 'second sync frame')
    peer.synced = true
    const remote = peer.link.remote as string
    for (const [name, ids] of names) for (const id of ids) this.registryReplica.join(name, new Pid(remote, id, peer.incarnation))
    const handshake = peer.handshake
    peer.handshake = undefined
    if (handshake !== undefined) clearTimeout(handshake.timer)
    this.events.emit('nodeup', remote)
    handshake?.resolve(remote)
  }

  /** The peer state of a linked node whose handshake is complete. */
  linked(node: string): PeerState | undefined {
    const peer = this.peers.get(node)
    return peer?.synced === true ? peer : undefined
  }

  private linkClosed(peer: PeerState, reason: LinkCloseReason, detail: string): void {
    this.handshaking.delete(peer)
    if (peer.handshake !== undefined) {
      clearTimeout(peer.handshake.timer)
      const error = reason === 'handshake_timeout' ? new TimeoutError('link handshake timed out') : new ClosedError(`link closed during handshake: ${detail}`)
      peer.handshake.reject(error)
      peer.handshake = undefined
    }
    const node = peer.link.remote
    if (node === undefined || this.peers.get(node) !== peer) return
    this.peers.delete(node)
    const callError = (): Error => (this.closed ? new ClosedError(`node ${this.id} closed`) : new NodeDownError(node))
    for (const call of peer.calls.values()) {
      if (call.timer !== undefined) clearTimeout(call.timer)
      call.reject(callError())
    }
    peer.calls.clear()
    for (const { process, watcherRef } of peer.monitorsIn.values()) process.watchers.delete(watcherRef)
    peer.monitorsIn.clear()
    const downs = [...peer.monitorsOut.values()]
    peer.monitorsOut.clear()
    this.rpc.linkLost(peer, node)
    this.registryReplica.removeNode(node)
    for (const onDown of downs) this.safely(() => onDown('noconnection'))
    if (peer.synced) this.events.emit('nodedown', node, reason === 'handshake_timeout' || reason === 'refused' ? 'closed' : reason, detail)
  }

  private startHeartbeat(): void {
    const { heartbeatIntervalMs, heartbeatTimeoutMs } = this.options
    this.heartbeat ??= startHeartbeat(() => [...this.peers.values(), ...this.handshaking].map((peer) => peer.link), heartbeatIntervalMs, heartbeatTimeoutMs)
  }

  nodes(): string[] {
    const ids: string[] = []
    for (const [id, peer] of this.peers) if (peer.synced) ids.push(id)
    return ids
  }

  broadcast(frame: Frame): void {
    for (const peer of this.peers.values()) peer.link.send(frame)
  }

  /** Reports a misbehaving peer or a dropped frame through the `error` event. */
  report(peer: PeerState | undefined, message: string): void {
    const node = peer?.link.remote
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

  spawn(behaviour: Behaviour): Pid {
    this.assertOpen()
    if (typeof behaviour !== 'object' || behaviour === null) throw new BadArgError(`behaviour must be an object, got ${describe(behaviour)}`)
    for (const key of ['handleCall', 'handleCast', 'terminate'] as const) {
      if (behaviour[key] !== undefined) assertFunction(behaviour[key], `behaviour.${key}`)
    }
    const pid = new Pid(this.id, this.nextPidId++, this.incarnation)
    const process = new LocalProcess(pid, behaviour, (from) => this.contextFor(pid, from), (envelope) =>
      envelope.reply({ ok: false, error: new NoProcError(`${pid.toString()} is not alive`) }),
    )
    this.processes.set(pid.id, process)
    return pid
  }

  /** The live local process `pid` names (this node's id and incarnation), if any. */
  localProcess(pid: Pid): LocalProcess | undefined {
    return pid.node === this.id && pid.incarnation === this.incarnation ? this.processes.get(pid.id) : undefined
  }

  private contextFor(self: Pid, from: Pid | undefined): ProcessContext {
    return new Context(this, self, from)
  }

  stop(pid: Pid, reason = 'normal'): void {
    assertPid(pid)
    if (typeof reason !== 'string') throw new BadArgError(`reason must be a string, got ${describe(reason)}`)
    if (pid.node !== this.id) throw new BadArgError(`cannot stop ${pid.toString()}: it runs on node ${pid.node}, not here`)
    const process = this.localProcess(pid)
    if (process === undefined) return
    this.processes.delete(pid.id)
    for (const call of process.exit(reason)) call.reply({ ok: false, error: new NoProcError(`${pid.toString()} stopped`) })
    this.registryReplica.removePid(pid)
    const watchers = [...process.watchers.values()]
    process.watchers.clear()
    for (const onDown of watchers) this.safely(() => onDown(reason))
  }

  isAlive(pid: Pid): boolean {
    assertPid(pid)
    if (pid.node !== this.id) throw new BadArgError(`isAlive answers for local pids only; ${pid.toString()} runs on node ${pid.node}`)
    return this.localProcess(pid) !== undefined
  }

  monitor(pid: Pid, onDown: (reason: string) => void): () => void {
    assertPid(pid)
    assertFunction(onDown, 'onDown')
    let fired = false
    const once = (reason: string): void => {
      if (fired) return
      fired = true
      onDown(reason)
    }
    if (pid.node === this.id) {
      const process = this.localProcess(pid)
      if (process === undefined) {
        queueMicrotask(() => this.safely(() => once('noproc')))
        return () => {}
      }
      const ref = this.nextRef()
      process.watchers.set(ref, once)
      return () => void process.watchers.delete(ref)
    }
    const peer = this.linked(pid.node)
    if (peer === undefined) {
      queueMicrotask(() => this.safely(() => once('noconnection')))
      return () => {}
    }
    if (peer.incarnation !== pid.incarnation) {
      queueMicrotask(() => this.safely(() => once('noproc'))) // a pid of an earlier (or later) incarnation
      return () => {}
    }
    const ref = this.nextRef()
    peer.monitorsOut.set(ref, once)
    peer.link.send({ v: PROTOCOL_VERSION, t: 'mon', ref, pid: pid.id })
    return () => {
      if (peer.monitorsOut.delete(ref)) peer.link.send({ v: PROTOCOL_VERSION, t: 'demon', ref })
    }
  }

  // ---- registry ------------------------------------------------------------------------

  register(name: string, pid: Pid): void {
    assertName(name)
    assertPid(pid)
    if (pid.node !== this.id) throw new BadArgError(`cannot register ${pid.toString()}: a pid joins a name only from its own node (${pid.node})`)
    if (this.localProcess(pid) === undefined) throw new NoProcError(`cannot register ${pid.toString()}: it is not alive`)
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

  // ---- messaging -----------------------------------------------------------------------

  call<R = unknown>(to: Pid | string, msg: unknown, timeoutMs?: number): Promise<R> {
    return this.callFrom<R>(undefined, to, msg, timeoutMs)
  }

  cast(to: Pid | string, msg: unknown): void {
    this.castFrom(undefined, to, msg)
  }

  callFrom<R>(from: Pid | undefined, to: Pid | string, msg: unknown, timeoutMs?: number): Promise<R> {
    return callFrom<R>(this, from, to, msg, timeoutMs)
  }

  castFrom(from: Pid | undefined, to: Pid | string, msg: unknown): void {
    castFrom(this, from, to, msg)
  }

  /** A pid named in a frame from `peer`, which may only speak for its own pids. */
  ownPid(peer: PeerState, wire: WirePid): Pid | undefined {
    if (wire[0] !== peer.link.remote) {
      this.report(peer, `claims pid <${wire[0]}.${wire[1]}> of another node`)
      return undefined
    }
    return new Pid(wire[0], wire[1], peer.incarnation)
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
    for (const hook of this.closeHooks.splice(0)) this.safely(hook)
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat)
    this.heartbeat = undefined
    // Links first: to the other nodes this node is down (nodedown, noconnection), as when
    // it crashes; then the local processes stop with reason `shutdown`.
    for (const peer of [...this.peers.values(), ...this.handshaking]) {
      peer.link.send({ v: PROTOCOL_VERSION, t: 'bye', reason: 'node closed' })
      peer.link.close('shutdown', 'this node closed')
    }
    for (const process of [...this.processes.values()]) this.stop(process.pid, 'shutdown')
  }

  assertOpen(): void {
    if (this.closed) throw new ClosedError(`node ${this.id} is closed`)
  }
}
