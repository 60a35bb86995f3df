/**
 * The signaling hub: a Socket.IO server where nodes join a cluster (a room), learn who
 * else is there, and exchange WebRTC signals (and, without a WebRTC link, their link
 * traffic) with members of the same cluster only.
 *
 * Every fact about membership lives in Socket.IO itself (rooms and `socket.data`, read
 * with `fetchSockets()`), never in a process-local map, so the same code serves several
 * hub instances sharing one view through the Redis adapter (`redisUrl`).
 *
 * Rooms: `c/<cluster>` holds a cluster's members, `n/<cluster>/<id>` the connection (or,
 * for a moment, connections) claiming one id, `m/<cluster>/<id>` its confirmed member.
 * `/` is outside the name charset, so room names never collide.
 *
 * This file is the wiring: the options, the servers, which part takes which event, and
 * closing. The parts: one client's connection (`./connection.ts`), the join and leave
 * exchange with the cluster view (`./membership.ts`, `./claims.ts`), the signal relay
 * (`./signals.ts`), the relay of link traffic (`./relay.ts`), removing a member
 * (`./kick.ts`), admission (`./authorize.ts`), and the guards (`./guards.ts`,
 * `./address-budget.ts`, `./engine-socket.ts`, `./http.ts`), each bound an option in
 * `./options.ts`. The events both ways are typed (`./events.ts`).
 */
import type { IncomingMessage } from 'node:http'
import { Server } from 'socket.io'
import { errorMessage } from '../../core/api/errors.js'
import { HubEvents } from '../../core/hub/hub-protocol.js'
import { useDebugLogs } from '../logs.js'
import { AddressBudgets } from './address-budget.js'
import { createAdmission } from './authorize.js'
import { claimReader } from './claims.js'
import { HubConnection } from './connection.js'
import { type Ack, type ClientEvent, type HubServer, type HubSocket, joinInHandshake, sameJoinKey, splitAck } from './events.js'
import { admission, guardConnection, guardEvents, originPolicy, throttledWarn } from './guards.js'
import { createHttpServer } from './http.js'
import { Kicks } from './kick.js'
import { Membership } from './membership.js'
import { resolveHubOptions, type HubOptions } from './options.js'
import { connectRedis, type RedisLink } from './redis.js'
import { handleRelay } from './relay.js'
import { SignalRelay } from './signals.js'
import { Turns } from './turns.js'

export type { AllowedOrigins, HubLogger, HubOptions } from './options.js'

/** A running hub. */
export interface Hub {
  /** `http://host:port`, the address to hand to clients. */
  readonly url: string
  readonly port: number
  /**
   * The Socket.IO server, for tests and for adding middleware. Typed loosely, as namespaces
   * of your own speak events of their own; the hub's events are typed inside (./events.ts).
   */
  readonly io: Server
  /**
   * Removes member `id` of `cluster`: every member sees it down with reason `kicked`, its
   * names leave every replica, and it gets a final `kicked` (its node stops). The same
   * client cannot join again; a new one must pass admission again.
   */
  kick(cluster: string, id: string, reason?: string): Promise<void>
  /** Tells other hubs' members that this hub's members are away (they rejoin elsewhere), then stops. Idempotent. */
  close(): Promise<void>
}

/**
 * Starts a signaling hub.
 *
 * @example
 * const hub = await createHub({ port: 0 })
 * const node = await connect({ hub: hub.url, cluster: 'demo' })
 * // ...
 * await hub.close()
 */
export async function createHub(options: HubOptions = {}): Promise<Hub> {
  useDebugLogs()
  const settings = resolveHubOptions(options)
  const { host, log, authorizeTimeoutMs, joinDeadlineMs } = settings
  const connections = new Set<HubConnection>()
  const warnOnce = throttledWarn(log)
  const origins = originPolicy(settings.allowedOrigins, host)
  const budgets = new AddressBudgets(settings)
  const addressOf = (request: IncomingMessage): string => budgets.keyOf({ address: request.socket.remoteAddress ?? '', headers: request.headers })
  let closing = false

  const admit = await createAdmission({ authorize: options.authorize, jwt: options.jwt }, authorizeTimeoutMs, log)
  const redis: RedisLink | undefined =
    options.redisUrl === undefined ? undefined : await connectRedis(options.redisUrl, log, () => {
          membership.resync(connections).catch((error: unknown) => log.error(`resync after the Redis outage failed: ${errorMessage(error)}`))
        })
  const http = createHttpServer(settings, warnOnce)
  // WebSocket only, as the clients connect: no long-polling sessions to hold, and so no
  // CORS either (a WebSocket upgrade is checked by `allowRequest`, not by CORS headers).
  const io: HubServer = new Server(http.server, {
    transports: ['websocket'],
    maxHttpBufferSize: 128 * 1024,
    serveClient: false,
    pingInterval: settings.pingIntervalMs,
    pingTimeout: settings.pingTimeoutMs,
    connectTimeout: joinDeadlineMs,
    allowRequest: admission(settings, origins, (): number => io.engine.clientsCount, (req) => budgets.refuseConnection(addressOf(req)), warnOnce),
    ...(redis === undefined ? {} : { adapter: redis.adapter }),
  })
  if (origins.open && options.authorize === undefined && options.jwt === undefined) {
    log.warn("any web page can join any cluster on this hub: allowedOrigins is '*' and there is no authorize hook")
  }

  /** Reads the claims in a room, through the adapter; only local ones while Redis is away. */
  const claimsIn = claimReader(io, redis, log)
  const kicks = new Kicks(io, claimsIn)
  const membership = new Membership({ io, settings, warn: warnOnce, claimsIn, turns: new Turns(), budgets, kicks, admit })
  const signals = new SignalRelay(settings, warnOnce, claimsIn)

  /** Listens to `event` on `socket` with `handle`, which gets the payload and the ack (if asked for); what it throws is logged. */
  function take<E extends ClientEvent>(socket: HubSocket, event: E, handle: (payload: unknown, ack: Ack<E> | undefined) => void): void {
    const name: ClientEvent = event // every event's listener takes the same unknown arguments
    socket.on(name, (...args: unknown[]) => {
      try {
        const { payload, ack } = splitAck<E>(args)
        handle(payload, ack)
      } catch (error) {
        log.error(`message handling failed: ${errorMessage(error)}`)
      }
    })
  }

  // every engine.io connection counts against its address, joined or not
  io.engine.on('connection', (engineSocket: { request: IncomingMessage; once(event: 'close', listener: () => void): void }) => {
    const key = addressOf(engineSocket.request)
    budgets.opened(key)
    engineSocket.once('close', () => budgets.closed(key))
  })

  io.on('connection', (socket) => {
    const conn = new HubConnection(socket, addressOf(socket.request), settings, warnOnce)
    connections.add(conn)
    const guard = guardConnection(socket, settings, warnOnce, () => conn.name, () => conn.member)
    // sees every event first: the rate limit, and unknown events refused (./guards.ts)
    socket.use(guardEvents(conn, settings, warnOnce))
    // A join that came with the connection (Socket.IO's handshake `auth: { join }`): taken
    // as a `join` event would be, and answered by a `joined` event, a hub round trip
    // sooner. The client sends the same join as an event too, for a hub that reads no
    // handshake join; here that copy (the same key) is left unanswered.
    const early = joinInHandshake(socket.handshake.auth)
    if (early !== undefined) membership.join(conn, early, (reply) => void socket.emit(HubEvents.joined, reply))
    take(socket, 'join', (payload, ack) => (early !== undefined && sameJoinKey(early, payload) ? undefined : membership.join(conn, payload, ack)))
    take(socket, 'signal', (payload, ack) => signals.receive(conn, payload, ack))
    take(socket, 'relay', (payload, ack) => handleRelay(io, settings, conn, payload, ack))
    socket.on('disconnect', (reason) => {
      log.debug(`${conn.name} disconnected: ${reason}`)
      guard.stop()
      connections.delete(conn)
      membership.left(conn, !closing)
    })
  })

  const port = await http.listen().catch(async (error: unknown) => {
    await io.close().catch(() => {})
    await redis?.close()
    throw error
  })

  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  const url = `http://${urlHost}:${port}`
  let closed: Promise<void> | undefined

  return {
    url,
    port,
    io,
    kick: (cluster, id, reason) => kicks.kick(cluster, id, reason),
    close() {
      closed ??= (async () => {
        closing = true
        budgets.stop()
        // Members of other hubs hear that this hub's members are away: they come back
        // through another hub within the grace period, or count as gone after it. This
        // hub's own members are being disconnected and will rejoin by themselves.
        membership.away(connections)
        await http.close(io.close())
        await redis?.close()
      })()
      return closed
    },
  }
}
