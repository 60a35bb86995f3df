/**
 * The bench figures in the docs, from a results file: rewrites, between marker comments,
 * what the file says and nothing else (the prose around the markers is written by hand):
 * every table in docs/performance.md, and a short summary with the chart in README.md. It
 * also writes item 10's chart and table (bench/results/libraries.svg and libraries.md) from
 * the same figures. `npm run bench` runs it at the end of a full run; run alone, it rebuilds
 * them all from the committed file:
 *
 *   npm run bench:readme      (node --import tsx bench/readme.ts [results.json] [README.md] [docs/performance.md])
 *
 * Regions, each `<!-- bench:NAME:start -->` … `<!-- bench:NAME:end -->`:
 * - README.md `summary`: the chart of item 10 and a few medians, tab to tab and Node to
 *   Node, with the count of targets met;
 * - docs/performance.md `run`: when the run was made, on what, and how long it and each item took;
 * - docs/performance.md `table`: every figure but item 10's, as bench/stats.ts `table` prints it;
 * - docs/performance.md `libraries`: item 10's rounds, the chart and the table of bench/libraries/report.ts.
 *
 * A results file from a `--quick` run is refused: the docs show full runs only.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { figureName, ITEMS, type Item, MESH_VS_PEERJS, type Row } from './libraries/figures.js'
import { librariesReport, librariesTable, RESULTS_DIR, writeLibrariesReport } from './libraries/report.js'
import { type Summary, table } from './stats.js'

/** What bench/run.ts writes to bench/results/latest.json, as far as the docs use it. */
export interface BenchResults {
  /** When the run ended (ISO). */
  readonly date: string
  readonly quick: boolean
  readonly machine: { readonly cpus: number; readonly cpu?: string; readonly memoryGiB?: number; readonly node: string }
  /** The whole run, s. */
  readonly seconds: number
  /** Each item's time, s, by the items it ran (`1–5, 8`, `6`, …); older files have none. */
  readonly itemSeconds?: Readonly<Record<string, number>>
  readonly figures: readonly Summary[]
  readonly skipped?: readonly string[]
  readonly failures?: readonly string[]
}

export const README = fileURLToPath(new URL('../README.md', import.meta.url))
export const PERFORMANCE = fileURLToPath(new URL('../docs/performance.md', import.meta.url))
export const LATEST = `${RESULTS_DIR}latest.json`
const CHART_ALT = 'Tab to tab in Chromium: distribunator, PeerJS, trystero and a raw RTCPeerConnection'
/** The chart as each document links it: README.md at the package root, docs/performance.md one folder down. */
const README_CHART = `![${CHART_ALT}](bench/results/libraries.svg)`
const PERFORMANCE_CHART = `![${CHART_ALT}](../bench/results/libraries.svg)`
const LIBRARIES_ITEM = '10'

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
const isStrings = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string')
/** JSON has no NaN: a figure with no rounds has null for min / median / max. */
const numberOrNaN = (value: unknown): number => (typeof value === 'number' ? value : Number.NaN)

function toSummary(value: unknown, index: number): Summary {
  if (!isRecord(value) || typeof value.name !== 'string' || typeof value.unit !== 'string' || !Array.isArray(value.rounds)) {
    throw new Error(`figure ${index}: not a summary with name, unit and rounds`)
  }
  const { name, unit, note, target, met } = value
  return {
    name,
    unit,
    min: numberOrNaN(value.min),
    median: numberOrNaN(value.median),
    max: numberOrNaN(value.max),
    rounds: value.rounds.map(numberOrNaN),
    ...(typeof note === 'string' ? { note } : {}),
    ...(typeof target === 'string' ? { target } : {}),
    ...(typeof met === 'boolean' ? { met } : {}),
  }
}

/** A results file's text as results, or an error that says what is missing. */
export function parseResults(text: string): BenchResults {
  const json: unknown = JSON.parse(text)
  if (!isRecord(json)) throw new Error('not a JSON object')
  const { date, quick, machine, seconds, figures, itemSeconds, skipped, failures } = json
  if (typeof date !== 'string' || typeof seconds !== 'number' || !Array.isArray(figures)) throw new Error('no date, seconds or figures')
  if (!isRecord(machine) || typeof machine.cpus !== 'number' || typeof machine.node !== 'string') throw new Error('no machine with cpus and node')
  const times = isRecord(itemSeconds) ? Object.entries(itemSeconds).filter((entry): entry is [string, number] => typeof entry[1] === 'number') : []
  return {
    date,
    quick: quick === true,
    machine: {
      cpus: machine.cpus,
      node: machine.node,
      ...(typeof machine.cpu === 'string' ? { cpu: machine.cpu } : {}),
      ...(typeof machine.memoryGiB === 'number' ? { memoryGiB: machine.memoryGiB } : {}),
    },
    seconds,
    figures: figures.map(toSummary),
    ...(times.length > 0 ? { itemSeconds: Object.fromEntries(times) } : {}),
    ...(isStrings(skipped) ? { skipped } : {}),
    ...(isStrings(failures) ? { failures } : {}),
  }
}

const isLibraries = (s: Summary): boolean => s.name.startsWith(`${LIBRARIES_ITEM}.`)
const day = (results: BenchResults): string => results.date.slice(0, 10)
const cores = (results: BenchResults): string => `${results.machine.cpus} core${results.machine.cpus === 1 ? '' : 's'}`
const nodeMajor = (results: BenchResults): string => /^v?(\d+)/.exec(results.machine.node)?.[1] ?? results.machine.node
const items = (key: string): string => `${key.includes(',') ? 'items' : 'item'} ${key}`

/** A figure's value as the tables print it: three digits, k and M for the large ones. */
function format(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  const abs = Math.abs(value)
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`
  if (abs >= 1e4) return `${(value / 1e3).toFixed(abs >= 1e5 ? 0 : 1)}k`
  if (abs >= 100) return value.toFixed(0)
  if (abs >= 10) return value.toFixed(1)
  return value.toFixed(abs >= 1 ? 2 : 3)
}

function runText(results: BenchResults): string {
  const seconds = Math.round(results.seconds)
  const times = Object.entries(results.itemSeconds ?? {})
    .sort(([a], [b]) => Number.parseInt(a, 10) - Number.parseInt(b, 10))
    .map(([key, s]) => `${items(key)} ${Math.round(s)} s`)
  const took = `${seconds} s in all, about ${Math.max(1, Math.round(seconds / 60))} minutes${times.length > 0 ? `: ${times.join(', ')}` : ''}`
  const missing = [...(results.skipped ?? []), ...(results.failures ?? []).map((f) => `failed: ${f}`)]
  const run = `The latest run (${day(results)}; ${cores(results)}, Node ${nodeMajor(results)}; ${took}):`
  return missing.length > 0 ? `Not in the latest run: ${missing.join('; ')}.\n${run}` : run
}

function librariesText(results: BenchResults, figures: readonly Summary[]): string {
  if (figures.length === 0) {
    return `\`bench/results/latest.json\` (the run of ${day(results)}) holds no figures of item 10: the table and the chart come back with the next full \`npm run bench\`.`
  }
  const rounds = figures[0]?.rounds.length ?? 0
  const seconds = results.itemSeconds?.[LIBRARIES_ITEM]
  const took = seconds === undefined ? '' : `, ${Math.round(seconds)} s of the run's ${Math.round(results.seconds)}`
  return [
    `The latest run (${day(results)}; ${rounds} round${rounds === 1 ? '' : 's'}, ${cores(results)}${took}; \`bench/results/libraries.md\` and \`.svg\`, written by the bench):`,
    '',
    PERFORMANCE_CHART,
    '',
    librariesTable(figures),
  ].join('\n')
}

/** The README's few lines: the chart, then the medians a newcomer asks about first, each only where the run has it. */
function summaryText(results: BenchResults): string {
  const byName = new Map(results.figures.map((s) => [s.name, s]))
  const median = (name: string): number | undefined => {
    const value = byName.get(name)?.median
    return value === undefined || !Number.isFinite(value) ? undefined : value
  }
  const item = (key: string): Item | undefined => ITEMS.find((i) => i.key === key)
  const library = (key: string, row: Row, ratio = false): number | undefined => {
    const found = item(key)
    return found === undefined ? undefined : median(figureName(found, row, ratio))
  }
  const join = (parts: ReadonlyArray<string | undefined>): string => parts.filter((part): part is string => part !== undefined).join('; ')

  const rtt = library('rtt50', 'ours')
  const others = (['peerjs', 'trystero', 'raw'] as const).flatMap((row) => {
    const value = library('rtt50', row)
    return value === undefined ? [] : [`${row === 'raw' ? 'a bare data channel' : row === 'peerjs' ? 'PeerJS' : 'trystero'} ${format(value)}`]
  })
  const burst = library('burst', 'ours')
  const burstRatio = library('burst', 'ours', true)
  const connect = library('connect', 'ours')
  const connectRatio = library('connect', 'ours', true)
  const mesh = library('mesh', 'ours')
  const meshRatio = library('mesh', 'ours', true)
  const meshPeerjs = median(MESH_VS_PEERJS)
  const meshVs = [meshRatio === undefined ? undefined : `${format(meshRatio)}× bare data channels`, meshPeerjs === undefined ? undefined : `${format(meshPeerjs)}× PeerJS`]
    .filter((part): part is string => part !== undefined)
    .join(', ')
  const tabs = join([
    rtt === undefined ? undefined : `a call's round trip ${format(rtt)} ms p50${others.length > 0 ? ` (${others.join(', ')})` : ''}`,
    burst === undefined ? undefined : `20,000 small casts at ${format(burst)} msg/s${burstRatio === undefined ? '' : ` (${format(burstRatio)}× a bare data channel)`}`,
    connect === undefined ? undefined : `two tabs started together answering each other ${format(connect)} ms after \`connect()\`${connectRatio === undefined ? '' : ` (${format(connectRatio)}× bare data channels)`}`,
    mesh === undefined ? undefined : `six tabs all answering each other ${format(mesh)} ms after \`connect()\`${meshVs === '' ? '' : ` (${meshVs})`}`,
  ])

  const nodeRtt = median('1. call RTT p50, distribunator call')
  const nodeRttRatio = median('1. call RTT p50 ratio')
  const casts = median('2. casts/s, distribunator cast')
  const bulk = median('3. 10 MB Uint8Array through call')
  const bulkRatio = median('3. bulk throughput ratio, Uint8Array')
  const newcomer = median('9. newcomer answered by 5 members, relay first')
  const nodes = join([
    nodeRtt === undefined ? undefined : `a call's round trip ${format(nodeRtt)} ms p50${nodeRttRatio === undefined ? '' : ` (${format(nodeRttRatio)}× a bare simple-peer echo)`}`,
    casts === undefined ? undefined : `${format(casts)} casts/s`,
    bulk === undefined ? undefined : `10 MB of bytes at ${format(bulk)} MB/s${bulkRatio === undefined ? '' : ` (${format(bulkRatio)}× raw)`}`,
    newcomer === undefined ? undefined : `a newcomer answered by 5 members ${format(newcomer)} ms after \`connect()\``,
  ])

  const targets = results.figures.filter((s) => s.target !== undefined && s.met !== undefined)
  const met = targets.filter((s) => s.met === true).length
  const libraries = results.figures.some(isLibraries)
  const lines = [
    ...(libraries ? [README_CHART, ''] : []),
    `Medians of the latest run (${day(results)}; ${cores(results)}, Node ${nodeMajor(results)}):`,
    '',
    ...(tabs === '' ? [] : [`- tab to tab in Chromium: ${tabs};`]),
    ...(nodes === '' ? [] : [`- Node to Node over WebRTC on loopback: ${nodes};`]),
    `- targets met: ${met} of ${targets.length}.`,
  ]
  return lines.join('\n')
}

/** `text` with each region rewritten; `file` names the document in an error. */
function renderRegions(text: string, regions: Readonly<Record<string, string>>, file: string): string {
  let out = text
  for (const [name, content] of Object.entries(regions)) {
    const start = `<!-- bench:${name}:start -->`
    const end = `<!-- bench:${name}:end -->`
    const from = out.indexOf(start)
    const to = out.indexOf(end)
    if (from === -1 || to === -1 || to < from || out.indexOf(start, from + 1) !== -1 || out.indexOf(end, to + 1) !== -1) {
      throw new Error(`${file}: expected one ${start} followed by one ${end}`)
    }
    out = `${out.slice(0, from + start.length)}\n\n${content}\n\n${out.slice(to)}`
  }
  return out
}

/** `readme` (README.md) with its summary region rewritten from `results`. */
export function renderReadme(readme: string, results: BenchResults): string {
  return renderRegions(readme, { summary: summaryText(results) }, 'README')
}

/** `performance` (docs/performance.md) with each region rewritten from `results`. */
export function renderPerformance(performance: string, results: BenchResults): string {
  const regions: Record<string, string> = {
    run: runText(results),
    table: table(results.figures.filter((s) => !isLibraries(s))),
    libraries: librariesText(results, results.figures.filter(isLibraries)),
  }
  return renderRegions(performance, regions, 'docs/performance.md')
}

/** Item 10's chart and table for `results`, by file name (none when the run has no item-10 figure). */
export function librariesFiles(results: BenchResults): Record<string, string> {
  const figures = results.figures.filter(isLibraries)
  return figures.length === 0 ? {} : librariesReport(figures, results.date)
}

export interface UpdateReadme {
  readonly results?: string
  readonly readme?: string
  /** docs/performance.md, or another file with its regions. */
  readonly performance?: string
  /** Where libraries.svg and libraries.md go (default bench/results/). */
  readonly reportDir?: string
}

/**
 * Rewrites the regions of README.md and docs/performance.md and item 10's chart and table
 * from a results file; the paths written. Nothing is written when a document lacks its markers.
 */
export function updateReadme({ results = LATEST, readme = README, performance = PERFORMANCE, reportDir = RESULTS_DIR }: UpdateReadme = {}): string[] {
  const parsed = parseResults(readFileSync(results, 'utf8'))
  if (parsed.quick) throw new Error(`${results} is from a --quick run; the docs show full runs only`)
  // both documents are rendered before anything is written, so a missing marker leaves all as it was
  const rendered = [
    { path: readme, render: renderReadme },
    { path: performance, render: renderPerformance },
  ].map(({ path, render }) => {
    const before = readFileSync(path, 'utf8')
    return { path, before, after: render(before, parsed) }
  })
  const libraries = parsed.figures.filter(isLibraries)
  const written = libraries.length === 0 ? [] : writeLibrariesReport(libraries, parsed.date, reportDir)
  for (const { path, before, after } of rendered) {
    if (after === before) continue
    writeFileSync(path, after)
    written.push(path)
  }
  return written
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const [results, readme, performance] = process.argv.slice(2)
    const written = updateReadme({
      ...(results === undefined ? {} : { results }),
      ...(readme === undefined ? {} : { readme }),
      ...(performance === undefined ? {} : { performance }),
    })
    console.log(written.length > 0 ? `wrote ${written.join(', ')}` : 'README.md and docs/performance.md already match the results')
  } catch (error) {
    console.error(`bench:readme: ${error instanceof Error ? error.message : String(error)}`)
    process.exitCode = 1
  }
}
