/**
 * Node↔Node connect stress: many WebRTC connects through `createNodePeer` (simple-peer on
 * node-datachannel), a few at a time, while child processes burn CPU, counting failed
 * connects, stalls (a connect slower than `stallMs`) and the connect time distribution.
 *
 * - in one process: both peers here, signals handed over directly;
 * - across two processes: the far peers live in a child (this file with `--child`),
 *   signals go over IPC, and the child offers for every other connect.
 *
 * A connect is the time from creating both peers to both reporting `connect`. It fails
 * when either peer reports `error` or `close` first, or nothing happens within
 * `timeoutMs`. Unhandled rejections and uncaught exceptions seen meanwhile are counted.
 *
 * Run: node --import tsx bench/connect-stress.ts [--connects N] [--concurrency N]
 *      [--burners N] [--only in-process|cross-process] [--remote node|browser] [--debug-log]
 * (--remote: `createNodePeer`'s `remote` option, which only offerers act on; not given:
 * the ordering for an unknown remote.)
 * (--debug-log prints libdatachannel's Debug log lines of each failed connect; use it
 * with --concurrency 1, since lines of connects in flight together interleave.)
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { initLogger } from 'node-datachannel'
import type { PeerLike } from '../src/core/webrtc/simple-peer.js'
import { cleanupNodeWebRtc, createNodePeer } from '../src/server/node-peer.js'
import type { RemoteKind } from '../src/core/webrtc/simple-peer.js'

export interface ConnectStressOptions {
  /** Connects in all (default 400). */
  readonly connects?: number
  /** Connects in flight at once (default 4). */
  readonly concurrency?: number
  /** CPU-burning child processes running meanwhile (default 2). */
  readonly burners?: number
  /** The far peers in a child process, signals over IPC (default false: one process). */
  readonly crossProcess?: boolean
  /** `createNodePeer`'s `remote` option for every peer (default: not given). */
  readonly remote?: RemoteKind
  /** A connect slower than this is a stall (default 500 ms). */
  readonly stallMs?: number
  /** A connect with no outcome after this fails (default 15 s). */
  readonly timeoutMs?: number
  /** Keeps libdatachannel's Debug log of each failed connect (in one process only). */
  readonly debugLog?: boolean
  /** Once aborted, no further connect starts; those under way finish (within `timeoutMs`). */
  readonly signal?: AbortSignal
  readonly log?: (line: string) => void
}

export interface ConnectStressResult {
  /** Connects made: all asked for, unless `signal` stopped the run early. */
  readonly connects: number
  readonly failures: number
  readonly stalls: number
  /** Connect time percentiles over the connects that succeeded, ms. */
  readonly p50: number
  readonly p99: number
  readonly max: number
  /** Connects that took a second or more: what libdatachannel's DTLS stall costs. */
  readonly overOneSecond: number
  /** One line per failure: which side reported what, after how long. */
  readonly errors: readonly string[]
  /** Unhandled rejections and uncaught exceptions seen during the run (both processes). */
  readonly unhandled: number
}

const BURNER = `
const end = Date.now() + Number(process.argv[1]);
process.on('disconnect', () => process.exit(0));
(function spin() {
  const slice = Date.now() + 20;
  while (Date.now() < slice) {}
  if (Date.now() < end) setImmediate(spin); else process.exit(0);
})();`

/** Burners and far-peer children started here and still running. */
const running = new Set<ChildProcess>()

function track(child: ChildProcess): ChildProcess {
  running.add(child)
  child.once('exit', () => running.delete(child))
  return child
}

/** Kills every burner and child started here that is still running (on the way out of the benchmark). */
export function killConnectStressChildren(): void {
  for (const child of running) child.kill('SIGKILL')
}

/**
 * Starts `count` processes that keep a core busy until `ms` have passed or this process
 * goes away (their IPC channel closes), whichever comes first. Returns a function that
 * stops them.
 */
export function burnCpu(count: number, ms: number): () => void {
  const burners: ChildProcess[] = []
  for (let i = 0; i < count; i++) {
    burners.push(track(spawn(process.execPath, ['-e', BURNER, String(ms)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })))
  }
  return () => {
    for (const burner of burners) if (burner.exitCode === null && burner.signalCode === null) burner.kill()
  }
}

/** The far side of one connect: a peer here, or one in the child process. */
interface FarSide {
  signal(data: unknown): void
  destroy(): void
}

interface Outcome {
  readonly ms: number
  readonly error?: string
}

interface Watcher {
  connected(side: string): void
  failed(side: string, why: string): void
}

function watch(peer: PeerLike, side: string, watcher: Watcher): void {
  peer.on('connect', () => watcher.connected(side))
  peer.on('error', (error) => watcher.failed(side, `error: ${error.message}`))
  peer.on('close', () => watcher.failed(side, 'closed'))
}

/** One connect between `near` and a far side, with its outcome once both connected or one failed. */
function oneConnect(timeoutMs: number, makeFar: MakeFar, nearInitiates: boolean, remote: RemoteKind | undefined): Promise<Outcome> {
  const started = performance.now()
  return new Promise<Outcome>((resolve) => {
    let done = false
    const up = new Set<string>()
    const finish = (error?: string): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      near.destroy()
      far.destroy()
      resolve({ ms: performance.now() - started, ...(error === undefined ? {} : { error }) })
    }
    const watcher: Watcher = {
      connected: (side) => {
        up.add(side)
        if (up.size === 2) finish()
      },
      failed: (side, why) => finish(`${side} ${why}`),
    }
    const timer = setTimeout(() => finish(`no connect within ${timeoutMs} ms`), timeoutMs)
    const near = createNodePeer({ initiator: nearInitiates, ...(remote === undefined ? {} : { remote }) })
    const far = makeFar(watcher, near, remote)
    watch(near, nearInitiates ? 'offerer' : 'answerer', watcher)
    near.on('signal', (data) => far.signal(data))
  })
}

type MakeFar = (watcher: Watcher, near: PeerLike, remote: RemoteKind | undefined) => FarSide

function inProcessFar(watcher: Watcher, near: PeerLike, remote: RemoteKind | undefined): FarSide {
  const peer = createNodePeer({ initiator: false, ...(remote === undefined ? {} : { remote }) })
  watch(peer, 'answerer', watcher)
  peer.on('signal', (data) => near.signal(data))
  return { signal: (data) => peer.signal(data), destroy: () => peer.destroy() }
}

/** Messages between this process and the child, both ways. */
interface Wire {
  readonly type: 'ready' | 'open' | 'signal' | 'destroy' | 'connect' | 'failed' | 'unhandled'
  readonly id: number
  readonly initiator?: boolean
  readonly remote?: RemoteKind
  readonly data?: unknown
  readonly why?: string
}

function isWire(message: unknown): message is Wire {
  return typeof message === 'object' && message !== null && 'type' in message && 'id' in message && typeof message.id === 'number'
}

class ChildFars {
  readonly process: ChildProcess
  /** Resolves once the child listens (its start-up is not part of any connect). */
  readonly ready: Promise<void>
  readonly #watchers = new Map<number, { watcher: Watcher; near: PeerLike; side: string }>()
  #next = 0
  unhandled = 0

  constructor() {
    const script = fileURLToPath(import.meta.url)
    this.process = track(spawn(process.execPath, ['--import', 'tsx', script, '--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('connect-stress child not ready within 30 s')), 30_000)
      this.process.once('exit', (code) => reject(new Error(`connect-stress child exited with ${String(code)}`)))
      this.process.on('message', (message: unknown) => {
        if (!isWire(message) || message.type !== 'ready') return
        clearTimeout(timer)
        resolve()
      })
    })
    this.ready.catch(() => undefined)
    this.process.on('message', (message: unknown) => {
      if (!isWire(message)) return
      if (message.type === 'unhandled') {
        this.unhandled++
        return
      }
      const entry = this.#watchers.get(message.id)
      if (entry === undefined) return
      if (message.type === 'signal') entry.near.signal(message.data)
      else if (message.type === 'connect') entry.watcher.connected(entry.side)
      else if (message.type === 'failed') entry.watcher.failed(entry.side, message.why ?? '')
    })
  }

  far(initiator: boolean): MakeFar {
    return (watcher, near, remote) => {
      const id = this.#next++
      this.#watchers.set(id, { watcher, near, side: initiator ? 'offerer (child)' : 'answerer (child)' })
      this.#send({ type: 'open', id, initiator, ...(remote === undefined ? {} : { remote }) })
      return {
        signal: (data) => this.#send({ type: 'signal', id, data }),
        destroy: () => {
          this.#watchers.delete(id)
          this.#send({ type: 'destroy', id })
        },
      }
    }
  }

  #send(message: Wire): void {
    if (this.process.connected) this.process.send(message)
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()))
    this.process.disconnect()
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
}

/** The child process: makes the far peers the parent asks for and reports on them. */
function runChild(): void {
  const send = (message: Wire): void => {
    if (process.connected) process.send?.(message)
  }
  const peers = new Map<number, PeerLike>()
  process.on('unhandledRejection', (reason) => send({ type: 'unhandled', id: -1, why: String(reason) }))
  process.on('uncaughtException', (error) => send({ type: 'unhandled', id: -1, why: error.message }))
  process.on('message', (message: unknown) => {
    if (!isWire(message)) return
    const { id } = message
    if (message.type === 'open') {
      const { remote } = message
      const peer = createNodePeer({ initiator: message.initiator === true, ...(remote === 'node' || remote === 'browser' ? { remote } : {}) })
      peers.set(id, peer)
      peer.on('signal', (data) => send({ type: 'signal', id, data }))
      peer.on('connect', () => send({ type: 'connect', id }))
      peer.on('error', (error) => send({ type: 'failed', id, why: `error: ${error.message}` }))
      peer.on('close', () => {
        peers.delete(id)
        send({ type: 'failed', id, why: 'closed' })
      })
    } else if (message.type === 'signal') {
      peers.get(id)?.signal(message.data)
    } else if (message.type === 'destroy') {
      peers.get(id)?.destroy()
    }
  })
  process.on('disconnect', () => {
    for (const peer of peers.values()) peer.destroy()
  })
  send({ type: 'ready', id: -1 })
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
}

/** Runs the stress and returns its counts; see the file comment. */
export async function runConnectStress(options: ConnectStressOptions = {}): Promise<ConnectStressResult> {
  const { connects = 400, concurrency = 4, burners = 2, crossProcess = false, remote, stallMs = 500, timeoutMs = 15_000, log } = options
  let unhandled = 0
  const onUnhandled = (reason: unknown): void => {
    unhandled++
    log?.(`unhandled: ${reason instanceof Error ? reason.message : String(reason)}`)
  }
  process.on('unhandledRejection', onUnhandled)
  process.on('uncaughtException', onUnhandled)
  let debugLines: string[] = []
  if (options.debugLog === true) initLogger('Debug', (level, message) => void debugLines.push(`${level} ${message}`))

  // bounded: the burners end by themselves after this even if nobody stops them
  const stopBurning = burnCpu(burners, Math.max(60_000, connects * 300))
  const child = crossProcess ? new ChildFars() : undefined
  const times: number[] = []
  const errors: string[] = []
  let started = 0
  try {
    await child?.ready
    const worker = async (): Promise<void> => {
      while (started < connects && options.signal?.aborted !== true) {
        const index = started++
        // across processes the child offers for every other connect
        const nearInitiates = child === undefined || index % 2 === 0
        const makeFar = child === undefined ? inProcessFar : child.far(!nearInitiates)
        debugLines = []
        const outcome = await oneConnect(timeoutMs, makeFar, nearInitiates, remote)
        if (outcome.error === undefined) {
          times.push(outcome.ms)
          continue
        }
        const line = `connect ${index}: ${outcome.error} after ${outcome.ms.toFixed(0)} ms`
        errors.push(line)
        log?.(line)
        if (options.debugLog === true) {
          // log lines come over from libdatachannel's threads a little later
          await new Promise((resolve) => setTimeout(resolve, 300))
          for (const debug of debugLines) log?.(`  ${debug}`)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker))
    // let peers destroyed last report anything still to come before counting
    await new Promise((resolve) => setTimeout(resolve, 200))
  } finally {
    stopBurning()
    await child?.stop()
    process.off('unhandledRejection', onUnhandled)
    process.off('uncaughtException', onUnhandled)
    if (options.debugLog === true) initLogger('Error', () => undefined)
  }
  times.sort((a, b) => a - b)
  return {
    connects: started,
    failures: errors.length,
    stalls: times.filter((ms) => ms > stallMs).length,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    max: times[times.length - 1] ?? Number.NaN,
    overOneSecond: times.filter((ms) => ms >= 1000).length,
    errors,
    unhandled: unhandled + (child?.unhandled ?? 0),
  }
}

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(name)
  const value = at === -1 ? Number.NaN : Number(process.argv[at + 1])
  return Number.isFinite(value) ? value : fallback
}

function report(label: string, r: ConnectStressResult): string {
  return `${label}: ${r.connects} connects, ${r.failures} failed, ${r.stalls} stalls (${r.overOneSecond} of 1 s or more), p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(0)} ms, unhandled ${r.unhandled}`
}

async function main(): Promise<void> {
  const connects = argument('--connects', 400)
  const concurrency = argument('--concurrency', 4)
  const burners = argument('--burners', 2)
  const onlyAt = process.argv.indexOf('--only')
  const only = onlyAt === -1 ? undefined : process.argv[onlyAt + 1]
  const debugLog = process.argv.includes('--debug-log')
  const remoteAt = process.argv.indexOf('--remote')
  const remoteArg = remoteAt === -1 ? undefined : process.argv[remoteAt + 1]
  const remote = remoteArg === 'node' || remoteArg === 'browser' ? remoteArg : undefined
  const log = (line: string): void => console.log(line)
  console.log(`${connects} connects each way, ${concurrency} at a time, ${burners} CPU burners, remote ${remote ?? 'not given'}`)
  let failed = false
  for (const crossProcess of [false, true]) {
    const label = crossProcess ? 'cross-process' : 'in-process'
    if (only !== undefined && only !== label) continue
    const result = await runConnectStress({ connects, concurrency, burners, crossProcess, debugLog, log, ...(remote === undefined ? {} : { remote }) })
    console.log(report(label, result))
    if (result.failures > 0 || result.unhandled > 0) failed = true
  }
  // Every peer is closed by now; node-datachannel's cleanup() lets the process end even
  // if one of its native handles outlived its peer connection (seen now and then after
  // thousands of connects).
  await cleanupNodeWebRtc()
  process.exitCode = failed ? 1 : 0
}

if (process.argv.includes('--child')) runChild()
else if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
