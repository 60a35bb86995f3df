/**
 * How large a full mesh of Node nodes this machine holds, and what the mesh costs each node.
 *
 * For each size N (default 8, 16, 24): one hub in this process, N + 1 Node nodes, each in
 * its own child process (one node per process, as in a deployment: a worker or a tab holds
 * one node, so RSS per process is RSS per node, and libdatachannel's threads and sockets
 * are per process). The children load everything first (baseline RSS), then
 *
 * 1. formation: N nodes join at once; time until every one is linked to the N − 1 others;
 * 2. idle: after a short settle, a window with no traffic but heartbeats (default interval
 *    500 ms, timeout 2500 ms): bytes per link per second, counted at two levels: frames the
 *    library hands to the data channel, and IP bytes and packets on the loopback interface
 *    (every link runs over it; a quiet window before the mesh is subtracted), plus CPU
 *    and RSS per process;
 * 3. late join: node N + 1 joins the formed mesh; time until it is linked to all N.
 *
 * Run: npx tsx bench/mesh-capacity.ts [--sizes 8,16,24] [--idle 5000]
 * Stops by itself: each step has a deadline and the whole run is bounded (prints what it
 * has and exits 1 if a deadline passes). Children are killed on the way out.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const self = fileURLToPath(import.meta.url)

// ---------------------------------------------------------------------------------------
// Child: one node.
// ---------------------------------------------------------------------------------------

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

async function child(hub: string, cluster: string, id: string, peers: number): Promise<void> {
  const { connectWith } = await import('../src/browser/connect-with.js')
  const { createNodePeer } = await import('../src/server/node-peer.js')
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
        node = await connectWith({ hub, cluster, id, meshTimeoutMs: 60_000, joinTimeoutMs: 60_000 }, countingPeer)
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

// ---------------------------------------------------------------------------------------
// Coordinator.
// ---------------------------------------------------------------------------------------

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
    this.process.stdin?.write(`${command}\n`)
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

function startChild(hub: string, cluster: string, id: string, peers: number): Child {
  const proc = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', hub, cluster, id, String(peers)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  running.add(proc)
  proc.once('exit', () => running.delete(proc))
  return new Child(id, proc)
}

function killChildren(): void {
  for (const proc of running) proc.kill('SIGKILL')
}

const num = (m: Message, key: string): number => Number(m[key] ?? 0)
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0)
const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : sum(xs) / xs.length)
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? 0 : (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2
}
const MiB = 1024 * 1024

interface Row {
  n: number
  loadMs: number
  formMs: number
  formMedianMs: number
  lateMs: number
  signals: number
  hubCpuMs: number
  baseRss: number
  rss: number
  perLinkRss: number
  threads: number
  appBps: number
  wireBps: number
  wirePps: number
  appMsgsPerSec: number
  cpuPct: number
  failed?: string
}

async function measure(n: number, idleMs: number): Promise<Row> {
  const { createHub } = await import('../src/server/hub.js')
  const hub = await createHub({ port: 0, logger: { info: () => {}, warn: () => {}, error: (m) => console.error(`hub: ${m}`) } })
  let signals = 0
  hub.io.on('connection', (socket) => socket.onAny((event: unknown) => void (event === 'signal' && signals++)))
  const cluster = `bench-${n}`
  const row: Row = { n, loadMs: 0, formMs: 0, formMedianMs: 0, lateMs: 0, signals: 0, hubCpuMs: 0, baseRss: 0, rss: 0, perLinkRss: 0, threads: 0, appBps: 0, wireBps: 0, wirePps: 0, appMsgsPerSec: 0, cpuPct: 0 }
  const children: Child[] = []
  try {
    const started = Date.now()
    for (let i = 0; i <= n; i++) children.push(startChild(hub.url, cluster, `n${String(i).padStart(2, '0')}`, i < n ? n - 1 : n))
    const loaded = await Promise.all(children.map((c) => c.next('loaded', 120_000)))
    row.loadMs = Date.now() - started
    const members = children.slice(0, n)
    const late = children[n]!
    row.baseRss = mean(loaded.slice(0, n).map((m) => num(m, 'rss')))
    const quiet = await loopbackRate(3000) // what the machine sends over loopback without the mesh

    const go = performance.now()
    const hubCpu = process.cpuUsage() // this process is the hub (and reads the children's reports)
    for (const c of members) c.send('go')
    const meshed = await Promise.all(members.map((c) => c.next('meshed', 90_000)))
    row.formMs = performance.now() - go
    const used = process.cpuUsage(hubCpu)
    row.hubCpuMs = (used.user + used.system) / 1000
    row.formMedianMs = median(meshed.map((m) => num(m, 'ms')))
    row.signals = signals

    await new Promise((r) => setTimeout(r, 2000)) // registry sync and handshakes settle
    const marks = members.map((c) => c.messages.length)
    for (const c of members) c.send('start')
    await Promise.all(members.map((c, i) => c.next('started', 10_000, marks[i])))
    const busy = await loopbackRate(idleMs)
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
    row.wireBps = Math.max(0, busy.bytes - quiet.bytes) / links
    row.wirePps = Math.max(0, busy.packets - quiet.packets) / links
    row.appMsgsPerSec = sum(stats.map((s) => num(s, 'appMsgsOut'))) / links / seconds
    row.cpuPct = (mean(stats.map((s) => num(s, 'cpuMs'))) / (seconds * 1000)) * 100

    late.send('go')
    row.lateMs = num(await late.next('meshed', 60_000), 'ms')
  } catch (error) {
    row.failed = error instanceof Error ? error.message : String(error)
  } finally {
    for (const c of children) c.send('quit')
    const exits = children.map((c) => new Promise((resolve) => (c.process.exitCode !== null || c.process.signalCode !== null ? resolve(null) : c.process.once('exit', resolve))))
    const force = setTimeout(killChildren, 5000) // a child that does not quit in time
    await Promise.all(exits)
    clearTimeout(force)
    await hub.close()
  }
  return row
}

function table(rows: readonly Row[]): string {
  const header = (
    'nodes|links|spawn+load s|form all ms|form median ms|late join ms|signals/link|hub CPU ms|base RSS MiB|RSS MiB|' +
    'RSS/link KiB|threads|app B/s/link|wire B/s/link|packets/s/link|msgs/s/link|idle CPU %'
  ).split('|')
  const body = rows.map((r) =>
    r.failed !== undefined
      ? [String(r.n), `failed: ${r.failed}`]
      : [
          String(r.n),
          String((r.n * (r.n - 1)) / 2),
          (r.loadMs / 1000).toFixed(1),
          r.formMs.toFixed(0),
          r.formMedianMs.toFixed(0),
          r.lateMs.toFixed(0),
          (r.signals / ((r.n * (r.n - 1)) / 2)).toFixed(1),
          r.hubCpuMs.toFixed(0),
          (r.baseRss / MiB).toFixed(1),
          (r.rss / MiB).toFixed(1),
          (r.perLinkRss / 1024).toFixed(0),
          r.threads.toFixed(0),
          r.appBps.toFixed(0),
          r.wireBps.toFixed(0),
          r.wirePps.toFixed(1),
          r.appMsgsPerSec.toFixed(2),
          r.cpuPct.toFixed(1),
        ],
  )
  const all = [header, ...body]
  const widths = header.map((_, i) => Math.max(...all.map((line) => (line[i] ?? '').length)))
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n')
}

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name)
  return index === -1 ? undefined : process.argv[index + 1]
}

async function main(): Promise<void> {
  const sizes = (option('--sizes') ?? '8,16,24').split(',').map(Number).filter((n) => Number.isInteger(n) && n >= 2)
  const idleMs = Number(option('--idle') ?? 5000)
  // Each size: ~1 s of load per child on two cores, formation, settle, idle window, late join.
  const budgetMs = sizes.reduce((total, n) => total + 60_000 + n * 4000 + idleMs, 0)
  const guard = setTimeout(() => {
    console.error(`mesh-capacity: still running after ${Math.round(budgetMs / 1000)} s; stopping`)
    killChildren()
    process.exit(1)
  }, budgetMs)
  guard.unref()
  process.on('SIGINT', () => {
    killChildren()
    process.exit(130)
  })
  console.log(`Full mesh of Node nodes, one node per child process; hub in this process; idle window ${idleMs} ms; heartbeat 500 ms`)
  const rows: Row[] = []
  for (const n of sizes) {
    process.stdout.write(`  ${n} nodes… `)
    const row = await measure(n, idleMs)
    rows.push(row)
    console.log(row.failed ?? `formed in ${row.formMs.toFixed(0)} ms`)
  }
  console.log(`\n${table(rows)}`)
  console.log(
    '\nRSS/link = (RSS after meshing − RSS with modules loaded) / (N − 1). Bytes per link are both directions,' +
      '\ncounted once: "app" = frames the library hands to the data channel (heartbeat pings), "wire" = IP bytes' +
      '\nand packets on the loopback interface during the idle window minus a quiet window before the mesh' +
      '\n(SCTP data and SACKs, DTLS, UDP/IP headers, ICE consent checks; anything else on the machine adds noise).',
  )
  killChildren()
  process.exit(rows.some((r) => r.failed !== undefined) ? 1 : 0)
}

if (process.argv[2] === '--child') {
  const [hub, cluster, id, peers] = process.argv.slice(3)
  if (!hub || !cluster || !id || !peers) throw new Error('usage: mesh-capacity.ts --child <hub> <cluster> <id> <peers>')
  await child(hub, cluster, id, Number(peers))
} else {
  await main()
}
