/**
 * Nodes living in other processes, driven from the test process as if they were local, so
 * that the multi-node suite (test/support/cluster-suite.ts) runs unchanged against them.
 *
 * Each host (test/fixtures/suite-host.ts) is a child process holding any number of nodes;
 * links between hosts are real WebRTC data channels (node-datachannel), signalled through
 * this process. A `RemoteNode` is a `DistNode` whose every method runs in its host:
 * - a synchronous method (`allPidsOf`, `register`, `cast`, ...) writes a request to the
 *   host's request FIFO and blocks on its response FIFO (`readSync`), so it returns the
 *   host's real answer, synchronously, after everything sent before it has been done;
 * - a promise-returning method starts its operation the same way and settles when the
 *   host reports the outcome; reports (outcomes, events, calls of the test's functions)
 *   ride on the responses, in the order they happened, and a `poke` over IPC makes this
 *   side ask for them when it has no request to make;
 * - behaviours, exposed functions, rpc callbacks, monitors and listeners stay here (they
 *   are the test's closures): the host calls them over IPC and waits for their result, so a
 *   returned value, a throw or a promise that never settles acts as it would locally.
 * The host never waits synchronously on this process, so the blocking reads cannot deadlock.
 */
import {
  BadArgError,
  type Behaviour,
  type Channel,
  type DistNode,
  type LinkPath,
  type ModuleHandle,
  type NodeEvents,
  type Pid,
  type ProcessContext,
  type RpcCallback,
  type RpcFunction,
  type RpcOptions,
  type RegistryWatchEvent,
  type WatchEvent,
} from '../../src/core/index.js'
import { createModuleHandle } from '../../src/core/node/module-handle.js'
import type { ClusterDriver } from './cluster-suite.js'
import { Host } from './remote-host.js'
import type { SyncMethod } from './suite-host-wire.js'

/** A node in a host process, used exactly like a local `DistNode`. */
export class RemoteNode implements DistNode {
  constructor(
    readonly id: string,
    readonly incarnation: number,
    readonly host: Host,
  ) {}

  private sync<T>(method: SyncMethod, ...args: unknown[]): T {
    return this.host.request({ op: 'sync', node: this.id, method, args }) as T
  }

  private context(self: Pid, from: Pid | undefined, fromNode: string): ProcessContext {
    return {
      self,
      ...(from ? { from } : {}),
      fromNode,
      node: this,
      register: (name: string) => this.register(name, self),
      call: <R>(to: Pid | string, msg: unknown, timeoutMs?: number) =>
        this.host.start({ op: 'ctx', self, method: 'call', args: [to, msg, timeoutMs] }) as Promise<R>,
      cast: (to: Pid | string, msg: unknown) => void this.host.request({ op: 'ctx', self, method: 'cast', args: [to, msg] }),
    }
  }

  link(_channel: Channel): Promise<string> {
    return Promise.reject(new Error('a node in a host process is linked by its driver (RemoteCluster.link)'))
  }

  links(): Array<{ node: string; path: LinkPath }> {
    return this.sync('links')
  }

  nodes(): string[] {
    return this.sync('nodes')
  }

  claimsOf(id: string): unknown {
    return this.sync('claimsOf', id)
  }

  spawn(behaviour: Behaviour): Pid {
    if (typeof behaviour !== 'object' || behaviour === null) throw new BadArgError('behaviour must be an object')
    const { handleCall, handleCast, terminate } = behaviour
    const handler = (fn: (msg: unknown, ctx: ProcessContext) => unknown): number =>
      this.host.keep(([msg, self, from, fromNode]) => fn.call(behaviour, msg, this.context(self as Pid, from as Pid | undefined, fromNode as string)))
    return this.host.request({
      op: 'spawn',
      node: this.id,
      ...(handleCall ? { call: handler(handleCall) } : {}),
      ...(handleCast ? { cast: handler(handleCast) } : {}),
      ...(terminate ? { terminate: this.host.keep(([reason]) => terminate.call(behaviour, reason as string)) } : {}),
    }) as Pid
  }

  stop(pid: Pid, reason?: string): void {
    this.sync('stop', pid, reason)
  }

  isAlive(pid: Pid): boolean {
    return this.sync('isAlive', pid)
  }

  monitor(pid: Pid, onDown: (reason: string) => void): () => void {
    const fn = this.host.keep(([reason]) => onDown(reason as string))
    this.host.request({ op: 'monitor', node: this.id, pid, fn })
    return () => void this.host.request({ op: 'cancel', fn })
  }

  register(name: string, pid: Pid): void {
    this.sync('register', name, pid)
  }

  unregister(name: string, pid: Pid): void {
    this.sync('unregister', name, pid)
  }

  allPidsOf(name: string): Pid[] {
    return this.sync('allPidsOf', name)
  }

  allNodesOf(name: string): string[] {
    return this.sync('allNodesOf', name)
  }

  pidOf(name: string): Pid | undefined {
    return this.sync('pidOf', name)
  }

  registry(): Array<[string, Pid[]]> {
    return this.sync('registry')
  }

  call<R = unknown>(to: Pid | string, msg: unknown, timeoutMs?: number): Promise<R> {
    return this.host.start({ op: 'start', node: this.id, method: 'call', args: [to, msg, timeoutMs] }) as Promise<R>
  }

  cast(to: Pid | string, msg: unknown): void {
    this.sync('cast', to, msg)
  }

  expose(mod: string, fns: Record<string, RpcFunction>): void {
    if (typeof fns !== 'object' || fns === null) throw new BadArgError('functions must be an object')
    const ids: Record<string, number> = {}
    for (const [name, fn] of Object.entries(fns)) {
      if (typeof fn !== 'function') throw new BadArgError(`${mod}.${name} is not a function`)
      ids[name] = this.host.keep((args, self) => fn.apply({ caller: self?.caller, callerNode: self?.callerNode ?? this.id, fromNode: self?.callerNode ?? this.id, node: this }, args))
    }
    this.host.request({ op: 'expose', node: this.id, mod, fns: ids })
  }

  private rpc<R>(method: 'doNodeRpc' | 'nodeRpc', target: string, mod: string, fn: string, args: unknown[], callback?: RpcCallback<R>, options?: RpcOptions): Promise<R> {
    const kept = callback ? this.host.keep(([result, rpcPid]) => callback(result as R, rpcPid as Pid | undefined)) : undefined
    return this.host.start({
      op: 'start',
      node: this.id,
      method,
      // a function stays here (the host calls it back as `callback`); anything else goes as it is
      args: [target, mod, fn, args, typeof callback === 'function' ? null : (callback ?? null), options],
      ...(kept !== undefined ? { callback: kept } : {}),
    }) as Promise<R>
  }

  doNodeRpc<R = unknown>(node: string, mod: string, fn: string, args: unknown[], callback?: RpcCallback<R>, options?: RpcOptions): Promise<R> {
    return this.rpc('doNodeRpc', node, mod, fn, args, callback, options)
  }

  nodeRpc<R = unknown>(name: string, mod: string, fn: string, args: unknown[], callback?: RpcCallback<R>, options?: RpcOptions): Promise<R> {
    return this.rpc('nodeRpc', name, mod, fn, args, callback, options)
  }

  module(name: string): ModuleHandle {
    return createModuleHandle(this, name)
  }

  on<K extends keyof NodeEvents>(event: K, listener: (...args: NodeEvents[K]) => void): () => void {
    const fn = this.host.keep((args) => listener(...(args as NodeEvents[K])))
    this.host.request({ op: 'on', node: this.id, event, fn })
    return () => void this.host.request({ op: 'cancel', fn })
  }

  watch(name: string, listener: (event: WatchEvent) => void): () => void {
    const fn = this.host.keep(([event]) => listener(event as WatchEvent))
    this.host.request({ op: 'watch', node: this.id, name, fn })
    return () => void this.host.request({ op: 'cancel', fn })
  }

  watchAll(listener: (event: RegistryWatchEvent) => void): () => void {
    const fn = this.host.keep(([event]) => listener(event as RegistryWatchEvent))
    this.host.request({ op: 'watch', node: this.id, fn })
    return () => void this.host.request({ op: 'cancel', fn })
  }

  close(): Promise<void> {
    return this.host.start({ op: 'start', node: this.id, method: 'close', args: [] }) as Promise<void>
  }
}

/**
 * The suite's driver for nodes in `size` host processes. Nodes are placed round-robin, so
 * any `size` nodes created one after another are in different processes; `link` refuses
 * two nodes of one process, so every link the suite makes crosses a process boundary.
 */
export class RemoteCluster implements ClusterDriver {
  private hosts: Host[] = []
  private placed = 0
  private nextLink = 0
  private readonly links = new Map<number, readonly [Host, Host]>()

  constructor(private readonly size: number) {}

  async setup(): Promise<void> {
    const relay = (from: Host, link: number, data: unknown): void => {
      const pair = this.links.get(link)
      const to = pair?.[0] === from ? pair[1] : pair?.[0]
      to?.request({ op: 'signal', link, data })
    }
    this.hosts = await Promise.all(Array.from({ length: this.size }, () => Host.start(relay)))
  }

  async teardown(): Promise<void> {
    await Promise.all(this.hosts.splice(0).map((host) => host.stop()))
  }

  /** The operating-system process ids of the hosts. */
  processIds(): Array<number | undefined> {
    return this.hosts.map((host) => host.pid)
  }

  createNode(id: string): RemoteNode {
    const host = this.hosts[this.placed++ % this.hosts.length]
    if (!host) throw new Error('RemoteCluster.setup() has not run')
    const created = host.request({ op: 'create', id }) as { id: string; incarnation: number }
    return new RemoteNode(created.id, created.incarnation, host)
  }

  async link(a: DistNode, b: DistNode): Promise<void> {
    if (!(a instanceof RemoteNode) || !(b instanceof RemoteNode)) throw new Error('RemoteCluster links only its own nodes')
    if (a.host === b.host) throw new Error(`${a.id} and ${b.id} are in one process; the suite's links must cross processes`)
    // A connect that fails is tried again with fresh peers, as the mesh does: libdatachannel
    // 0.24 now and then fails a DTLS handshake that races the remote description under load
    // (docs/node-webrtc.md).
    for (let attempt = 1; ; attempt++) {
      const link = ++this.nextLink
      this.links.set(link, [a.host, b.host])
      const ops = [
        a.host.start({ op: 'peer', node: a.id, link, initiator: true }),
        b.host.start({ op: 'peer', node: b.id, link, initiator: false }),
      ]
      const failure = await Promise.race([Promise.all(ops).then(() => undefined), ...ops.map((op) => op.then(() => new Promise<never>(() => {}), (error: unknown) => ({ error })))])
      if (failure === undefined) return
      for (const host of [a.host, b.host]) {
        try {
          host.request({ op: 'drop', link })
        } catch {
          // that host is gone; its exit rejects what waits on it
        }
      }
      await Promise.allSettled(ops)
      if (attempt === 3) throw failure.error
    }
  }
}
