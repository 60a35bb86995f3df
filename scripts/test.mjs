#!/usr/bin/env node
// `npm test`: installs what is missing, then runs every test: the unit and integration
// suites (vitest) and the end-to-end suite (Playwright, Chromium). Flags:
//   --unit-only   skip the end-to-end suite
//   --e2e-only    run only the end-to-end suite
// Prints one closing line: "tests: N passed, N failed" plus the test files or suites that
// failed outside any test (a failing setup skips its tests), so a red run never reads
// "0 failed".
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { ensureChromium, ensureDependencies, ensureNetns, ensureRedis, ensureTurn, root } from './ensure.mjs'

const args = new Set(process.argv.slice(2))
const runUnit = !args.has('--e2e-only')
const runE2e = !args.has('--unit-only') && readdirSync(join(root, 'e2e')).some((f) => f.endsWith('.spec.ts'))

ensureDependencies()
// coturn's turnserver: the TURN tests of both suites start one
const turnServer = ensureTurn()

const results = join(root, 'test-results')
mkdirSync(results, { recursive: true })
let passed = 0
let failed = 0
/** Test files (vitest) and suites (Playwright) that failed outside any single test. */
let brokenFiles = 0
let ok = true

function run(command, commandArgs, env = {}) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } })
  return result.status === 0
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return undefined
  }
}

if (runUnit) {
  const redis = ensureRedis()
  ensureNetns()
  const report = join(results, 'vitest.json')
  rmSync(report, { force: true })
  const success = run(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], { REDIS_SERVER: redis, TURNSERVER: turnServer })
  const json = readJson(report)
  if (json) {
    passed += json.numPassedTests ?? 0
    failed += json.numFailedTests ?? 0
    // A file whose setup or collection failed has status "failed" but may count no failed test.
    for (const file of json.testResults ?? []) {
      const failedTests = (file.assertionResults ?? []).filter((t) => t.status === 'failed').length
      if (file.status === 'failed' && failedTests === 0) brokenFiles++
    }
  } else if (!success) brokenFiles++
  ok &&= success
}

if (runE2e) {
  const chromium = ensureChromium()
  const built = run(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'])
  ok &&= built
  if (built) {
    const report = join(results, 'playwright.json')
    rmSync(report, { force: true })
    const success = run(process.execPath, [join(root, 'node_modules/@playwright/test/cli.js'), 'test', '--reporter=list,json'], {
      CHROMIUM_PATH: chromium,
      TURNSERVER: turnServer,
      PLAYWRIGHT_JSON_OUTPUT_NAME: report,
    })
    const stats = readJson(report)?.stats
    if (stats) {
      passed += (stats.expected ?? 0) + (stats.flaky ?? 0)
      failed += stats.unexpected ?? 0
      // Errors outside a test (a failing global setup, a spec that does not load).
      brokenFiles += readJson(report)?.errors?.length ?? 0
    } else if (!success) brokenFiles++
    ok &&= success
  } else brokenFiles++
}

// Whatever the reports say, a non-zero exit of a runner is a failure that must show.
if (!ok && failed === 0 && brokenFiles === 0) brokenFiles = 1
const broken = brokenFiles > 0 ? `, ${brokenFiles} test file${brokenFiles === 1 ? '' : 's'} or suite${brokenFiles === 1 ? '' : 's'} failed outside any test` : ''
console.log(`\ntests: ${passed} passed, ${failed} failed${broken}`)
process.exit(ok && failed === 0 && brokenFiles === 0 ? 0 : 1)
