/** Starting and driving the benchmark's far ends (bench/peer-child.ts) in child processes. */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type Peer from 'simple-peer'
import { createNodePeer } from '../src/server/index.js'

const script = fileURLToPath(new URL('./peer-child.ts', import.meta.url))

/**
 * The liveness both ends of the bench's bare links use: connect()'s (1 s pings, down after
 * 10 s of silence), not createNode()'s shorter default. The raw baseline's 100,000 tiny
 * sends queue tens of thousands of tasks in node-datachannel's thread pool, which every
 * peer connection of the process shares: the bench's own link then carried nothing for
 * 2.8 s in one run, and its far end, with createNode()'s 2.5 s, closed it as dead.
 */
export const BARE_LINK_LIVENESS = { heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 10_000 } as const

export interface Child {
  readonly process: ChildProcess
  /** Resolves with the text after `ready` on the child's ready line. */
  readonly ready: Promise<string>
  stop(): Promise<void>
}

const running = new Set<ChildProcess>()

/** Kills every child started here that is still running (on the way out of the benchmark). */
export function killBenchChildren(): void {
  for (const child of running) child.kill('SIGKILL')
}

export function startChild(...args: string[]): Child {
  // BENCH_CPU_PROF=1: each far end writes a V8 CPU profile (--cpu-prof) into the working directory.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-interval', '100'] : []
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  running.add(child)
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child)
      resolve()
    }),
  )
  const ready = new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`bench child ${args.join(' ')} did not get ready: ${out}`)), 30_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = /ready(.*)\n/.exec(out)
      if (match) {
        clearTimeout(timer)
        resolve((match[1] ?? '').trim())
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`bench child ${args.join(' ')} exited with ${code}: ${out}`))
    })
  })
  ready.catch(() => {})
  return {
    process: child,
    ready,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      if (child.connected) child.disconnect()
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(timer)
    },
  }
}

/**
 * Two simple-peers here, both connected to one `pair` child (signals over IPC): `raw` to
 * its raw echo, `ours` to its node. A connect that fails (libdatachannel now and then fails
 * a DTLS handshake under load: "Got a remote candidate without ICE transport",
 * docs/node-webrtc.md) is tried again with fresh peers and a fresh child, as the mesh
 * does; `retries` counts those for the report.
 */
export async function peersWithChild(attempts = 3): Promise<{ raw: Peer.Instance; ours: Peer.Instance; child: Child; retries: number }> {
  for (let attempt = 1; ; attempt++) {
    const peers = [0, 1].map(() => createNodePeer({ initiator: true }) as unknown as Peer.Instance)
    const child = startChild('pair')
    peers.forEach((peer, k) => peer.on('signal', (data) => child.process.connected && child.process.send({ type: 'signal', k, data })))
    child.process.on('message', (m: { type?: string; k?: number; data?: unknown }) => {
      if (m.type === 'signal') peers[m.k ?? 0]?.signal(m.data as Peer.SignalData)
    })
    try {
      await Promise.all(peers.map((peer) => new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no connection within 15 s')), 15_000)
        peer.once('connect', () => {
          clearTimeout(timer)
          resolve()
        })
        peer.once('error', (error) => {
          clearTimeout(timer)
          reject(error)
        })
        peer.once('close', () => {
          clearTimeout(timer)
          reject(new Error('closed before it connected'))
        })
        child.ready.catch(reject)
      })))
      await child.ready
      const [raw, ours] = peers as [Peer.Instance, Peer.Instance]
      return { raw, ours, child, retries: attempt - 1 }
    } catch (error) {
      for (const peer of peers) peer.destroy()
      await child.stop()
      if (attempt >= attempts) throw error
      console.warn(`bench: a connect failed (${error instanceof Error ? error.message : String(error)}); trying again with fresh peers`)
    }
  }
}
