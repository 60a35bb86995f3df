/**
 * Nodes living in other processes, driven from the test process as if they were local, so
 * that the multi-node suite (test/cluster-suite.ts) runs unchanged against them.
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
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  BadArgError,
  BadRpcError,
  type Behaviour,
  type Channel,
  DistributedError,
  type DistNode,
  type ErrorCode,
  type ModuleHandle,
  NodeDownError,
  type NodeEvents,
  NoNodeError,
  NoPidError,
  NoProcError,
  type Pid,
  type ProcessContext,
  RemoteError,
  type RpcCallback,
  type RpcFunction,
  type RpcOptions,
  TimeoutError,
} from '../src/core/index.js'
import { createModuleHandle } from '../src/core/module-handle.js'
import type { ClusterDriver } from './cluster-suite.js'
import { failureOf, frame, type HostMessage, type HostRequest, type HostResponse, type StartRequest, type SyncMethod, unframe, type WireFailure } from './suite-host-wire.js'

const hostScript = fileURLToPath(new URL('./fixtures/suite-host.ts', import.meta.url))

/** Rebuilds the library's error classes from what a host reported. */
function rebuild(failure: WireFailure): Error {
  const { message } = failure
  switch (failure.name) {
    case 'TimeoutError':
      return new TimeoutError(message)
    case 'NoProcError':
      return new NoProcError(message)
    case 'NodeDownError':
      return new NodeDownError(failure.node ?? '', message)
    case 'NoNodeError':
      return new NoNodeError(message)
    case 'NoPidError':
      return new NoPidError(message)
    case 'BadArgError':
      return new BadArgError(message)
    case 'BadRpcError':
      return new BadRpcError(failure.reason ?? message, message)
    case 'RemoteError':
      return new RemoteError(failure.remoteName ?? 'Error', message)
  }
  const error = failure.code ? new DistributedError(failure.code as ErrorCode, message) : new Error(message)
  error.name = failure.name
  return error
}

/** A function of the test kept here and run when a host asks. */
type Kept = (args: unknown[], self?: { caller: Pid | undefined; callerNode: string }) => unknown

/** One child process hosting nodes. */
class Host {
  private readonly kept = new Map<number, Kept>()
  private readonly ops = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>()
  private nextId = 0
  private requestFd = -1
  responseFd = -1
  gone: Error | undefined
  private readonly exited: Promise<void>

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly relay: (from: Host, link: number, data: unknown) => void,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.gone = new Error(`node host process ${child.pid} exited (${code ?? signal})`)
        for (const op of this.ops.values()) op.reject(this.gone)
        this.ops.clear()
        resolve()
      }),
    )
  }

  static async start(relay: (from: Host, link: number, data: unknown) => void): Promise<Host> {
    const dir = mkdtempSync(join(tmpdir(), 'distribunator-host-'))
    const requests = join(dir, 'requests')
    const responses = join(dir, 'responses')
    execFileSync('mkfifo', [requests, responses])
    const child = spawn(process.execPath, ['--import', 'tsx', hostScript, requests, responses], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const host = new Host(child, dir, relay)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('node host process did not start in 20 s')), 20_000)
      child.on('message', (raw: { t?: unknown }) => {
        if (raw.t === 'ready') {
          clearTimeout(timer)
          resolve()
        } else if (raw.t === 'poke' && !host.gone && host.responseFd >= 0) {
          try {
            host.request({ op: 'drain' })
          } catch {
            // The host is gone; its exit rejects whatever waits on it.
          }
        }
      })
      void host.exited.then(() => {
        clearTimeout(timer)
        reject(host.gone)
      })
    })
    // The host holds both FIFOs open already, so neither open blocks.
    host.requestFd = openSync(requests, 'w')
    host.responseFd = openSync(responses, 'r')
    return host
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  /** Sends a request and blocks until the host's answer; throws what the host threw. */
  request(body: HostRequest): unknown {
    if (this.gone) throw this.gone
    const out = frame(body)
    for (let at = 0; at < out.length; ) at += writeSync(this.requestFd, out, at)
    const size = this.read(4).readUInt32BE(0)
    const reply = unframe(this.read(size)) as HostResponse
    for (const report of reply.reports) {
      try {
        this.receive(report)
      } catch (error) {
        queueMicrotask(() => {
          throw error // a listener of the test threw: surface it as a local listener's throw would
        })
      }
    }
    if (!reply.ok) throw rebuild(reply.error)
    return reply.value
  }

  /** Starts an operation that the host settles later. */
  start(body: StartRequest): Promise<unknown> {
    const opId = ++this.nextId
    return new Promise((resolve, reject) => {
      this.ops.set(opId, { resolve, reject })
      try {
        this.request({ ...body, opId } as HostRequest)
      } catch (error) {
        this.ops.delete(opId)
        throw error
      }
    })
  }

  keep(fn: Kept): number {
    const id = ++this.nextId
    this.kept.set(id, fn)
    return id
  }

  private read(size: number): Buffer {
    const buffer = Buffer.allocUnsafe(size)
    for (let at = 0; at < size; ) {
      const got = readSync(this.responseFd, buffer, at, size - at, null)
      if (got === 0) throw (this.gone ??= new Error(`node host process ${this.child.pid} closed its responses`))
      at += got
    }
    return buffer
  }

  private receive(message: HostMessage): void {
    switch (message.t) {
      case 'settle': {
        const op = this.ops.get(message.opId)
        this.ops.delete(message.opId)
        if (message.ok) op?.resolve(message.value)
        else op?.reject(rebuild(message.error as WireFailure))
        return
      }
      case 'invoke': {
        const fn = this.kept.get(message.fn)
        const { inv } = message
        Promise.resolve()
          .then(() => {
            if (!fn) throw new Error(`no function ${message.fn}`)
            return fn(message.args, message.self)
          })
          .then(
            (value) => ({ op: 'resolve', inv, ok: true, value }) as const,
            (error: unknown) => ({ op: 'resolve', inv, ok: false, error: failureOf(error) }) as const,
          )
          .then((answer) => {
            if (!this.gone) this.request(answer)
          })
        return
      }
      case 'event':
        this.kept.get(message.fn)?.(message.args)
        return
      case 'signal':
        this.relay(this, message.link, message.data)
        return
    }
  }

  async stop(): Promise<void> {
    if (!this.gone) {
      this.child.disconnect()
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000)
      await this.exited
      clearTimeout(timer)
    }
    for (const fd of [this.requestFd, this.responseFd]) if (fd >= 0) closeSync(fd)
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** A node in a host process, used exactly like a local `DistNode`. */
export class RemoteNode implements DistNode {
  constructor(
    readonly id: string,
    readonly host: Host,
  ) {}

  private sync<T>(method: SyncMethod, ...args: unknown[]): T {
    return this.host.request({ op: 'sync', node: this.id, method, args }) as T
  }

  private context(self: Pid, from: Pid | undefined): ProcessContext {
    return {
      self,
      ...(from ? { from } : {}),
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

  nodes(): string[] {
    return this.sync('nodes')
  }

  spawn(behaviour: Behaviour): Pid {
    if (typeof behaviour !== 'object' || behaviour === null) throw new BadArgError('behaviour must be an object')
    const { handleCall, handleCast, terminate } = behaviour
    const handler = (fn: (msg: unknown, ctx: ProcessContext) => unknown): number =>
      this.host.keep(([msg, self, from]) => fn.call(behaviour, msg, this.context(self as Pid, from as Pid | undefined)))
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
      ids[name] = this.host.keep((args, self) => fn.apply({ caller: self?.caller, callerNode: self?.callerNode ?? this.id, node: this }, args))
    }
    this.host.request({ op: 'expose', node: this.id, mod, fns: ids })
  }

  private rpc<R>(method: 'doNodeRpc' | 'nodeRpc', target: string, mod: string, fn: string, args: unknown[], callback?: RpcCallback<R>, options?: RpcOptions): Promise<R> {
    const kept = callback ? this.host.keep(([result, rpcPid]) => callback(result as R, rpcPid as Pid | undefined)) : undefined
    return this.host.start({
      op: 'start',
      node: this.id,
      method,
      args: [target, mod, fn, args, callback ?? null, options],
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
    return new RemoteNode(host.request({ op: 'create', id }) as string, host)
  }

  async link(a: DistNode, b: DistNode): Promise<void> {
    if (!(a instanceof RemoteNode) || !(b instanceof RemoteNode)) throw new Error('RemoteCluster links only its own nodes')
    if (a.host === b.host) throw new Error(`${a.id} and ${b.id} are in one process; the suite's links must cross processes`)
    const link = ++this.nextLink
    this.links.set(link, [a.host, b.host])
    await Promise.all([
      a.host.start({ op: 'peer', node: a.id, link, initiator: true }),
      b.host.start({ op: 'peer', node: b.id, link, initiator: false }),
    ])
  }
}
