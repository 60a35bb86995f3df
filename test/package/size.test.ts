/**
 * The size budget of a page that uses `distribunator/browser` (connect, register, call:
 * scripts/size/page.ts), bundled by esbuild with `--bundle --minify --platform=browser
 * --format=esm` and no other option, measured by `npm run size` (scripts/size.mjs) from
 * the sources. The budget is what the page weighs now plus a small margin: a change that
 * passes it shows up here with the packages and files that grew (README, "Bundle size").
 */
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/**
 * Gzipped bytes (level 9) the page may take: the measure rounded up to the next 0.5 kB.
 * Measured 58.04 kB once a member-join said when its newcomer's members were read, so
 * that two joins at once through two hubs link at once (57.94 kB before).
 * Measured 55.5 kB once values that cannot travel were refused at the sender (one walk of
 * every message, 0.7 kB) and a page looked at a hub URL it could not reach (0.4 kB); 54.3 kB with esbuild once connect({ password }) came (its sealing is loaded by a
 * dynamic import, which esbuild without splitting inlines; 52.4 before); 52.4 kB once the direct policy, the unlinked event and the bounds on
 * names per link and mailboxes came (51.3 before; 51.3 once members carried claims, auth could be a function, a
 * node could be kicked and took registrations by a policy (50.5 before; 50.5 once members,
 * relay packets and signals named incarnations, 49.6 before that: private members #private and simple-peer's build ES modules throughout;
 * 51.9 before that; 49.4 when connect() began to relay, 45.7 before that).
 */
const BUDGET = 58_500

interface Row {
  readonly name: string
  readonly minified: number
  readonly gzip: number
}
interface Report {
  readonly esbuild: { readonly minified: number; readonly gzip: number; readonly breakdown: readonly Row[] }
}

describe('bundle size', () => {
  it(`a page that connects, registers and calls stays within ${BUDGET / 1000} kB gzipped (esbuild, no options)`, () => {
    const measured = spawnSync(process.execPath, ['scripts/size.mjs', '--src', '--esbuild-only', '--files', '--json'], { cwd: root, encoding: 'utf8', timeout: 60_000 })
    expect(measured.status, measured.stderr).toBe(0)
    const report = JSON.parse(measured.stdout) as Report
    const { gzip, breakdown } = report.esbuild
    const table = breakdown.map((row) => `${String(row.minified).padStart(7)} ${String(row.gzip).padStart(6)}  ${row.name}`).join('\n')
    expect(gzip, `the page is ${gzip} bytes gzipped, over the budget of ${BUDGET}; by package and file (minified, gzipped alone):\n${table}`).toBeLessThanOrEqual(BUDGET)
    // The measurement itself: the page pulls in the library, its three dependencies and
    // simple-peer's browser build, and nothing from Node.
    const names = breakdown.map((row) => row.name)
    for (const part of ['socket.io-client', 'superjson', 'distribunator core/node/node']) expect(names).toContain(part)
    expect(names.some((name) => name.startsWith('simple-peer (its browser build'))).toBe(true)
    expect(names.filter((name) => /^(readable-stream|buffer|events|process|safe-buffer)$/.test(name))).toEqual([])
  }, 90_000)
})
