/**
 * The figures of item 10 (libraries compared, tab to tab): their names, units and
 * targets, shared by the benchmark (bench/libraries/bench.ts), which fills them round by
 * round, and the report (bench/libraries/report.ts), which finds them in a results file.
 */
import type { Figure } from '../stats.js'

export const LIBRARIES = ['ours', 'peerjs', 'trystero', 'raw'] as const
export type Library = (typeof LIBRARIES)[number]

/**
 * A row of the comparison: a library; this library until its links are direct; this
 * library with every link kept on the relay (`maxDirectLinks: 0`, no WebRTC at all).
 */
export type Row = Library | 'ours-direct' | 'ours-relay'

export const ROW_LABEL: Record<Row, string> = {
  ours: 'distribunator',
  'ours-direct': 'distribunator, links direct',
  'ours-relay': 'distribunator, relay only',
  peerjs: 'PeerJS',
  trystero: 'trystero',
  raw: 'raw RTCPeerConnection',
}

export interface Item {
  readonly key: string
  /** `10.<n>`, then what is measured. */
  readonly title: string
  readonly unit: string
  readonly better: 'lower' | 'higher'
  /** The rows measured (`ours-direct` only where this library's relay-first links make a difference). */
  readonly rows: readonly Row[]
  /** What the ratio compares with. */
  readonly ratioNote: string
  /** Targets for this library's ratio, by row. */
  readonly targets?: Partial<Record<Row, string>>
}

const libraries: readonly Row[] = ['ours', 'peerjs', 'trystero', 'raw']
const withDirect: readonly Row[] = ['ours', 'ours-direct', 'peerjs', 'trystero', 'raw']
const toRaw = 'library / raw, the same round'

export const ITEMS: readonly Item[] = [
  {
    key: 'connect',
    title: '10.1 two tabs started together: a first message answered both ways',
    unit: 'ms',
    better: 'lower',
    rows: withDirect,
    ratioNote: toRaw,
    targets: { ours: '<= 0.5' },
  },
  {
    key: 'rtt50',
    title: '10.2 request/response round trip p50',
    unit: 'ms',
    better: 'lower',
    rows: libraries,
    ratioNote: 'library / a raw channel between the same tabs, sample by sample',
    targets: { ours: '<= 1.05' },
  },
  {
    key: 'rtt99',
    title: '10.2 request/response round trip p99',
    unit: 'ms',
    better: 'lower',
    rows: libraries,
    ratioNote: 'library / a raw channel between the same tabs, sample by sample',
  },
  {
    key: 'burst',
    title: '10.3 20,000 messages of ~50 B one way',
    unit: 'msg/s',
    better: 'higher',
    rows: libraries,
    ratioNote: toRaw,
    targets: { ours: '>= 3' },
  },
  {
    key: 'bulk1',
    title: '10.4 10 MB Uint8Array one way, first on a link',
    unit: 'MB/s',
    better: 'higher',
    rows: libraries,
    ratioNote: toRaw,
    targets: { ours: '>= 0.9' },
  },
  {
    key: 'bulk2',
    title: '10.4 10 MB Uint8Array one way, second on a link',
    unit: 'MB/s',
    better: 'higher',
    rows: libraries,
    ratioNote: toRaw,
    targets: { ours: '>= 0.9' },
  },
  {
    key: 'mesh',
    title: '10.5 mesh of 6 tabs started together: a first message answered in each of the 30 ordered pairs',
    unit: 'ms',
    better: 'lower',
    rows: withDirect,
    ratioNote: toRaw,
    targets: { ours: '<= 1', 'ours-direct': '<= 1' },
  },
  {
    key: 'newcomer',
    title: '10.6 newcomer: start until each of 5 members has answered',
    unit: 'ms',
    better: 'lower',
    rows: [...withDirect.slice(0, 2), 'ours-relay', ...withDirect.slice(2)],
    ratioNote: toRaw,
    targets: { ours: '<= 0.5' },
  },
]

/** The name of a row's figure (its value) and of its ratio figure. */
export function figureName(item: Item, row: Row, ratio: boolean): string {
  return `${item.title}, ${ROW_LABEL[row]}${ratio ? ', ratio' : ''}`
}

/** Round trip p50 of this library over the lowest of the other libraries (both as ratios to their paired raw channel). */
export const LOWEST_RTT = '10.2 request/response round trip p50, distribunator / the lowest other library'

/** The mesh of item 10.5, this library's time over PeerJS's in the same round. */
export const MESH_VS_PEERJS = '10.5 mesh of 6 tabs started together, distribunator / PeerJS'

/**
 * The figures from values collected round by round: `values[item][row]` has one value a
 * round; ratios are this round's value over raw's (for round trips, the ratios measured
 * sample by sample, `pairedRatios[item][row]`).
 */
export function libraryFigures(
  values: Record<string, Partial<Record<Row, number[]>>>,
  pairedRatios: Record<string, Partial<Record<Row, number[]>>>,
): Figure[] {
  const figures: Figure[] = []
  for (const item of ITEMS) {
    const byRow = values[item.key] ?? {}
    const raw = byRow.raw ?? []
    for (const row of item.rows) {
      const rounds = byRow[row] ?? []
      figures.push({ name: figureName(item, row, false), unit: item.unit, rounds })
      if (row === 'raw' && pairedRatios[item.key] === undefined) continue
      const ratios = pairedRatios[item.key]?.[row] ?? rounds.map((value, i) => value / (raw[i] ?? Number.NaN))
      const target = item.targets?.[row]
      figures.push({ name: figureName(item, row, true), unit: '×', rounds: ratios, note: item.ratioNote, ...(target ? { target } : {}) })
    }
  }
  const paired = pairedRatios.rtt50 ?? {}
  const lowest = (paired.ours ?? []).map((ours, i) => ours / Math.min(paired.peerjs?.[i] ?? Number.POSITIVE_INFINITY, paired.trystero?.[i] ?? Number.POSITIVE_INFINITY))
  figures.push({ name: LOWEST_RTT, unit: '×', rounds: lowest, note: 'each as a ratio to its paired raw channel', target: '<= 1' })
  const mesh = values.mesh ?? {}
  const peerjs = mesh.peerjs ?? []
  const overPeerjs = (mesh.ours ?? []).flatMap((ours, i) => (peerjs[i] === undefined ? [] : [ours / peerjs[i]]))
  figures.push({ name: MESH_VS_PEERJS, unit: '×', rounds: overPeerjs, note: 'the same round', target: '<= 1' })
  return figures
}
