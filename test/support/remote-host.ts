/**
 * One child process hosting nodes for test/support/remote-nodes.ts (which explains the whole
 * picture): starting it, its blocking request/response FIFOs, and the reports it sends.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  BadArgError,
  BadRpcError,
  DistributedError,
  type ErrorCode,
  NodeDownError,
  NoNodeError,
  NoPidError,
  NoProcError,
  type Pid,
  RemoteError,
  TimeoutError,
} from '../../src/core/index.js'
import { failureOf, frame, type HostMessage, type HostRequest, type HostResponse, type StartRequest, unframe, type WireFailure } from './suite-host-wire.js'

const hostScript = fileURLToPath(new URL('../fixtures/suite-host.ts', import.meta.url))

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
export class Host {
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
