/**
 * The bench figures in the docs come from the results file (bench/readme.ts): the
 * generator rewrites only what lies between its markers, in README.md (a short summary
 * with the chart) and docs/performance.md (every table), from a small results file
 * (test/fixtures/bench-results.json), and a second run changes nothing; and the committed
 * README.md, docs/performance.md, bench/results/libraries.svg and libraries.md are what the
 * generator makes of the committed bench/results/latest.json, so a table edited by hand or
 * left behind by a newer results file fails here. No benchmark runs.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LATEST, librariesFiles, parseResults, PERFORMANCE, README, renderPerformance, renderReadme, updateReadme } from '../../bench/readme.js'

const FIXTURE = fileURLToPath(new URL('../fixtures/bench-results.json', import.meta.url))
const README_REGIONS = ['summary'] as const
const PERFORMANCE_REGIONS = ['run', 'table', 'libraries'] as const
const CHART_ALT = 'Tab to tab in Chromium: distribunator, PeerJS, trystero and a raw RTCPeerConnection'

const STALE_README = `# A project

## Performance

<!-- bench:summary:start -->
Pasted by hand: 1999-01-01, 9 cores.
<!-- bench:summary:end -->

Every figure: [docs/performance.md](docs/performance.md).
`

const STALE_PERFORMANCE = `# Performance

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

## Against PeerJS and trystero

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
function outside(text: string, regions: readonly string[]): string {
  return regions.reduce((rest, name) => rest.replace(new RegExp(`(<!-- bench:${name}:start -->)[^]*?(<!-- bench:${name}:end -->)`), '$1$2'), text)
}

describe('bench/readme.ts on a fixture results file', () => {
  let dir: string
  let readme: string
  let performance: string
  /** The generator's files in the temporary folder. */
  const update = (results = FIXTURE): string[] => updateReadme({ results, readme, performance, reportDir: dir })

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-readme-'))
    readme = join(dir, 'README.md')
    performance = join(dir, 'performance.md')
    writeFileSync(readme, STALE_README)
    writeFileSync(performance, STALE_PERFORMANCE)
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('rewrites the regions of both documents between their markers and nothing else', () => {
    const written = update()
    expect(written.sort()).toEqual([readme, join(dir, 'libraries.md'), join(dir, 'libraries.svg'), performance].sort())
    const docs = [
      { text: readFileSync(readme, 'utf8'), stale: STALE_README, regions: README_REGIONS },
      { text: readFileSync(performance, 'utf8'), stale: STALE_PERFORMANCE, regions: PERFORMANCE_REGIONS },
    ]
    for (const { text, stale, regions } of docs) {
      for (const name of regions) {
        expect(text.split(`<!-- bench:${name}:start -->`)).toHaveLength(2)
        expect(text.split(`<!-- bench:${name}:end -->`)).toHaveLength(2)
      }
      expect(outside(text, regions)).toBe(outside(stale, regions))
      expect(text).not.toContain('1999-01-01')
      expect(text).not.toContain('an old figure')
      expect(text).not.toContain('pasted by hand')
    }
    const text = readFileSync(performance, 'utf8')

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
    // docs/performance.md is one folder down from the chart's path in the package
    expect(libraries).toContain(`![${CHART_ALT}](../bench/results/libraries.svg)`)
    expect(libraries).toContain('| 10.1 two tabs started together: a first message answered both ways (ms, lower is better) | 60.0 (50.0–70.0) · **1.20×** |')
    expect(libraries).toContain('| 50.0 (45.0–55.0) |')
    expect(libraries).not.toContain('| 1. call RTT')
    // the table in the document is the one written beside the chart
    expect(libraries).toContain(readFileSync(join(dir, 'libraries.md'), 'utf8').trim())
    expect(readFileSync(join(dir, 'libraries.svg'), 'utf8')).toContain('npm run bench, 2026-12-01, 3 rounds')

    expect(region(readFileSync(readme, 'utf8'), 'summary')).toBe(
      [
        `![${CHART_ALT}](bench/results/libraries.svg)`,
        '',
        'Medians of the latest run (2026-12-01; 2 cores, Node 20):',
        '',
        '- tab to tab in Chromium: two tabs started together answering each other 60.0 ms after `connect()` (1.20× bare data channels);',
        '- targets met: 2 of 2.',
      ].join('\n'),
    )
  })

  it("writes the README's summary from the figures it finds, each with its comparison", () => {
    const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { figures: object[] }
    const figure = (name: string, unit: string, median: number, extra: object = {}): object => ({ name, unit, min: median, median, max: median, rounds: [median], ...extra })
    const results = join(dir, 'results.json')
    writeFileSync(
      results,
      JSON.stringify({
        ...fixture,
        figures: [
          ...fixture.figures,
          figure('1. call RTT p50, distribunator call', 'ms', 0.3),
          figure('2. casts/s, distribunator cast', 'msg/s', 412_345),
          figure('10.2 request/response round trip p50, distribunator', 'ms', 0.5),
          figure('10.2 request/response round trip p50, PeerJS', 'ms', 0.6),
          figure('10.2 request/response round trip p50, raw RTCPeerConnection', 'ms', 0.4),
          figure('10.3 20,000 messages of ~50 B one way, distribunator, ratio', '×', 4.5, { target: '>= 3', met: true }),
          figure('10.3 20,000 messages of ~50 B one way, distribunator', 'msg/s', 100_000),
          figure('10.5 mesh of 6 tabs started together: a first message answered in each of the 30 ordered pairs, distribunator', 'ms', 900),
          figure('10.5 mesh of 6 tabs started together: a first message answered in each of the 30 ordered pairs, distribunator, ratio', '×', 1.8, { target: '<= 1', met: false }),
          figure('10.5 mesh of 6 tabs started together, distribunator / PeerJS', '×', 1.4, { note: 'the same round', target: '<= 1', met: false }),
        ],
      }),
    )
    update(results)
    const summary = region(readFileSync(readme, 'utf8'), 'summary')
    expect(summary).toContain(
      "- tab to tab in Chromium: a call's round trip 0.500 ms p50 (PeerJS 0.600, a bare data channel 0.400); 20,000 small casts at 100k msg/s (4.50× a bare data channel); " +
        'two tabs started together answering each other 60.0 ms after `connect()` (1.20× bare data channels); six tabs all answering each other 900 ms after `connect()` (1.80× bare data channels, 1.40× PeerJS);',
    )
    expect(region(readFileSync(performance, 'utf8'), 'libraries')).toContain("Mesh of 6 tabs, distribunator's time over PeerJS's in the same round: 1.40× (1.40–1.40), target <= 1 ✗.")
    expect(summary).toContain("- Node to Node over WebRTC on loopback: a call's round trip 0.300 ms p50 (1.10× a bare simple-peer echo); 412k casts/s;")
    expect(summary).toContain('- targets met: 3 of 5.')
  })

  it('changes nothing when run again', () => {
    update()
    const once = { readme: readFileSync(readme, 'utf8'), performance: readFileSync(performance, 'utf8'), svg: readFileSync(join(dir, 'libraries.svg'), 'utf8') }
    const written = update()
    expect(written).not.toContain(readme)
    expect(written).not.toContain(performance)
    expect(readFileSync(readme, 'utf8')).toBe(once.readme)
    expect(readFileSync(performance, 'utf8')).toBe(once.performance)
    expect(readFileSync(join(dir, 'libraries.svg'), 'utf8')).toBe(once.svg)
    const parsed = parseResults(readFileSync(FIXTURE, 'utf8'))
    expect(renderReadme(once.readme, parsed)).toBe(once.readme)
    expect(renderPerformance(once.performance, parsed)).toBe(once.performance)
  })

  it('says so where the results have no item 10, and leaves the chart alone', () => {
    const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { figures: { name: string }[] }
    const results = join(dir, 'results.json')
    writeFileSync(results, JSON.stringify({ ...fixture, figures: fixture.figures.filter((f) => !f.name.startsWith('10.')) }))
    expect(update(results).sort()).toEqual([readme, performance].sort())
    expect(existsSync(join(dir, 'libraries.svg'))).toBe(false)
    expect(region(readFileSync(performance, 'utf8'), 'libraries')).toMatch(/holds no figures of item 10/)
    expect(region(readFileSync(readme, 'utf8'), 'summary')).not.toContain('libraries.svg')
  })

  it('refuses a --quick run, and documents without their markers, writing nothing', () => {
    const results = join(dir, 'quick.json')
    writeFileSync(results, JSON.stringify({ ...JSON.parse(readFileSync(FIXTURE, 'utf8')), quick: true }))
    expect(() => update(results)).toThrow(/--quick/)
    const broken = STALE_PERFORMANCE.replace('<!-- bench:table:end -->', '')
    writeFileSync(performance, broken)
    expect(() => update()).toThrow(/docs\/performance\.md: expected one <!-- bench:table:start --> followed by one <!-- bench:table:end -->/)
    expect(readFileSync(performance, 'utf8')).toBe(broken)
    expect(readFileSync(readme, 'utf8')).toBe(STALE_README)
    writeFileSync(performance, STALE_PERFORMANCE)
    writeFileSync(readme, STALE_README.replace('<!-- bench:summary:start -->', ''))
    expect(() => update()).toThrow(/README: expected one <!-- bench:summary:start -->/)
    expect(readFileSync(performance, 'utf8')).toBe(STALE_PERFORMANCE)
  })
})

describe('the committed README, docs/performance.md and chart', () => {
  const results = parseResults(readFileSync(LATEST, 'utf8'))

  it('hold the figures of bench/results/latest.json (npm run bench:readme rebuilds them)', () => {
    expect(results.quick, 'latest.json is from a --quick run').toBe(false)
    const readme = readFileSync(README, 'utf8')
    for (const name of README_REGIONS) {
      expect(region(readme, name), `README region ${name}: run npm run bench:readme`).toBe(region(renderReadme(readme, results), name))
    }
    const performance = readFileSync(PERFORMANCE, 'utf8')
    for (const name of PERFORMANCE_REGIONS) {
      expect(region(performance, name), `docs/performance.md region ${name}: run npm run bench:readme`).toBe(region(renderPerformance(performance, results), name))
    }
  })

  it('item 10 chart and table are those of latest.json, where it has them', () => {
    for (const [file, text] of Object.entries(librariesFiles(results))) {
      expect(readFileSync(join(fileURLToPath(new URL('../../bench/results/', import.meta.url)), file), 'utf8'), `bench/results/${file}: run npm run bench:readme`).toBe(text)
    }
  })
})
