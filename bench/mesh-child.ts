/**
 * One node of a measured full mesh (bench/mesh-formation.ts), in its own process:
 * `node --expose-gc --import tsx bench/mesh-child.ts <hub> <cluster> <id> <peers>`.
 *
 * It loads everything first and reports `loaded` (RSS, threads), then follows commands on
 * stdin, one a line, answering with one JSON line each on stdout:
 *
 * - `go`: joins the cluster; `meshed` with the time until it is linked to `<peers>` nodes;
 * - `start`: opens a measuring window (`started`);
 * - `stop`: closes it; `stats` with the window's length, links, bytes and messages handed
 *   to the data channels, CPU time, RSS after a garbage collection, and threads;
 * - `quit`: closes the node and exits (so does the end of stdin, e.g. when the parent dies).
 *
 * A failed command is reported as `error`.
 */
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { io } from 'socket.io-client'
import { connectWith } from '../src/core/mesh/connect.js'
import { createNodePeer } from '../src/server/node-peer.js'

interface Counters {
  appBytesOut: number
  appMsgsOut: number
}

function threads(): number {
  const match = /^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))
  return Number(match?.[1] ?? 0)
}

function collect(): void {
  const gc: unknown = Reflect.get(globalThis, 'gc')
  if (typeof gc === 'function') Reflect.apply(gc, undefined, [])
}

function byteLength(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data)
  if (data instanceof Uint8Array) return data.byteLength
  return 0
}

function run(hub: string, cluster: string, id: string, peers: number): void {
  const counters: Counters = { appBytesOut: 0, appMsgsOut: 0 }
  const countingPeer: typeof createNodePeer = (options) => {
    const peer = createNodePeer(options)
    const send = peer.send.bind(peer)
    Object.assign(peer, {
      send(data: string | Uint8Array): void {
        counters.appBytesOut += byteLength(data)
        counters.appMsgsOut++
        send(data)
      },
    })
    return peer
  }
  const say = (message: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify({ id, ...message })}\n`)

  collect()
  say({ t: 'loaded', rss: process.memoryUsage().rss, threads: threads() })
  let node: Awaited<ReturnType<typeof connectWith>> | undefined
  let window: { at: number; cpu: NodeJS.CpuUsage; app: Counters } | undefined
  const lines = createInterface({ input: process.stdin })
  lines.on('line', (line) => {
    void (async () => {
      if (line === 'go') {
        const started = performance.now()
        node = await connectWith({ hub, cluster, id, meshTimeoutMs: 60_000, joinTimeoutMs: 60_000 }, { createPeer: countingPeer, io })
        const current = node
        while (current.nodes().length < peers) await new Promise((r) => setTimeout(r, 5))
        say({ t: 'meshed', ms: performance.now() - started })
      } else if (line === 'start') {
        window = { at: performance.now(), cpu: process.cpuUsage(), app: { ...counters } }
        say({ t: 'started' })
      } else if (line === 'stop' && window !== undefined) {
        const seconds = (performance.now() - window.at) / 1000
        const cpu = process.cpuUsage(window.cpu)
        collect()
        say({
          t: 'stats',
          seconds,
          links: node?.nodes().length ?? 0,
          appBytesOut: counters.appBytesOut - window.app.appBytesOut,
          appMsgsOut: counters.appMsgsOut - window.app.appMsgsOut,
          cpuMs: (cpu.user + cpu.system) / 1000,
          rss: process.memoryUsage().rss,
          threads: threads(),
        })
      } else if (line === 'quit') {
        await node?.close()
        process.exit(0)
      }
    })().catch((error: unknown) => {
      say({ t: 'error', message: error instanceof Error ? error.message : String(error) })
    })
  })
  lines.on('close', () => process.exit(0))
}

const [hub, cluster, id, peers] = process.argv.slice(2)
if (!hub || !cluster || !id || !peers) throw new Error('usage: mesh-child.ts <hub> <cluster> <id> <peers>')
run(hub, cluster, id, Number(peers))
