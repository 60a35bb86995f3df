/**
 * Items 9 and 11: the relay path, and clusters bigger than a full mesh.
 *
 * 9. Through one hub in this process: a call round trip over the relay (a pair with
 *    `maxDirectLinks: 0`) against the same call over a direct link, and against a plain
 *    socket.io emit-with-ack relayed by the same hub's server to the same far process
 *    (a namespace of the hub's own Socket.IO server), interleaved sample by sample. Then
 *    the time from calling `connect()` until a newcomer has an answer from each of 5
 *    members (in child processes): relay first (the default) against `relay: false`
 *    (WebRTC first, as a plain WebRTC mesh would).
 * 11. N Node nodes, 15 per process, with a budget of 4 direct links each: the time from the
 *    first `connect()` (every process loaded first; the processes connect at the same time,
 *    each its nodes one after another) until every registry holds all N, and the memory
 *    per node.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { spawn, type ChildProcess } from 'node:child_process'
import { io as ioClient } from 'socket.io-client'
import { connect, createHub, type DistNode, type Hub } from '../src/server/index.js'
import { type Child, startChild } from './children.js'
import { type Figure, median, Rounds } from './stats.js'
import { LOOPBACK_BUDGET } from '../test/support/loopback-budget.js'

const SMALL = { op: 'echo', text: 'a small request of about fifty bytes' }

/** A namespace of the hub's own server that forwards `call` to the other client and back. */
/** The password of the sealed pair. */
const BENCH_PASSWORD = 'bench-password'

function echoNamespace(hub: Hub): void {
  const ns = hub.io.of('/bench-echo')
  ns.on('connection', (socket) => {
    socket.on('call', async (payload: unknown, ack: (reply: unknown) => void) => {
      const other = [...ns.sockets.values()].find((s) => s.id !== socket.id)
      if (other) ack(await other.emitWithAck('req', payload))
    })
  })
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export async function runRelayBench(options: { rounds: number; samples: number }, log: (line: string) => void): Promise<Figure[]> {
  const hub = await createHub({ port: 0, ...LOOPBACK_BUDGET, logger: { info() {}, warn() {}, error: console.error } })
  echoNamespace(hub)
  const children: Child[] = [
    startChild('relay-client', `${hub.url}/bench-echo`),
    startChild('mesh', hub.url, 'relayed', 'far', '0'),
    startChild('mesh', hub.url, 'sealed', 'far', '0', BENCH_PASSWORD),
    startChild('mesh', hub.url, 'direct', 'far'),
    ...[1, 2, 3, 4, 5].map((i) => startChild('mesh', hub.url, 'five', `m${i}`)),
  ]
  const nodes: DistNode[] = []
  try {
    await Promise.all(children.map((c) => c.ready))
    const socket = ioClient(`${hub.url}/bench-echo`, { transports: ['websocket'] })
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()))
    const relayed = await connect({ hub: hub.url, cluster: 'relayed', id: 'near', maxDirectLinks: 0 })
    const sealed = await connect({ hub: hub.url, cluster: 'sealed', id: 'near', maxDirectLinks: 0, password: BENCH_PASSWORD })
    const direct = await connect({ hub: hub.url, cluster: 'direct', id: 'near' })
    nodes.push(relayed, sealed, direct)
    await waitFor(() => direct.links()[0]?.path === 'direct' && relayed.allPidsOf('echo:far').length === 1 && sealed.allPidsOf('echo:far').length === 1, 15_000, 'the pairs linked')
    const acc = new Rounds()
    for (let i = 0; i < 300; i++) {
      await relayed.call('echo:far', SMALL)
      await sealed.call('echo:far', SMALL)
      await direct.call('echo:far', SMALL)
      await socket.emitWithAck('call', SMALL)
    }
    for (let round = 1; round <= options.rounds; round++) {
      const times = { relay: [] as number[], sealed: [] as number[], direct: [] as number[], socketio: [] as number[] }
      for (let i = 0; i < options.samples; i++) {
        let t = performance.now()
        await relayed.call('echo:far', SMALL)
        times.relay.push(performance.now() - t)
        t = performance.now()
        await sealed.call('echo:far', SMALL)
        times.sealed.push(performance.now() - t)
        t = performance.now()
        await direct.call('echo:far', SMALL)
        times.direct.push(performance.now() - t)
        t = performance.now()
        await socket.emitWithAck('call', SMALL)
        times.socketio.push(performance.now() - t)
      }
      const [relay, dir, sio] = [median(times.relay), median(times.direct), median(times.socketio)]
      acc.push('relay', relay)
      acc.push('direct', dir)
      acc.push('socketio', sio)
      acc.push('relay/socketio', relay / sio)
      acc.push('relay/direct', relay / dir)
      acc.push('sealed', median(times.sealed))
      acc.push('sealed/relay', median(times.sealed) / relay)
      // a newcomer, relay first and then WebRTC only, each until all 5 members answered
      const newcomer: Record<string, number> = {}
      for (const relay of [true, false]) {
        const t = performance.now()
        const late = await connect({ hub: hub.url, cluster: 'five', id: `late-${round}-${relay ? 'r' : 'd'}`, relay })
        await Promise.all([1, 2, 3, 4, 5].map((i) => late.call(`echo:m${i}`, SMALL, 30_000)))
        newcomer[relay ? 'relay' : 'direct'] = performance.now() - t
        await late.close()
      }
      acc.push('newcomer.relay', newcomer.relay as number)
      acc.push('newcomer.direct', newcomer.direct as number)
      acc.push('newcomer.ratio', (newcomer.relay as number) / (newcomer.direct as number))
      log(`9. round ${round}/${options.rounds}: relay ${relay.toFixed(3)} ms, direct ${dir.toFixed(3)} ms, socket.io through the hub ${sio.toFixed(3)} ms`)
    }
    socket.close()
    const f = (name: string, unit: string, key: string, extra: Partial<Figure> = {}): Figure => acc.figure(name, unit, key, extra)
    return [
      f('9. call RTT p50 over the relay', 'ms', 'relay'),
      f('9. call RTT p50 over a direct link', 'ms', 'direct'),
      f('9. socket.io emit-with-ack relayed by the same hub, RTT p50', 'ms', 'socketio'),
      f('9. relay / socket.io through the same hub', '×', 'relay/socketio', { target: '<= 1' }),
      f('9. relay / direct', '×', 'relay/direct'),
      f('9. call RTT p50 over the relay with a password (sealed end to end)', 'ms', 'sealed'),
      f('9. relay with a password / without', '×', 'sealed/relay', { target: '<= 1.15' }),
      f('9. newcomer answered by 5 members, relay first', 'ms', 'newcomer.relay'),
      f('9. newcomer answered by 5 members, WebRTC only (relay: false)', 'ms', 'newcomer.direct'),
      f('9. newcomer time, relay first / WebRTC only', '×', 'newcomer.ratio', { target: '<= 0.5' }),
    ]
  } finally {
    await Promise.all(nodes.map((n) => n.close()))
    await Promise.all(children.map((c) => c.stop()))
    await hub.close()
  }
}

const manyNodes = fileURLToPath(new URL('../test/fixtures/many-nodes.ts', import.meta.url))
const hosts = new Set<ChildProcess>()

/** Kills the item-11 hosts still running (on the way out of the benchmark). */
export function killScaleChildren(): void {
  for (const child of hosts) child.kill('SIGKILL')
}

type Stats = Array<{ all: number; links: number }>

function rssMiB(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return kib / 1024
}

/** Item 11: `size` nodes, 15 per process, budget 4: converge time and memory per node. */
export async function runScaleBench(sizes: readonly number[], log: (line: string) => void): Promise<Figure[]> {
  const figures: Figure[] = []
  for (const size of sizes) {
    const hub = await createHub({ port: 0, ...LOOPBACK_BUDGET, logger: { info() {}, warn() {}, error: console.error } })
    const spawned = performance.now()
    const counts = Array.from({ length: Math.ceil(size / 15) }, (_, i) => Math.min(15, size - i * 15))
    const children = counts.map((count, i) => {
      const child = spawn(process.execPath, ['--import', 'tsx', manyNodes, hub.url, 'big', `n${i}-`, String(count), '4', 'go'], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
      hosts.add(child)
      child.once('exit', () => hosts.delete(child))
      return child
    })
    try {
      await Promise.all(children.map((child, i) => new Promise<void>((resolve, reject) => {
        let out = ''
        child.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString()
          if (out.includes(`loaded n${i}-`)) resolve()
        })
        child.once('exit', (code) => reject(new Error(`a host exited with ${String(code)}`)))
      })))
      // the clock starts when every process is loaded and all its nodes call connect() at once:
      // loading the library through tsx in 8 processes on 2 cores is not the library's time
      const loaded = performance.now()
      const started = loaded
      for (const child of children) child.send({ cmd: 'go' })
      const ask = (child: ChildProcess): Promise<Stats> =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('a host did not answer for its stats in 30 s')), 30_000)
          child.once('message', (answer) => {
            clearTimeout(timer)
            resolve((answer as { stats: Stats }).stats)
          })
          child.send({ cmd: 'stats' })
        })
      for (;;) {
        const stats = (await Promise.all(children.map(ask))).flat()
        if (stats.length === size && stats.every((s) => s.all === size && s.links === size - 1)) break
        if (performance.now() - started > 180_000) throw new Error(`${size} nodes did not converge in 180 s`)
        await new Promise((r) => setTimeout(r, 100))
      }
      const converged = performance.now() - started
      const perNode = children.reduce((sum, child) => sum + rssMiB(child.pid), 0) / size
      log(`11. ${size} nodes, budget 4: every registry at ${size} ${(converged / 1000).toFixed(1)} s after connect() (processes loaded in ${((loaded - spawned) / 1000).toFixed(1)} s), ${perNode.toFixed(1)} MiB per node`)
      figures.push(
        { name: `11. ${size} nodes (15 per process), budget 4: joined and converged after connect()`, unit: 's', rounds: [converged / 1000] },
        { name: `11. ${size} nodes (15 per process), budget 4: RSS per node`, unit: 'MiB', rounds: [perNode] },
      )
    } finally {
      for (const child of children) if (child.connected) child.disconnect()
      await Promise.all(children.map((child) => new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
        child.once('exit', () => {
          clearTimeout(timer)
          resolve()
        })
      })))
      await hub.close()
    }
  }
  return figures
}
