#!/usr/bin/env node
/**
 * `distribunator-hub`: runs a signaling hub.
 *
 *   distribunator-hub [--port 8080] [--host 127.0.0.1] [--redis redis://127.0.0.1:6379]
 *
 * Prints `distribunator hub listening on <url>` once ready; stops cleanly on SIGINT and
 * SIGTERM. A busy port or an unreachable Redis is reported in one line, exit code 1.
 */
import { createHub, type HubLogger, type HubOptions } from './hub.js'

const USAGE = `usage: distribunator-hub [--port N] [--host HOST] [--redis URL]
  --port N      TCP port (default 8080; 0 picks a free one)
  --host HOST   interface to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --redis URL   share one cluster view with other hubs through this Redis server`

function fail(message: string): never {
  process.stderr.write(`distribunator-hub: ${message}\n`)
  process.exit(1)
}

function parseArgs(argv: readonly string[]): HubOptions {
  const options: HubOptions = { port: 8080, host: '127.0.0.1' }
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
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`)
        process.exit(0)
      // falls through (exit never returns)
      default:
        fail(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`)
    }
  }
  return options
}

const stamp = (): string => new Date().toISOString()
const logger: HubLogger = {
  info: (m) => process.stdout.write(`${stamp()} ${m}\n`),
  warn: (m) => process.stderr.write(`${stamp()} warning: ${m}\n`),
  error: (m) => process.stderr.write(`${stamp()} error: ${m}\n`),
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2))
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
