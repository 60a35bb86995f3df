/**
 * What lets several hub instances act as one (`createHub({ redisUrl })`): the claims each
 * connection publishes in `socket.data`, read back through the Socket.IO adapter, and the
 * Redis link behind that adapter. Without `redisUrl` the same code reads the in-memory
 * adapter; `redis` and `@socket.io/redis-adapter` are loaded only when a URL is given.
 */
import type { Server, ServerOptions } from 'socket.io'
import { isHubName, isJoinKey } from '../core/signaling/hub-protocol.js'
import type { HubLogger } from './hub.js'

/** What a connection publishes in `socket.data`; other hubs read it through the adapter. */
export interface Claim {
  readonly sid: string
  readonly cluster: string
  readonly id: string
  readonly key: string
  readonly stamp: number
  readonly state: 'claim' | 'member'
}

/** A claim read from the cluster view, with the means to reach its connection on any hub. */
export interface ClaimHandle extends Claim {
  disconnect(): void
  emit(event: string, payload: unknown): void
}

let lastStamp = 0
/** Strictly increasing within a process, close to wall time across processes. */
export function nextStamp(): number {
  const now = Date.now()
  lastStamp = now > lastStamp ? now : lastStamp + 0.001
  return lastStamp
}

/** Claim order: the hub timestamp, then the socket id, so racing claimants agree on the winner. */
export function isOlder(a: Claim, b: Claim): boolean {
  return a.stamp < b.stamp || (a.stamp === b.stamp && a.sid < b.sid)
}

function readClaim(sid: string, data: unknown): Claim | null {
  if (typeof data !== 'object' || data === null) return null
  const cluster: unknown = Reflect.get(data, 'cluster')
  const id: unknown = Reflect.get(data, 'id')
  const key: unknown = Reflect.get(data, 'key')
  const stamp: unknown = Reflect.get(data, 'stamp')
  const state: unknown = Reflect.get(data, 'state')
  if (!isHubName(cluster) || !isHubName(id) || !isJoinKey(key) || typeof stamp !== 'number') return null
  if (state !== 'claim' && state !== 'member') return null
  return { sid, cluster, id, key, stamp, state }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * Returns the reader of the claims in a room, through the adapter (every hub); only this
 * hub's connections while Redis is away or the adapter does not answer.
 */
export function claimReader(io: Server, redis: RedisLink | undefined, log: HubLogger): (room: string) => Promise<ClaimHandle[]> {
  return async (room) => {
    let sockets
    if (redis === undefined || redis.isUp()) {
      try {
        sockets = await io.in(room).fetchSockets()
      } catch (error) {
        log.warn(`cluster view unavailable (${describeError(error)}); using this hub's connections only`)
      }
    }
    sockets ??= await io.local.in(room).fetchSockets()
    const claims: ClaimHandle[] = []
    for (const remote of sockets) {
      const claim = readClaim(remote.id, remote.data)
      if (claim !== null) {
        claims.push({
          ...claim,
          disconnect: () => remote.disconnect(true),
          emit: (event, payload) => remote.emit(event, payload),
        })
      }
    }
    return claims
  }
}

/** The hub's link to Redis: the adapter, and whether Redis is reachable right now. */
export interface RedisLink {
  readonly adapter: ServerOptions['adapter']
  isUp(): boolean
  close(): Promise<void>
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Connects the pub/sub clients of the Redis adapter. While Redis is away the hub keeps
 * serving its own connections: commands fail at once (no offline queue), every promise
 * the adapter drops is caught, the outage and the recovery are logged once each, and
 * `onRecover` runs shortly after both clients are back.
 */
export async function connectRedis(url: string, log: HubLogger, onRecover: () => void): Promise<RedisLink> {
  const [{ createClient }, { createAdapter }] = await Promise.all([import('redis'), import('@socket.io/redis-adapter')])
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
  let recoverTimer: ReturnType<typeof setTimeout> | undefined
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
      lastError = describeError(error)
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
    throw new Error(`cannot reach Redis at ${where}: ${lastError || describeError(error)}`, { cause: error })
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
