/**
 * Measuring a full mesh of Node nodes: one hub in this process, each node in its own child
 * process (bench/mesh-child.ts; one node per process, as in a deployment: a worker or a
 * tab holds one node, so RSS per process is RSS per node, and libdatachannel's threads and
 * sockets are per process). The children load everything first (baseline RSS), then
 *
 * 1. formation: N nodes join at once; time until every one is linked to the N − 1 others;
 * 2. idle: after a settle pause, a window with no traffic but heartbeats: bytes per link
 *    per second, counted at two levels: frames the library hands to the data channel, and
 *    (when a quiet window is asked for) IP bytes and packets on the loopback interface
 *    (every link runs over it; the quiet window before the mesh is subtracted), plus CPU
 *    and RSS per process;
 * 3. late join (optional): node N + 1 joins the formed mesh; time until it is linked to all N.
 *
 * Used by bench/mesh-capacity.ts (large meshes, all of the above) and by `npm run bench`
 * (item 6: formation time and memory of small meshes).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createHub } from '../src/server/hub/hub.js'
import { type Figure, Rounds } from './stats.js'
import { LOOPBACK_BUDGET } from '../test/support/loopback-budget.js'

const childScript = fileURLToPath(new URL('./mesh-child.ts', import.meta.url))

type Message = Record<string, unknown> & { id: string; t: string }

class Child {
  readonly messages: Message[] = []
  private waiters: Array<() => void> = []
  constructor(
    readonly id: string,
    readonly process: ChildProcess,
  ) {
    createInterface({ input: process.stdout! }).on('line', (line) => {
      let parsed: unknown
      try {
        parsed = JSON.parse(line)
      } catch {
        return
      }
      if (typeof parsed !== 'object' || parsed === null) return
      const t: unknown = Reflect.get(parsed, 't')
      if (typeof t !== 'string') return
      this.messages.push({ ...Object.fromEntries(Object.entries(parsed)), id: this.id, t })
      for (const wake of this.waiters.splice(0)) wake()
    })
    process.once('exit', () => {
      for (const wake of this.waiters.splice(0)) wake()
    })
  }

  send(command: string): void {
    if (this.process.stdin?.writable) this.process.stdin.write(`${command}\n`)
  }

  /** The first message of kind `t` (after `from` messages), within `ms`. */
  async next(t: string, ms: number, from = 0): Promise<Message> {
    const deadline = Date.now() + ms
    for (;;) {
      const error = this.messages.find((m, i) => i >= from && m.t === 'error')
      if (error !== undefined) throw new Error(`${this.id}: ${String(error.message)}`)
      const found = this.messages.find((m, i) => i >= from && m.t === t)
      if (found !== undefined) return found
      if (this.process.exitCode !== null || this.process.signalCode !== null) throw new Error(`${this.id} exited before '${t}'`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`${this.id}: no '${t}' within ${ms} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }
}

const running = new Set<ChildProcess>()

function startChild(hub: string, cluster: string, id: string, peers: number): Child {
  const proc = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', childScript, hub, cluster, id, String(peers)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  running.add(proc)
  proc.once('exit', () => running.delete(proc))
  // a child that exits early closes its stdin; writing to it then must not crash this process
  proc.stdin?.on('error', () => {})
  return new Child(id, proc)
}

/** Kills every mesh child still running (on the way out, or when a deadline passed). */
export function killMeshChildren(): void {
  for (const proc of running) proc.kill('SIGKILL')
}

/** Bytes and packets sent over the loopback interface so far (every link here runs over it). */
function loopback(): { bytes: number; packets: number } {
  const line = readFileSync('/proc/net/dev', 'utf8')
    .split('\n')
    .find((l) => l.trim().startsWith('lo:'))
  const fields = (line ?? '').trim().split(/\s+/)
  return { bytes: Number(fields[9] ?? 0), packets: Number(fields[10] ?? 0) }
}

/**
 * Loopback traffic per second over `ms`: the median of 250 ms samples, so that a burst from
 * anything else on the machine does not count.
 */
async function loopbackRate(ms: number): Promise<{ bytes: number; packets: number }> {
  const bytes: number[] = []
  const packets: number[] = []
  let last = loopback()
  let at = performance.now()
  for (let elapsed = 0; elapsed < ms; elapsed += 250) {
    await new Promise((r) => setTimeout(r, 250))
    const now = loopback()
    const t = performance.now()
    bytes.push(((now.bytes - last.bytes) * 1000) / (t - at))
    packets.push(((now.packets - last.packets) * 1000) / (t - at))
    last = now
    at = t
  }
  return { bytes: median(bytes), packets: median(packets) }
}

const num = (m: Message, key: string): number => Number(m[key] ?? 0)
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0)
const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : sum(xs) / xs.length)
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? 0 : (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2
}
export const MiB = 1024 * 1024

export interface MeshOptions {
  /** Length of the idle window after formation (ms). */
  readonly idleMs: number
  /** Pause between formation and the idle window: registry sync and handshakes settle (ms). */
  readonly settleMs: number
  /**
   * Loopback traffic measured for this long before the mesh and subtracted from the idle
   * window's (ms). 0 skips the loopback counts: `wireBps` and `wirePps` are then NaN.
   */
  readonly quietMs: number
  /** Whether node N + 1 joins the formed mesh afterwards (`lateMs`; NaN when not). */
  readonly lateJoin: boolean
}

export interface MeshRow {
  n: number
  /** Spawning the children until all have loaded their modules. */
  loadMs: number
  /** `go` sent to all N until the last one is linked to the N − 1 others, seen from here. */
  formMs: number
  /** The median over nodes of each node's own join-to-linked time. */
  formMedianMs: number
  lateMs: number
  signals: number
  hubCpuMs: number
  /** Mean RSS per node with modules loaded, before joining (bytes). */
  baseRss: number
  /** Mean RSS per node at the end of the idle window, after a garbage collection (bytes). */
  rss: number
  /** (rss − baseRss) / (N − 1): what each of a node's links costs it, fixed costs included. */
  perLinkRss: number
  threads: number
  appBps: number
  wireBps: number
  wirePps: number
  appMsgsPerSec: number
  cpuPct: number
  failed?: string
}

/** Forms a full mesh of `n` Node nodes through a fresh hub and measures it (see the top of this file). */
export async function measureMesh(n: number, options: MeshOptions): Promise<MeshRow> {
  const { idleMs, settleMs, quietMs, lateJoin } = options
  const hub = await createHub({ port: 0, ...LOOPBACK_BUDGET, logger: { info: () => {}, warn: () => {}, error: (m) => console.error(`hub: ${m}`) } })
  let signals = 0
  hub.io.on('connection', (socket) => socket.onAny((event: unknown) => void (event === 'signal' && signals++)))
  const cluster = `bench-${n}`
  const row: MeshRow = { n, loadMs: 0, formMs: 0, formMedianMs: 0, lateMs: Number.NaN, signals: 0, hubCpuMs: 0, baseRss: 0, rss: 0, perLinkRss: 0, threads: 0, appBps: 0, wireBps: Number.NaN, wirePps: Number.NaN, appMsgsPerSec: 0, cpuPct: 0 }
  const children: Child[] = []
  try {
    const started = Date.now()
    const count = lateJoin ? n + 1 : n
    for (let i = 0; i < count; i++) children.push(startChild(hub.url, cluster, `n${String(i).padStart(2, '0')}`, i < n ? n - 1 : n))
    const loaded = await Promise.all(children.map((c) => c.next('loaded', 120_000)))
    row.loadMs = Date.now() - started
    const members = children.slice(0, n)
    row.baseRss = mean(loaded.slice(0, n).map((m) => num(m, 'rss')))
    const quiet = quietMs > 0 ? await loopbackRate(quietMs) : undefined // what the machine sends over loopback without the mesh

    const go = performance.now()
    const hubCpu = process.cpuUsage() // this process is the hub (and reads the children's reports)
    for (const c of members) c.send('go')
    const meshed = await Promise.all(members.map((c) => c.next('meshed', 90_000)))
    row.formMs = performance.now() - go
    const used = process.cpuUsage(hubCpu)
    row.hubCpuMs = (used.user + used.system) / 1000
    row.formMedianMs = median(meshed.map((m) => num(m, 'ms')))
    row.signals = signals

    await new Promise((r) => setTimeout(r, settleMs))
    const marks = members.map((c) => c.messages.length)
    for (const c of members) c.send('start')
    await Promise.all(members.map((c, i) => c.next('started', 10_000, marks[i])))
    const busy = quiet !== undefined ? await loopbackRate(idleMs) : await new Promise<undefined>((r) => setTimeout(() => r(undefined), idleMs))
    for (const c of members) c.send('stop')
    const stats = await Promise.all(members.map((c, i) => c.next('stats', 10_000, marks[i])))
    const seconds = mean(stats.map((s) => num(s, 'seconds')))
    const directedLinks = sum(stats.map((s) => num(s, 'links')))
    const links = directedLinks / 2
    row.rss = mean(stats.map((s) => num(s, 'rss')))
    row.perLinkRss = (row.rss - row.baseRss) / (n - 1)
    row.threads = mean(stats.map((s) => num(s, 'threads')))
    // per link = both directions; each byte is counted once, by its sender
    row.appBps = sum(stats.map((s) => num(s, 'appBytesOut'))) / links / seconds
    if (quiet !== undefined && busy !== undefined) {
      row.wireBps = Math.max(0, busy.bytes - quiet.bytes) / links
      row.wirePps = Math.max(0, busy.packets - quiet.packets) / links
    }
    row.appMsgsPerSec = sum(stats.map((s) => num(s, 'appMsgsOut'))) / links / seconds
    row.cpuPct = (mean(stats.map((s) => num(s, 'cpuMs'))) / (seconds * 1000)) * 100

    const late = children[n]
    if (late !== undefined) {
      late.send('go')
      row.lateMs = num(await late.next('meshed', 60_000), 'ms')
    }
  } catch (error) {
    row.failed = error instanceof Error ? error.message : String(error)
  } finally {
    for (const c of children) c.send('quit')
    const exits = children.map((c) => new Promise((resolve) => (c.process.exitCode !== null || c.process.signalCode !== null ? resolve(null) : c.process.once('exit', resolve))))
    const force = setTimeout(killMeshChildren, 5000) // a child that does not quit in time
    await Promise.all(exits)
    clearTimeout(force)
    await hub.close()
  }
  return row
}

export interface MeshBenchOptions {
  readonly rounds: number
  /** Mesh sizes, smallest first; the memory-per-added-link slope runs from the first to the last. */
  readonly sizes: readonly number[]
}

/**
 * Item 6 of `npm run bench`: for each size, a fresh mesh every round (formation time, RSS
 * per node, memory per link); no loopback counts and no late join, to keep it short.
 */
export async function runMeshBench(options: MeshBenchOptions, log: (line: string) => void): Promise<Figure[]> {
  const { rounds, sizes } = options
  const acc = new Rounds()
  let slopes = 0
  const push = (key: string, value: number): void => acc.push(key, value)
  for (let round = 1; round <= rounds; round++) {
    const growth = new Map<number, number>()
    for (const n of sizes) {
      const row = await measureMesh(n, { idleMs: 500, settleMs: 1000, quietMs: 0, lateJoin: false })
      if (row.failed !== undefined) throw new Error(`mesh of ${n} nodes, round ${round}: ${row.failed}`)
      push(`form.${n}`, row.formMs)
      push(`rss.${n}`, row.rss / MiB)
      push(`link.${n}`, row.perLinkRss / MiB)
      growth.set(n, row.rss - row.baseRss)
      log(`mesh round ${round}/${rounds}: ${n} nodes linked in ${row.formMs.toFixed(0)} ms, ${(row.rss / MiB).toFixed(1)} MiB per node`)
    }
    const first = sizes[0]
    const last = sizes[sizes.length - 1]
    if (first !== undefined && last !== undefined && last > first) {
      push('slope', ((growth.get(last) ?? 0) - (growth.get(first) ?? 0)) / (last - first) / MiB)
      slopes++
    }
  }
  const figures: Figure[] = []
  for (const n of sizes) {
    figures.push(
      acc.figure(`6. mesh of ${n} nodes: all linked after joining`, 'ms', `form.${n}`),
      acc.figure(`6. mesh of ${n} nodes: RSS per node`, 'MiB', `rss.${n}`),
      acc.figure(`6. mesh of ${n} nodes: memory per link`, 'MiB', `link.${n}`, { note: 'RSS growth / (N − 1)' }),
    )
  }
  const first = sizes[0]
  const last = sizes[sizes.length - 1]
  if (slopes > 0 && first !== undefined && last !== undefined) {
    figures.push(acc.figure('6. memory per added link', 'MiB', 'slope', { note: `RSS growth slope, ${first} → ${last} nodes` }))
  }
  return figures
}
