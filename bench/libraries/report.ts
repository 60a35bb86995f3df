/**
 * The report of item 10: a table with one column per library and an SVG chart with one
 * panel per figure, from the summaries of a run, written to bench/results/libraries.md and
 * libraries.svg. Run alone, it rebuilds both from a results file:
 *
 *   node --import tsx bench/libraries/report.ts [bench/results/latest.json]
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Summary } from '../stats.js'
import { figureName, ITEMS, type Item, LOWEST_RTT, MESH_VS_PEERJS, ROW_LABEL, type Row } from './figures.js'

const COLORS: Record<Row, string> = { ours: '#2563eb', 'ours-direct': '#93c5fd', 'ours-relay': '#1e3a8a', peerjs: '#f59e0b', trystero: '#10b981', raw: '#6b7280' }
const COLUMNS: readonly Row[] = ['ours', 'ours-direct', 'ours-relay', 'peerjs', 'trystero', 'raw']

function format(value: number): string {
  if (!Number.isFinite(value)) return '–'
  const abs = Math.abs(value)
  if (abs >= 1e4) return `${(value / 1e3).toFixed(abs >= 1e5 ? 0 : 1)}k`
  if (abs >= 100) return value.toFixed(0)
  if (abs >= 10) return value.toFixed(1)
  return value.toFixed(abs >= 1 ? 2 : 3)
}

type Find = (item: Item, row: Row, ratio: boolean) => Summary | undefined

function finder(summaries: readonly Summary[]): Find {
  const byName = new Map(summaries.map((s) => [s.name, s]))
  return (item, row, ratio) => byName.get(figureName(item, row, ratio))
}

/** The figures as one row per item and one column per library: median (min–max), then the median ratio to raw. */
export function librariesTable(summaries: readonly Summary[]): string {
  const find = finder(summaries)
  const lines = [`| figure | ${COLUMNS.map((row) => ROW_LABEL[row]).join(' | ')} |`, `|---|${COLUMNS.map(() => '---:').join('|')}|`]
  for (const item of ITEMS) {
    const cells = COLUMNS.map((row) => {
      const value = find(item, row, false)
      if (value === undefined) return ''
      const ratio = find(item, row, true)
      const mark = ratio?.target ? ` ${ratio.met ? '✓' : '✗'}` : ''
      const times = ratio && row !== 'raw' ? ` · **${format(ratio.median)}×**${mark}` : ''
      return `${format(value.median)} (${format(value.min)}–${format(value.max)})${times}`
    })
    lines.push(`| ${item.title} (${item.unit}, ${item.better} is better) | ${cells.join(' | ')} |`)
  }
  const sentence = (name: string, what: string): string => {
    const s = summaries.find((summary) => summary.name === name)
    if (s === undefined) return ''
    return `\n\n${what}: ${format(s.median)}× (${format(s.min)}–${format(s.max)})${s.target ? `, target ${s.target} ${s.met ? '✓' : '✗'}` : ''}.`
  }
  const notes = [
    sentence(LOWEST_RTT, "Round trip p50, distribunator's ratio over the lowest other library's (each to its paired raw channel)"),
    sentence(MESH_VS_PEERJS, "Mesh of 6 tabs, distribunator's time over PeerJS's in the same round"),
  ].join('')
  return `${lines.join('\n')}${notes}\n\nEach cell: median (min–max) over the rounds · median ratio to raw in the same round (round trips: to a raw channel between the same two tabs, sample by sample); ✓/✗ a target met or missed.`
}

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** One panel per item: a bar per library at its median, a line from min to max, the ratio to raw beside it. */
export function librariesChart(summaries: readonly Summary[], caption: string): string {
  const find = finder(summaries)
  const width = 980
  const columnWidth = 480
  const labelWidth = 170
  const barWidth = 190
  const rowHeight = 20
  const parts: string[] = []
  const columnY = [40, 40]
  ITEMS.forEach((item, index) => {
    const column = index % 2
    const x = 10 + column * (columnWidth + 10)
    let y = columnY[column]!
    const rows = item.rows.flatMap((row) => {
      const value = find(item, row, false)
      return value === undefined ? [] : [{ row, value, ratio: find(item, row, true) }]
    })
    const scale = Math.max(...rows.map((r) => (Number.isFinite(r.value.max) ? r.value.max : 0)), 1e-9)
    parts.push(`<text x="${x}" y="${y + 12}" class="title">${escape(item.title.replace(/^10\.\d /, ''))}</text>`)
    parts.push(`<text x="${x}" y="${y + 27}" class="sub">${escape(`${item.unit}, ${item.better} is better; ratio to raw`)}</text>`)
    y += 36
    for (const { row, value, ratio } of rows) {
      const w = (v: number): number => (Number.isFinite(v) ? (v / scale) * barWidth : 0)
      const bx = x + labelWidth
      parts.push(`<text x="${bx - 6}" y="${y + 14}" class="label" text-anchor="end">${escape(ROW_LABEL[row])}</text>`)
      parts.push(`<rect x="${bx}" y="${y + 3}" width="${w(value.median).toFixed(1)}" height="${rowHeight - 6}" fill="${COLORS[row]}"/>`)
      parts.push(`<line x1="${(bx + w(value.min)).toFixed(1)}" x2="${(bx + w(value.max)).toFixed(1)}" y1="${y + rowHeight / 2}" y2="${y + rowHeight / 2}" class="range"/>`)
      const times = ratio && row !== 'raw' ? `  ${format(ratio.median)}×${ratio.target ? (ratio.met ? ' ✓' : ' ✗') : ''}` : ''
      parts.push(`<text x="${bx + barWidth + 8}" y="${y + 14}" class="value">${escape(`${format(value.median)}${times}`)}</text>`)
      y += rowHeight
    }
    columnY[column] = y + 16
  })
  const height = Math.max(...columnY) + 24
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    '<style>.title{font-size:13px;font-weight:bold;fill:#111}.sub{font-size:11px;fill:#555}.label{font-size:11px;fill:#222}.value{font-size:11px;fill:#222}.range{stroke:#111;stroke-width:1.2}.head{font-size:15px;font-weight:bold;fill:#111}.foot{font-size:11px;fill:#555}</style>',
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="22" class="head">Tab to tab in Chromium: distribunator, PeerJS, trystero and a raw RTCPeerConnection</text>`,
    ...parts,
    `<text x="10" y="${height - 10}" class="foot">${escape(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n')
}

/** The texts of libraries.md and libraries.svg for the summaries of a run made on `date` (ISO). */
export function librariesReport(summaries: readonly Summary[], date: string): { 'libraries.md': string; 'libraries.svg': string } {
  const rounds = summaries.find((s) => s.name.startsWith('10.'))?.rounds.length ?? 0
  const caption = `npm run bench, ${date.slice(0, 10)}, ${rounds} rounds: bars at the median, lines from min to max; × the median ratio to raw in the same round; ✓/✗ a target met or missed`
  return { 'libraries.md': `${librariesTable(summaries)}\n`, 'libraries.svg': librariesChart(summaries, caption) }
}

/** The folder the report is written to by default: bench/results/. */
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url))

/** Writes libraries.md and libraries.svg into `dir` (default bench/results/); their paths. */
export function writeLibrariesReport(summaries: readonly Summary[], date = new Date().toISOString(), dir = RESULTS_DIR): string[] {
  return Object.entries(librariesReport(summaries, date)).map(([file, text]) => {
    const path = join(dir, file)
    writeFileSync(path, text)
    return path
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2] ?? fileURLToPath(new URL('../results/latest.json', import.meta.url))
  const results = JSON.parse(readFileSync(file, 'utf8')) as { date?: string; figures?: Summary[] }
  console.log(writeLibrariesReport(results.figures ?? [], results.date).join('\n'))
}
