#!/usr/bin/env node
// `npm run bench`: installs what is missing, builds the library (dist/), then runs
// bench/run.ts (flags pass through) with every Node process of the benchmark loading the
// library from dist/ instead of src/ (bench/use-dist.mjs): the library as an app runs it,
// compiled by tsc, not as tsx transforms the source on the fly. `BENCH_SOURCE=1` times
// src/ through tsx instead.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ensureDependencies, root } from './ensure.mjs'

ensureDependencies()
const env = { ...process.env }
if (!process.env.BENCH_SOURCE) {
  const build = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0) process.exit(build.status ?? 1)
  // NODE_OPTIONS reaches every child process the benchmark starts
  env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(join(root, 'bench/use-dist.mjs')).href}`.trim()
}
const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench/run.ts'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', env })
process.exit(result.status ?? 1)
