/**
 * The README's figures from a results file: rewrites, between marker comments in
 * README.md's Performance section, what the file says and nothing else (the prose around
 * the markers is written by hand), and writes item 10's chart and table
 * (bench/results/libraries.svg and libraries.md) from the same figures. `npm run bench`
 * runs it at the end of a full run; run alone, it rebuilds both from the committed file:
 *
 *   npm run bench:readme      (node --import tsx bench/readme.ts [results.json] [README.md])
 *
 * Regions, each `<!-- bench:NAME:start -->` … `<!-- bench:NAME:end -->`:
 * - `run`: when the run was made, on what, and how long it and each item took;
 * - `table`: every figure but item 10's, as bench/stats.ts `table` prints it;
 * - `libraries`: item 10's rounds, the chart and the table of bench/libraries/report.ts.
 *
 * A results file from a `--quick` run is refused: the README shows full runs only.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { librariesReport, librariesTable, RESULTS_DIR, writeLibrariesReport } from './libraries/report.js'
import { type Summary, table } from './stats.js'

/** What bench/run.ts writes to bench/results/latest.json, as far as the README uses it. */
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
export const LATEST = `${RESULTS_DIR}latest.json`
const CHART = '![Tab to tab in Chromium: distribunator, PeerJS, trystero and a raw RTCPeerConnection](bench/results/libraries.svg)'
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
const items = (key: string): string => `${key.includes(',') ? 'items' : 'item'} ${key}`

function runText(results: BenchResults): string {
  const node = /^v?(\d+)/.exec(results.machine.node)?.[1] ?? results.machine.node
  const seconds = Math.round(results.seconds)
  const times = Object.entries(results.itemSeconds ?? {})
    .sort(([a], [b]) => Number.parseInt(a, 10) - Number.parseInt(b, 10))
    .map(([key, s]) => `${items(key)} ${Math.round(s)} s`)
  const took = `${seconds} s in all, about ${Math.max(1, Math.round(seconds / 60))} minutes${times.length > 0 ? `: ${times.join(', ')}` : ''}`
  const missing = [...(results.skipped ?? []), ...(results.failures ?? []).map((f) => `failed: ${f}`)]
  const run = `The latest run (${day(results)}; ${cores(results)}, Node ${node}; ${took}):`
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
    CHART,
    '',
    librariesTable(figures),
  ].join('\n')
}

/** `readme` with each region rewritten from `results`. */
export function renderReadme(readme: string, results: BenchResults): string {
  const regions: Record<string, string> = {
    run: runText(results),
    table: table(results.figures.filter((s) => !isLibraries(s))),
    libraries: librariesText(results, results.figures.filter(isLibraries)),
  }
  let text = readme
  for (const [name, content] of Object.entries(regions)) {
    const start = `<!-- bench:${name}:start -->`
    const end = `<!-- bench:${name}:end -->`
    const from = text.indexOf(start)
    const to = text.indexOf(end)
    if (from === -1 || to === -1 || to < from || text.indexOf(start, from + 1) !== -1 || text.indexOf(end, to + 1) !== -1) {
      throw new Error(`README: expected one ${start} followed by one ${end}`)
    }
    text = `${text.slice(0, from + start.length)}\n\n${content}\n\n${text.slice(to)}`
  }
  return text
}

/** Item 10's chart and table for `results`, by file name (none when the run has no item-10 figure). */
export function librariesFiles(results: BenchResults): Record<string, string> {
  const figures = results.figures.filter(isLibraries)
  return figures.length === 0 ? {} : librariesReport(figures, results.date)
}

export interface UpdateReadme {
  readonly results?: string
  readonly readme?: string
  /** Where libraries.svg and libraries.md go (default bench/results/). */
  readonly reportDir?: string
}

/** Rewrites the README's regions and item 10's chart and table from a results file; the paths written. */
export function updateReadme({ results = LATEST, readme = README, reportDir = RESULTS_DIR }: UpdateReadme = {}): string[] {
  const parsed = parseResults(readFileSync(results, 'utf8'))
  if (parsed.quick) throw new Error(`${results} is from a --quick run; the README shows full runs only`)
  const libraries = parsed.figures.filter(isLibraries)
  const written = libraries.length === 0 ? [] : writeLibrariesReport(libraries, parsed.date, reportDir)
  const before = readFileSync(readme, 'utf8')
  const after = renderReadme(before, parsed)
  if (after !== before) {
    writeFileSync(readme, after)
    written.push(readme)
  }
  return written
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const [results, readme] = process.argv.slice(2)
    const written = updateReadme({ ...(results === undefined ? {} : { results }), ...(readme === undefined ? {} : { readme }) })
    console.log(written.length > 0 ? `wrote ${written.join(', ')}` : 'README.md already matches the results')
  } catch (error) {
    console.error(`bench:readme: ${error instanceof Error ? error.message : String(error)}`)
    process.exitCode = 1
  }
}
