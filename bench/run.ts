/**
 * `npm run bench`: runs the benchmarks, prints a table and writes
 * bench/results/latest.json, then the README's figures and item 10's chart and table
 * from it (bench/readme.ts). Every figure has min / median / max over repeated rounds;
 * comparisons are ratios against a baseline measured in the same round. Through
 * `npm run bench` (scripts/bench.mjs) every Node process loads the library built into dist/,
 * as an app runs it; `node --import tsx bench/run.ts` alone times src/ through tsx, whose
 * kept function names cost a few microseconds per call. The run says which it timed.
 *   --quick        fewer rounds and samples (a smoke run); writes bench/results/quick.json
 *                  instead, and neither the README nor item 10's report
 *   --only 6,7     only these items (1–5 and 8 run together); prints, writes no file
 *                  (except item 10's report, below)
 *   BENCH_STEPS=…  only some steps of item 10 (bench/libraries/bench.ts); writes no file
 *
 * Items 1–5 and 8: Node peers (bench/node-bench.ts); 6: mesh formation and memory
 * (bench/mesh-formation.ts); 7: Chromium tabs (bench/browser-bench.ts), skipped when no
 * Chromium is found; 9: the relay path and a newcomer's first answers, 11: clusters of
 * 60 and 120 nodes with a direct-link budget (bench/relay-bench.ts); 10: this library,
 * PeerJS, trystero and a raw RTCPeerConnection tab to tab in Chromium (bench/libraries/),
 * skipped when no Chromium is found, whose chart and table (bench/results/libraries.svg and
 * libraries.md) a full run writes with the README, and `--only 10` on its own; 12: Node↔Node
 * connects under load, in one process and across two (bench/connect-bench.ts). A failed
 * item is reported and the others still run; the exit code is then 1.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { killBenchChildren } from './children.js'
import { runConnectBench } from './connect-bench.js'
import { killConnectStressChildren } from './connect-stress.js'
import { killLibraryServers } from './libraries/servers-control.js'
import { killMeshChildren, runMeshBench } from './mesh-formation.js'
import { runNodeBench } from './node-bench.js'
import { updateReadme } from './readme.js'
import { killScaleChildren, runRelayBench, runScaleBench } from './relay-bench.js'
import { type Figure, summarize, table } from './stats.js'

const quick = process.argv.includes('--quick')
const onlyAt = process.argv.indexOf('--only')
const only = onlyAt === -1 ? undefined : new Set((process.argv[onlyAt + 1] ?? '').split(',').map(Number))
const selected = (...items: number[]): boolean => only === undefined || items.some((i) => only.has(i))
/** Item 10 makes only some of its steps (BENCH_STEPS): its figures are partial, so no file is written. */
const someSteps = (process.env.BENCH_STEPS ?? '') !== ''
const started = Date.now()
const log = (line: string): void => console.log(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${line}`)
/** Which build of the library the Node processes load: dist/ through scripts/bench.mjs, else src/ through tsx. */
const library = process.env.BENCH_LIBRARY === 'dist' ? 'dist/ (built by tsc)' : 'src/ through tsx'
log(`the library from ${library}`)

// The whole run is bounded, and child processes still running are killed on the way out,
// however it ends (Playwright closes Chromium itself).
process.on('exit', () => {
  killBenchChildren()
  killMeshChildren()
  killScaleChildren()
  killConnectStressChildren()
})
const budgetMs = quick ? 6 * 60_000 : 15 * 60_000
const guard = setTimeout(() => {
  console.error(`bench: still running after ${budgetMs / 60_000} min; stopping`)
  process.exit(1)
}, budgetMs)
guard.unref()
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130))

const failures: string[] = []
const skipped: string[] = []
/** Each item's time, s, by the items it runs (`1–5, 8`, `6`, …). */
const itemSeconds: Record<string, number> = {}
/** Runs `items` (`1–5, 8`, `6`, …), what it measures named by `what`; a failure is reported, not thrown. */
async function item(items: string, what: string, run: () => Promise<Figure[]>): Promise<Figure[]> {
  const label = `${items.includes(',') ? 'items' : 'item'} ${items} (${what})`
  const start = Date.now()
  try {
    return await run()
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
    log(`${label} failed: ${message}`)
    failures.push(`${label}: ${error instanceof Error ? error.message : String(error)}`)
    return []
  } finally {
    itemSeconds[items] = (Date.now() - start) / 1000
  }
}

const figures: Figure[] = []
if (selected(1, 2, 3, 4, 5, 8)) {
  figures.push(
    ...(await item('1–5, 8', 'Node peers', () =>
      runNodeBench(quick ? { rounds: 2, rttSamples: 300, warmUp: 500, settle: 500, casts: 20_000, bulkBytes: 10_000_000 } : { rounds: 5, rttSamples: 2000, warmUp: 5000, settle: 10_000, casts: 100_000, bulkBytes: 10_000_000 }, log),
    )),
  )
}
if (selected(6)) {
  log('6. mesh formation: 2, 4 and 8 Node nodes, one per process, through a hub')
  figures.push(...(await item('6', 'mesh formation', () => runMeshBench({ rounds: quick ? 1 : 5, sizes: [2, 4, 8] }, log))))
}
if (selected(9)) {
  log('9. the relay path: call round trips relay / direct / socket.io through the hub; a newcomer answered by 5 members')
  figures.push(...(await item('9', 'relay', () => runRelayBench(quick ? { rounds: 2, samples: 200 } : { rounds: 5, samples: 1000 }, log))))
}
if (selected(11)) {
  log('11. clusters beyond a full mesh: N nodes, 15 per process, a budget of 4 direct links each')
  figures.push(...(await item('11', 'scale', () => runScaleBench(quick ? [30] : [60, 120], log))))
}
if (selected(12)) {
  const connects = quick ? 40 : 400
  log(`12. Node↔Node connects: ${connects} in one process, ${connects} across two, 4 at a time beside 2 CPU burners`)
  figures.push(...(await item('12', 'connects', () => runConnectBench({ connects, deadlineMs: 60_000 }, log))))
}

/** Whether Chromium is there for item `what`; logs and lists the skip when it is not. */
async function haveChromium(what: string): Promise<boolean> {
  // loaded here, so that Vite and Playwright stay out of this process while items 1–6 run
  const { missingChromium } = await import('./browser-bench.js')
  const noChromium = missingChromium()
  if (noChromium === undefined) return true
  const line = `${what}: skipped, no Chromium at ${noChromium} (set CHROMIUM_PATH to a Chromium executable)`
  log(line)
  skipped.push(line)
  return false
}

if (selected(7)) {
  if (await haveChromium('7. browser')) {
    const { runBrowserBench } = await import('./browser-bench.js')
    log('7. browser: call round trips tab ↔ tab and tab ↔ Node in Chromium')
    figures.push(...(await item('7', 'browser', () => runBrowserBench(quick ? { rounds: 2, rttSamples: 300, warmUp: 500 } : { rounds: 5, rttSamples: 2000, warmUp: 5000 }, log))))
  }
}
/** The files of item 10's report a `--only` run wrote (a full run writes it with the README). */
let reportWritten: string[] = []
if (selected(10)) {
  if (await haveChromium('10. libraries')) {
    const { runLibrariesBench } = await import('./libraries/bench.js')
    const { writeLibrariesReport } = await import('./libraries/report.js')
    const options = quick ? { rounds: 1, rttSamples: 200, warmUp: 300, burst: 20_000, bulkBytes: 10_000_000 } : { rounds: 3, rttSamples: 1000, warmUp: 2000, burst: 20_000, bulkBytes: 10_000_000 }
    log('10. libraries tab to tab in Chromium: distribunator, PeerJS, trystero, raw RTCPeerConnection')
    const libraries = await item('10', 'libraries', () => runLibrariesBench(options, log))
    figures.push(...libraries)
    // a full run writes the report from latest.json with the README, below
    if (!quick && only !== undefined && !someSteps && libraries.length > 0) {
      reportWritten = writeLibrariesReport(libraries.map(summarize))
      log(`wrote ${reportWritten.join(', ')}`)
    }
  }
}

// in item order (stable: the order within an item stays)
figures.sort((a, b) => Number.parseInt(a.name, 10) - Number.parseInt(b.name, 10))
// some steps of item 10 (BENCH_STEPS) leave the other steps' figures without a value: left out, not shown as NaN
const summaries = (someSteps ? figures.filter((figure) => figure.rounds.some(Number.isFinite)) : figures).map(summarize)
const markdown = table(summaries)
console.log(`\n${markdown}\n`)
for (const line of [...skipped, ...failures.map((f) => `failed: ${f}`)]) console.log(line)
if (only === undefined && !someSteps) {
  const results = {
    date: new Date().toISOString(),
    quick,
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    library,
    seconds: (Date.now() - started) / 1000,
    itemSeconds,
    figures: summaries,
    markdown,
    ...(skipped.length > 0 ? { skipped } : {}),
    ...(failures.length > 0 ? { failures } : {}),
  }
  const dir = fileURLToPath(new URL('./results', import.meta.url))
  mkdirSync(dir, { recursive: true })
  // a smoke run leaves the full run's figures, which the README is made from, in place
  const file = join(dir, quick ? 'quick.json' : 'latest.json')
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`)
  log(`wrote ${file}; ${((Date.now() - started) / 1000).toFixed(0)} s in all`)
  if (!quick) {
    try {
      log(`README figures: ${updateReadme({ results: file }).join(', ') || 'nothing to change'}`)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      log(`README figures failed: ${message}`)
      failures.push(`README figures: ${message}`)
    }
  }
} else {
  const written = reportWritten.length > 0 ? `only item 10's report written: ${reportWritten.join(', ')}` : 'no file written'
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s (${someSteps ? 'BENCH_STEPS' : '--only'}: ${written})`)
}
process.exit(failures.length > 0 ? 1 : 0)
