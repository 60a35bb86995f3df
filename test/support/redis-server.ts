/**
 * A real Redis server for the multi-hub tests: the Debian package's /usr/bin/redis-server,
 * started on a free port with a temp dir and no persistence. A missing redis-server is an
 * error, never a skip: it is a required part of the test machine.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** `$REDIS_SERVER`, else Debian's path; `npm test` installs it there when it is missing. */
export const REDIS_SERVER = process.env.REDIS_SERVER || '/usr/bin/redis-server'

export interface RedisServer {
  readonly port: number
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  /** Starts it (again, on the same port) and waits until it accepts connections. */
  start(): Promise<void>
  /** SIGKILLs it and waits for the exit; `start()` brings it back. */
  kill(): Promise<void>
  /** Kills it and removes its temp dir. */
  dispose(): Promise<void>
}

/** A free TCP port on 127.0.0.1 (free when this resolves; taken again by whoever binds first). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * Starts a private redis-server and resolves once it is ready.
 *
 * @example
 * const redis = await startRedisServer()
 * const hub = await createHub({ port: 0, redisUrl: redis.url })
 * // ...
 * await redis.dispose()
 */
export async function startRedisServer(): Promise<RedisServer> {
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(`${REDIS_SERVER} is missing: run npm test as root (it installs Debian's redis-server), install it yourself, or set REDIS_SERVER`)
  }
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'distribunator-redis-'))
  let child: ChildProcess | undefined

  async function start(): Promise<void> {
    const proc = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = proc
    let output = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 5000)
      proc.stdout?.on('data', (d: Buffer) => {
        output += d.toString()
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer)
          resolve()
        }
      })
      proc.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`redis-server exited with ${code}:\n${output}`))
      })
    })
  }

  async function kill(): Promise<void> {
    const proc = child
    child = undefined
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return
    const exited = new Promise((resolve) => proc.once('exit', resolve))
    proc.kill('SIGKILL')
    await exited
  }

  try {
    await start()
  } catch (error) {
    await kill()
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    kill,
    async dispose() {
      await kill()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
