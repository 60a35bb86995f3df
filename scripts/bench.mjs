#!/usr/bin/env node
// `npm run bench`: installs what is missing, then runs bench/run.ts (flags pass through).
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { ensureDependencies, root } from './ensure.mjs'

ensureDependencies()
const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench/run.ts'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' })
process.exit(result.status ?? 1)
