/**
 * The README's bench figures come from the results file (bench/readme.ts): the generator
 * rewrites only what lies between its markers, from a small results file
 * (test/fixtures/bench-results.json), and a second run changes nothing; and the committed
 * README.md, bench/results/libraries.svg and libraries.md are what the generator makes of
 * the committed bench/results/latest.json, so a table edited by hand or left behind by a
 * newer results file fails here. No benchmark runs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LATEST, librariesFiles, parseResults, README, renderReadme, updateReadme } from '../bench/readme.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/bench-results.json', import.meta.url))
const REGIONS = ['run', 'table', 'libraries'] as const

const STALE_README = `# A project

## Performance

Hand-written intro.

<!-- bench:run:start -->
The latest run (1999-01-01; 64 cores, Node 12; 9 s in all, about 1 minutes):
<!-- bench:run:end -->

<!-- bench:table:start -->
| figure | unit | min | median | max | target |
|---|---|---:|---:|---:|---|
| 1. an old figure | ms | 1.00 | 2.00 | 3.00 |  |
<!-- bench:table:end -->

What the figures say: hand-written.

### Against PeerJS and trystero

<!-- bench:libraries:start -->
| figure | pasted by hand |
<!-- bench:libraries:end -->

What it shows: hand-written.
`

/** The text between a region's markers. */
function region(text: string, name: string): string {
  const start = `<!-- bench:${name}:start -->`
  const from = text.indexOf(start)
  const to = text.indexOf(`<!-- bench:${name}:end -->`)
  expect(from, `${start} in the text`).toBeGreaterThan(-1)
  expect(to).toBeGreaterThan(from)
  return text.slice(from + start.length, to).trim()
}

/** The text with every region's content left out: what is written by hand. */
function outside(text: string): string {
  return REGIONS.reduce((rest, name) => rest.replace(new RegExp(`(<!-- bench:${name}:start -->)[^]*?(<!-- bench:${name}:end -->)`), '$1$2'), text)
}

describe('bench/readme.ts on a fixture results file', () => {
  let dir: string
  let readme: string

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-readme-'))
    readme = join(dir, 'README.md')
    writeFileSync(readme, STALE_README)
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('rewrites the regions between their markers and nothing else', () => {
    const written = updateReadme({ results: FIXTURE, readme, reportDir: dir })
    expect(written.sort()).toEqual([join(dir, 'README.md'), join(dir, 'libraries.md'), join(dir, 'libraries.svg')].sort())
    const text = readFileSync(readme, 'utf8')

    for (const name of REGIONS) {
      expect(text.split(`<!-- bench:${name}:start -->`)).toHaveLength(2)
      expect(text.split(`<!-- bench:${name}:end -->`)).toHaveLength(2)
    }
    expect(outside(text)).toBe(outside(STALE_README))
    expect(text).not.toContain('1999-01-01')
    expect(text).not.toContain('an old figure')
    expect(text).not.toContain('pasted by hand')

    expect(region(text, 'run')).toBe(
      'Not in the latest run: 7. browser: skipped, no Chromium at /nowhere.\n' +
        'The latest run (2026-12-01; 2 cores, Node 20; 402 s in all, about 7 minutes: items 1–5, 8 61 s, item 10 150 s, item 12 21 s):',
    )
    expect(region(text, 'table')).toBe(
      [
        '| figure | unit | min | median | max | target |',
        '|---|---|---:|---:|---:|---|',
        '| 1. call RTT p50, raw simple-peer echo | ms | 0.200 | 0.250 | 0.300 |  |',
        '| 1. call RTT p50 ratio (ours / raw) | × | 1.05 | 1.10 | 1.20 | <= 1.15 ✓ |',
        '| 12. 400 connects in one process: failed | connects | 0.000 | 0.000 | 0.000 | <= 0 ✓ |',
        '| 12. 400 connects in one process: connect time p99 | ms | NaN | NaN | NaN |  |',
      ].join('\n'),
    )

    const libraries = region(text, 'libraries')
    expect(libraries).toMatch(/^The latest run \(2026-12-01; 3 rounds, 2 cores, 150 s of the run's 402;/)
    expect(libraries).toContain('![Tab to tab in Chromium: distribunator, PeerJS, trystero and a raw RTCPeerConnection](bench/results/libraries.svg)')
    expect(libraries).toContain('| 10.1 two tabs: start until the first answer (ms, lower is better) | 60.0 (50.0–70.0) · **1.20×** |')
    expect(libraries).toContain('| 50.0 (45.0–55.0) |')
    expect(libraries).not.toContain('| 1. call RTT')
    // the table in the README is the one written beside the chart
    expect(libraries).toContain(readFileSync(join(dir, 'libraries.md'), 'utf8').trim())
    expect(readFileSync(join(dir, 'libraries.svg'), 'utf8')).toContain('npm run bench, 2026-12-01, 3 rounds')
  })

  it('changes nothing when run again', () => {
    updateReadme({ results: FIXTURE, readme, reportDir: dir })
    const once = readFileSync(readme, 'utf8')
    const svg = readFileSync(join(dir, 'libraries.svg'), 'utf8')
    const written = updateReadme({ results: FIXTURE, readme, reportDir: dir })
    expect(written).not.toContain(readme)
    expect(readFileSync(readme, 'utf8')).toBe(once)
    expect(readFileSync(join(dir, 'libraries.svg'), 'utf8')).toBe(svg)
    expect(renderReadme(once, parseResults(readFileSync(FIXTURE, 'utf8')))).toBe(once)
  })

  it('says so where the results have no item 10, and leaves the chart alone', () => {
    const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { figures: { name: string }[] }
    const results = join(dir, 'results.json')
    writeFileSync(results, JSON.stringify({ ...fixture, figures: fixture.figures.filter((f) => !f.name.startsWith('10.')) }))
    expect(updateReadme({ results, readme, reportDir: dir })).toEqual([readme])
    expect(region(readFileSync(readme, 'utf8'), 'libraries')).toMatch(/holds no figures of item 10/)
  })

  it('refuses a --quick run and a README without its markers', () => {
    const results = join(dir, 'quick.json')
    writeFileSync(results, JSON.stringify({ ...JSON.parse(readFileSync(FIXTURE, 'utf8')), quick: true }))
    expect(() => updateReadme({ results, readme, reportDir: dir })).toThrow(/--quick/)
    writeFileSync(readme, STALE_README.replace('<!-- bench:table:end -->', ''))
    expect(() => updateReadme({ results: FIXTURE, readme, reportDir: dir })).toThrow(/bench:table:end/)
    expect(readFileSync(readme, 'utf8')).toBe(STALE_README.replace('<!-- bench:table:end -->', ''))
  })
})

describe('the committed README and chart', () => {
  const results = parseResults(readFileSync(LATEST, 'utf8'))

  it('hold the figures of bench/results/latest.json (npm run bench:readme rebuilds them)', () => {
    const readme = readFileSync(README, 'utf8')
    expect(results.quick, 'latest.json is from a --quick run').toBe(false)
    for (const name of REGIONS) {
      expect(region(readme, name), `README region ${name}: run npm run bench:readme`).toBe(region(renderReadme(readme, results), name))
    }
  })

  it('item 10 chart and table are those of latest.json, where it has them', () => {
    for (const [file, text] of Object.entries(librariesFiles(results))) {
      expect(readFileSync(join(fileURLToPath(new URL('../bench/results/', import.meta.url)), file), 'utf8'), `bench/results/${file}: run npm run bench:readme`).toBe(text)
    }
  })
})
