/**
 * The Redis link behind the Socket.IO adapter that lets several hub instances act as one
 * (`createHub({ redisUrl })`). `redis` and `@socket.io/redis-adapter` are optional peer
 * dependencies of the package, loaded only when a URL is given.
 */
import type { ServerOptions } from 'socket.io'
import { errorMessage } from '../../core/api/errors.js'
import type { HubLogger } from './options.js'
import type { TimerHandle } from '../../core/util/async.js'

/** The hub's link to Redis: the adapter, and whether Redis is reachable right now. */
export interface RedisLink {
  readonly adapter: ServerOptions['adapter']
  isUp(): boolean
  close(): Promise<void>
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: TimerHandle | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** The optional peer dependencies a hub with a Redis URL needs. */
const REDIS_PACKAGES = ['redis', '@socket.io/redis-adapter'] as const

/** Whether `error` says that `name` itself could not be found (not one of its own imports). */
function isMissing(error: unknown, name: string): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false
  if (error.code !== 'ERR_MODULE_NOT_FOUND' && error.code !== 'MODULE_NOT_FOUND') return false
  return errorMessage(error).includes(`'${name}'`)
}

/**
 * Imports `redis` and `@socket.io/redis-adapter`. When either is not installed, rejects
 * with an error that names what is missing and the command that installs both.
 */
async function loadRedisPackages(): Promise<[typeof import('redis'), typeof import('@socket.io/redis-adapter')]> {
  const [redis, adapter] = await Promise.allSettled([import('redis'), import('@socket.io/redis-adapter')])
  if (redis.status === 'fulfilled' && adapter.status === 'fulfilled') return [redis.value, adapter.value]
  const failures = [redis, adapter].map((result) => (result.status === 'rejected' ? result.reason : undefined))
  const missing = REDIS_PACKAGES.filter((name, index) => isMissing(failures[index], name))
  if (missing.length > 0) {
    throw new Error(
      `a hub with a Redis URL (redisUrl, --redis) needs the packages ${REDIS_PACKAGES.join(' and ')}, optional peer dependencies ` +
        `of distribunator; ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not installed: npm install ${REDIS_PACKAGES.join(' ')}`,
      { cause: failures.find((reason) => reason !== undefined) },
    )
  }
  throw failures.find((reason) => reason !== undefined)
}

/**
 * Connects the pub/sub clients of the Redis adapter. While Redis is away the hub keeps
 * serving its own connections: commands fail at once (no offline queue), every promise
 * the adapter drops is caught, the outage and the recovery are logged once each, and
 * `onRecover` runs shortly after both clients are back.
 */
export async function connectRedis(url: string, log: HubLogger, onRecover: () => void): Promise<RedisLink> {
  const [{ createClient }, { createAdapter }] = await loadRedisPackages()
  const pub = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000) },
  })
  const sub = pub.duplicate()
  const where = url.replace(/\/\/[^@/]*@/, '//***@')
  let started = false
  let up = false
  let lastError = ''
  let recoverTimer: TimerHandle | undefined
  const refresh = (): void => {
    const now = pub.isReady && sub.isReady
    if (!started || now === up) return
    up = now
    if (!now) {
      clearTimeout(recoverTimer)
      log.error(`Redis at ${where} unreachable${lastError ? ` (${lastError})` : ''}; serving this hub's connections only until it returns`)
    } else {
      log.info(`Redis at ${where} reachable again; resyncing the cluster view`)
      recoverTimer = setTimeout(onRecover, 500)
      recoverTimer.unref()
    }
  }
  for (const client of [pub, sub]) {
    client.on('error', (error: unknown) => {
      lastError = errorMessage(error)
      refresh()
    })
    client.on('ready', refresh)
    client.on('end', refresh)
    client.on('reconnecting', refresh)
  }
  try {
    await withTimeout(Promise.all([pub.connect(), sub.connect()]), 5000, 'connecting')
  } catch (error) {
    pub.destroy()
    sub.destroy()
    throw new Error(`cannot reach Redis at ${where}: ${lastError || errorMessage(error)}`, { cause: error })
  }
  started = true
  up = true

  // The adapter ignores the promises of the commands it sends; a failed one must not
  // become an unhandled rejection, so it sees these views with every promise caught.
  const quiet = <T>(promise: Promise<T>): Promise<T> => {
    promise.catch(() => {})
    return promise
  }
  type Listener = (message: Buffer, channel: Buffer) => void
  const view = (client: typeof pub) => ({
    publish: (channel: string, message: string | Buffer) => quiet(client.publish(channel, message)),
    sendCommand: (args: string[]) => quiet(client.sendCommand(args)),
    subscribe: (channels: string | string[], listener: Listener, buffers: true) => quiet(client.subscribe(channels, listener, buffers)),
    unsubscribe: (channels: string | string[], listener: Listener, buffers: true) => quiet(client.unsubscribe(channels, listener, buffers)),
    pSubscribe: (patterns: string | string[], listener: Listener, buffers: true) => quiet(client.pSubscribe(patterns, listener, buffers)),
    pUnsubscribe: (patterns: string | string[], listener: Listener, buffers: true) => quiet(client.pUnsubscribe(patterns, listener, buffers)),
    sSubscribe: (channels: string | string[], listener: Listener, buffers: true) => quiet(client.sSubscribe(channels, listener, buffers)),
    sUnsubscribe: (channels: string | string[], listener: Listener, buffers: true) => quiet(client.sUnsubscribe(channels, listener, buffers)),
    on: (event: string, listener: (...args: unknown[]) => void) => client.on(event, listener),
    off: (event: string, listener: (...args: unknown[]) => void) => client.off(event, listener),
  })

  return {
    adapter: createAdapter(view(pub), view(sub), { key: 'distribunator', requestsTimeout: 3000 }),
    isUp: () => up,
    async close() {
      started = false
      clearTimeout(recoverTimer)
      for (const client of [sub, pub]) {
        try {
          if (!client.isReady) throw new Error('not connected')
          await withTimeout(client.close(), 1000, 'closing Redis')
        } catch {
          client.destroy()
        }
      }
    },
  }
}
