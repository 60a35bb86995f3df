/**
 * `npm run bench`: runs the benchmarks, prints a table and writes
 * bench/results/latest.json. Every figure has min / median / max over repeated rounds;
 * comparisons are ratios against a baseline measured in the same round.
 *   --quick   fewer rounds and samples (a smoke run)
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { runNodeBench } from './node-bench.js'
import { summarize, table } from './stats.js'

const quick = process.argv.includes('--quick')
const started = Date.now()
const log = (line: string): void => console.log(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${line}`)

const figures = await runNodeBench(
  quick ? { rounds: 2, rttSamples: 300, casts: 20_000, bulkBytes: 10_000_000 } : { rounds: 5, rttSamples: 2000, casts: 100_000, bulkBytes: 10_000_000 },
  log,
)
const summaries = figures.map(summarize)
const markdown = table(summaries)
console.log(`\n${markdown}\n`)
const results = {
  date: new Date().toISOString(),
  quick,
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  seconds: (Date.now() - started) / 1000,
  figures: summaries,
  markdown,
}
const dir = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(dir, { recursive: true })
writeFileSync(`${dir}latest.json`, `${JSON.stringify(results, null, 2)}\n`)
log(`wrote bench/results/latest.json`)
process.exit(0)
