// Installs what `npm start`, `npm test` and `npm run bench` need and a fresh clone lacks.
// Uses only Node built-ins: it runs before `node_modules` exists.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Runs `npm ci` when node_modules is absent. */
export function ensureDependencies() {
  if (existsSync(join(root, 'node_modules', '.package-lock.json'))) return
  console.log('node_modules is missing: running npm ci')
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
  })
  if (result.status !== 0) {
    console.error('npm ci failed')
    process.exit(1)
  }
}

/** Installs Debian packages with apt-get when running as root on Linux; returns whether it ran. */
function aptInstall(packages) {
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return false
  console.log(`installing Debian ${packages.join(', ')} with apt-get`)
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' })
    execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  } catch {
    // reported by the caller, which checks for the binary
  }
  return true
}

/**
 * Finds a Chromium for the end-to-end tests: $CHROMIUM_PATH, else /usr/bin/chromium,
 * else Playwright's own download if one is installed, else Debian's `chromium` through
 * apt-get when running as root. Returns its path, or exits with a clear message.
 */
export function ensureChromium() {
  const fromEnv = process.env.CHROMIUM_PATH
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv
    console.error(`CHROMIUM_PATH=${fromEnv} does not exist`)
    process.exit(1)
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium'
  try {
    const require = createRequire(join(root, 'package.json'))
    const { chromium } = require('playwright-core')
    const own = chromium.executablePath()
    if (own && existsSync(own)) return own
  } catch {
    // no Playwright browser downloaded
  }
  if (aptInstall(['chromium']) && existsSync('/usr/bin/chromium')) return '/usr/bin/chromium'
  console.error('No Chromium found. Set CHROMIUM_PATH, install Debian/Ubuntu `chromium`, or run `npx playwright install chromium`.')
  process.exit(1)
}

/** Where the tests look for redis-server (test/support/redis-server.ts reads REDIS_SERVER too). */
export const REDIS_SERVER = process.env.REDIS_SERVER || '/usr/bin/redis-server'

/**
 * Makes sure a real redis-server exists for the multi-hub tests: $REDIS_SERVER, else
 * /usr/bin/redis-server, else Debian's `redis-server` through apt-get when running as
 * root. Returns its path, or exits with a clear message.
 */
export function ensureRedis() {
  if (existsSync(REDIS_SERVER)) return REDIS_SERVER
  if (!process.env.REDIS_SERVER && aptInstall(['redis-server']) && existsSync(REDIS_SERVER)) return REDIS_SERVER
  console.error(`No redis-server at ${REDIS_SERVER}. Install Debian/Ubuntu \`redis-server\` (apt-get install redis-server) or set REDIS_SERVER to its path.`)
  process.exit(1)
}

/**
 * Makes sure `unshare` and `ip` exist for the network-namespace test (a member that can
 * reach the hub and no peer): Debian's util-linux and iproute2 through apt-get when
 * running as root. Exits with a clear message when they cannot be had.
 */
export function ensureNetns() {
  const has = (tool) => ['/usr/bin', '/usr/sbin', '/bin', '/sbin'].some((dir) => existsSync(join(dir, tool)))
  const missing = [['unshare', 'util-linux'], ['ip', 'iproute2']].filter(([tool]) => !has(tool)).map(([, pkg]) => pkg)
  if (missing.length === 0) return
  if (aptInstall(missing) && has('unshare') && has('ip')) return
  console.error(`The network-namespace test needs ${missing.join(' and ')} (apt-get install ${missing.join(' ')}).`)
  process.exit(1)
}

/** Where the TURN tests look for coturn's turnserver (test/support/turn-server.ts reads TURNSERVER too). */
export const TURNSERVER = process.env.TURNSERVER || '/usr/bin/turnserver'

/**
 * Makes sure coturn's turnserver exists for the TURN tests: $TURNSERVER, else
 * /usr/bin/turnserver, else Debian's `coturn` through apt-get when running as root.
 * Returns its path, or exits with a clear message.
 */
export function ensureTurn() {
  if (existsSync(TURNSERVER)) return TURNSERVER
  if (!process.env.TURNSERVER && aptInstall(['coturn']) && existsSync(TURNSERVER)) return TURNSERVER
  console.error(`No turnserver at ${TURNSERVER}. Install Debian/Ubuntu \`coturn\` (apt-get install coturn) or set TURNSERVER to its path.`)
  process.exit(1)
}
