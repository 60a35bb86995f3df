/** Figures measured over repeated rounds, reported as min / median / max. */

export interface Figure {
  /** Section and what is measured, e.g. `1. call round trip p50`. */
  readonly name: string
  readonly unit: string
  /** One value per round. */
  readonly rounds: number[]
  /** What the figure is compared with, for ratios. */
  readonly note?: string
  /** The goal, e.g. `<= 1.15`, checked against the median. */
  readonly target?: string
}

/** Values collected round by round under keys, then named as figures. */
export class Rounds {
  private readonly values: Record<string, number[]> = {}

  push(key: string, value: number): void {
    ;(this.values[key] ??= []).push(value)
  }

  figure(name: string, unit: string, key: string, extra: Partial<Figure> = {}): Figure {
    return { name, unit, rounds: this.values[key] ?? [], ...extra }
  }
}

export interface Summary {
  readonly name: string
  readonly unit: string
  readonly min: number
  readonly median: number
  readonly max: number
  readonly rounds: number[]
  readonly note?: string
  readonly target?: string
  readonly met?: boolean
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index] as number
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50)
}

function meets(value: number, target: string): boolean {
  const match = /^(<=|>=)\s*([\d.]+)$/.exec(target.trim())
  if (!match) return true
  const bound = Number(match[2])
  return match[1] === '<=' ? value <= bound : value >= bound
}

export function summarize(figure: Figure): Summary {
  const sorted = [...figure.rounds].sort((a, b) => a - b)
  const mid = percentile(sorted, 50)
  return {
    name: figure.name,
    unit: figure.unit,
    min: sorted[0] ?? Number.NaN,
    median: mid,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    rounds: figure.rounds,
    ...(figure.note ? { note: figure.note } : {}),
    ...(figure.target ? { target: figure.target, met: meets(mid, figure.target) } : {}),
  }
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  const abs = Math.abs(value)
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}k`
  if (abs >= 100) return value.toFixed(0)
  if (abs >= 10) return value.toFixed(1)
  return value.toFixed(abs >= 1 ? 2 : 3)
}

/** A Markdown table of the summaries (the README's Performance section uses it as is). */
export function table(summaries: readonly Summary[]): string {
  const lines = ['| figure | unit | min | median | max | target |', '|---|---|---:|---:|---:|---|']
  for (const s of summaries) {
    const target = s.target ? `${s.target} ${s.met ? '✓' : '✗'}` : ''
    lines.push(`| ${s.name}${s.note ? ` (${s.note})` : ''} | ${s.unit} | ${format(s.min)} | ${format(s.median)} | ${format(s.max)} | ${target} |`)
  }
  return lines.join('\n')
}
