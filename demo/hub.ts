/**
 * The demo's hub: the library's hub with an admission that stamps a role on every member
 * (its claims, which every node reads with `claimsOf`): `server` for a member whose `auth`
 * is the run's server key (the Node worker), `player` for everyone else (the tabs).
 * Together with every node's `acceptRegistration` (shared.ts), a tab can never take the
 * counter's name, whatever it registers.
 *
 *   DEMO_SERVER_KEY=... node --import tsx demo/hub.ts [--port 8080] [--host 127.0.0.1]
 *
 * Prints `distribunator hub listening on <url>` once ready; stops on SIGINT and SIGTERM.
 */
import { timingSafeEqual } from 'node:crypto'
import { parseArgs } from 'node:util'
import { createHub } from '../src/server/index.js'
import { DEFAULT_HUB_PORT, type Role } from './shared.js'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: String(DEFAULT_HUB_PORT) },
    host: { type: 'string', default: '127.0.0.1' },
  },
})

const key = process.env.DEMO_SERVER_KEY ?? ''
if (key.length < 16) {
  console.error('demo hub: DEMO_SERVER_KEY must be set to a secret of at least 16 characters (npm start makes one)')
  process.exit(1)
}

/** Whether `auth` is the server key, compared in constant time. */
function isServerKey(auth: unknown): boolean {
  if (typeof auth !== 'string') return false
  const given = Buffer.from(auth)
  const expected = Buffer.from(key)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

const hub = await createHub({
  port: Number(values.port),
  host: values.host,
  authorize: ({ auth }) => {
    const role: Role = isServerKey(auth) ? 'server' : 'player'
    return { claims: { role } }
  },
}).catch((error: unknown) => {
  console.error(`demo hub: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
console.log(`distribunator hub listening on ${hub.url}`)

const stop = (): void => {
  const force = setTimeout(() => process.exit(0), 3000)
  force.unref()
  void hub.close().then(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
