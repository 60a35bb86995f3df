/**
 * How large a full mesh of Node nodes this machine holds, and what the mesh costs each node.
 *
 * For each size N (default 8, 16, 24): one hub in this process, N + 1 Node nodes, each in
 * its own child process (one node per process, as in a deployment: a worker or a tab holds
 * one node, so RSS per process is RSS per node, and libdatachannel's threads and sockets
 * are per process; bench/mesh-formation.ts). The children load everything first
 * (baseline RSS), then
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
import { killMeshChildren, MiB, measureMesh, type MeshRow } from './mesh-formation.js'

function table(rows: readonly MeshRow[]): string {
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
    killMeshChildren()
    process.exit(1)
  }, budgetMs)
  guard.unref()
  process.on('SIGINT', () => {
    killMeshChildren()
    process.exit(130)
  })
  console.log(`Full mesh of Node nodes, one node per child process; hub in this process; idle window ${idleMs} ms; heartbeat 500 ms`)
  const rows: MeshRow[] = []
  for (const n of sizes) {
    process.stdout.write(`  ${n} nodes… `)
    const row = await measureMesh(n, { idleMs, settleMs: 2000, quietMs: 3000, lateJoin: true })
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
  killMeshChildren()
  process.exit(rows.some((r) => r.failed !== undefined) ? 1 : 0)
}

await main()
