#!/usr/bin/env node
/**
 * `distribunator-hub`: runs a signaling hub.
 *
 *   distribunator-hub [--port 8080] [--host 127.0.0.1] [--redis redis://127.0.0.1:6379]
 *                     [--allowed-origin https://app.example.com]... [--max-connections 10000]
 *                     [--max-connections-per-address 1000] [--address-notice-burst 50000]
 *                     [--address-notices-per-second 5000] [--trust-proxy]
 *                     [--ping-interval 2000] [--ping-timeout 3000] [--verbose]
 *                     [--jwt-secret-file F | --jwt-public-key-file F]
 *
 * Prints `distribunator hub listening on <url>` once ready; stops cleanly on SIGINT and
 * SIGTERM. A busy port or an unreachable Redis is reported in one line, exit code 1.
 * `--verbose` turns on the debug log `distribunator:*` (joins, refusals, leaves, closed
 * connections, on stderr), as `DEBUG=distribunator*` does.
 */
import { readFileSync } from 'node:fs'
import createDebug from 'debug'
import { createHub, type HubLogger, type HubOptions } from './hub/hub.js'
import { HUB_DEFAULTS } from './hub/options.js'
import { forwardedFor } from './hub/address-budget.js'

const USAGE = `usage: distribunator-hub [--port N] [--host HOST] [--redis URL] [--allowed-origin ORIGIN]...
                         [--max-connections N] [--max-connections-per-address N]
                         [--address-notice-burst N] [--address-notices-per-second N] [--trust-proxy]
                         [--ping-interval MS] [--ping-timeout MS] [--verbose]
                         [--jwt-secret-file F | --jwt-public-key-file F]
  --port N                TCP port (default ${HUB_DEFAULTS.port}; 0 picks a free one)
  --host HOST             interface to listen on (default ${HUB_DEFAULTS.host}; 0.0.0.0 for every interface)
  --redis URL             share one cluster view with other hubs through this Redis server
  --allowed-origin ORIGIN a web page origin that may connect, e.g. https://app.example.com;
                          repeat for several; '*' for any (default: pages on loopback hosts
                          and on HOST; clients without an Origin header are always allowed)
  --max-connections N     connections held at once; more are refused (default ${HUB_DEFAULTS.maxConnections})
  --max-connections-per-address N
                          connections one client address holds at once (default ${HUB_DEFAULTS.maxConnectionsPerAddress})
  --address-notice-burst N
                          member notices one address may make the hub send at once: a
                          connection costs 10, a join into a cluster of N others 2N + 1
                          (default ${HUB_DEFAULTS.addressNoticeBurst})
  --address-notices-per-second N
                          the same budget's refill rate (default ${HUB_DEFAULTS.addressNoticesPerSecond})
  --trust-proxy           every client comes through a proxy that appends its address to
                          X-Forwarded-For: budgets are kept for that address, not the proxy's
  --ping-interval MS      how often each connection is pinged (default ${HUB_DEFAULTS.pingIntervalMs})
  --ping-timeout MS       how long a ping may go unanswered before the connection is dropped
                          (default ${HUB_DEFAULTS.pingTimeoutMs})
  --jwt-secret-file F      admit only clients whose auth is a JWT signed (HS256) with the secret
                          in file F (at least 32 characters): its sub must be the node id, exp
                          and nbf must hold, a cluster claim must be the cluster, and its other
                          claims become the member's claims
  --jwt-public-key-file F the same with an RS256 or ES256 public key (PEM) in file F
  --verbose               log each join, refusal, leave and closed connection on stderr
                          (the debug log distribunator:*, as DEBUG=distribunator* does)`

function fail(message: string): never {
  process.stderr.write(`distribunator-hub: ${message}\n`)
  process.exit(1)
}

function positiveInteger(flag: string, text: string): number {
  const value = Number(text)
  if (!/^\d+$/.test(text) || value < 1 || !Number.isSafeInteger(value)) fail(`${flag} needs a positive whole number, got ${JSON.stringify(text)}`)
  return value
}

function parseArgs(argv: readonly string[]): { options: HubOptions; verbose: boolean } {
  const options: HubOptions = { port: HUB_DEFAULTS.port, host: HUB_DEFAULTS.host }
  let verbose = false
  const origins: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    const value = (): string => {
      const v = inline ?? argv[++i]
      if (v === undefined || v === '') fail(`${flag} needs a value\n${USAGE}`)
      return v
    }
    switch (flag) {
      case '--port': {
        const text = value()
        const port = Number(text)
        if (!/^\d+$/.test(text) || port > 65535) fail(`invalid port ${JSON.stringify(text)}`)
        options.port = port
        break
      }
      case '--host':
        options.host = value()
        break
      case '--redis':
        options.redisUrl = value()
        break
      case '--allowed-origin': {
        const origin = value()
        if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) fail(`invalid origin ${JSON.stringify(origin)}: expected scheme://host[:port] or '*'`)
        origins.push(origin)
        options.allowedOrigins = origins
        break
      }
      case '--max-connections':
        options.maxConnections = positiveInteger(flag, value())
        break
      case '--max-connections-per-address':
        options.maxConnectionsPerAddress = positiveInteger(flag, value())
        break
      case '--address-notice-burst':
        options.addressNoticeBurst = positiveInteger(flag, value())
        break
      case '--address-notices-per-second':
        options.addressNoticesPerSecond = positiveInteger(flag, value())
        break
      case '--trust-proxy':
        if (inline !== undefined) fail(`--trust-proxy takes no value\n${USAGE}`)
        options.clientAddress = forwardedFor
        break
      case '--ping-interval':
        options.pingIntervalMs = positiveInteger(flag, value())
        break
      case '--ping-timeout':
        options.pingTimeoutMs = positiveInteger(flag, value())
        break
      case '--jwt-secret-file':
      case '--jwt-public-key-file': {
        if (options.jwt !== undefined) fail(`give one of --jwt-secret-file and --jwt-public-key-file\n${USAGE}`)
        const file = value()
        let text = ''
        try {
          text = readFileSync(file, 'utf8')
        } catch (error) {
          fail(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`)
        }
        options.jwt = flag === '--jwt-secret-file' ? { secret: text.trim() } : { publicKey: text }
        break
      }
      case '--verbose':
        if (inline !== undefined) fail(`--verbose takes no value\n${USAGE}`)
        verbose = true
        break
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`)
        process.exit(0)
      // falls through (exit never returns)
      default:
        fail(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`)
    }
  }
  return { options, verbose }
}

const stamp = (): string => new Date().toISOString()
const logger: HubLogger = {
  info: (m) => process.stdout.write(`${stamp()} ${m}\n`),
  warn: (m) => process.stderr.write(`${stamp()} warning: ${m}\n`),
  error: (m) => process.stderr.write(`${stamp()} error: ${m}\n`),
}

async function main(): Promise<void> {
  const { options, verbose } = parseArgs(process.argv.slice(2))
  // Added to what DEBUG turns on already (debug.enable replaces it).
  if (verbose) createDebug.enable([process.env.DEBUG, 'distribunator:*'].filter(Boolean).join(','))
  let hub
  try {
    hub = await createHub({ ...options, logger })
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error))
  }
  process.stdout.write(`distribunator hub listening on ${hub.url}\n`)
  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    logger.info(`${signal} received, closing`)
    const force = setTimeout(() => fail('could not close within 5 s'), 5000)
    force.unref()
    hub.close().then(
      () => process.exit(0),
      (error: unknown) => fail(`close failed: ${error instanceof Error ? error.message : String(error)}`),
    )
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

void main()
