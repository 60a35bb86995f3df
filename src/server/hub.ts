/**
 * The signaling hub: a Socket.IO server where nodes join a cluster (a room), learn who
 * else is there, and exchange WebRTC signals with members of the same cluster only.
 *
 * Every fact about membership lives in Socket.IO itself (rooms and `socket.data`, read
 * with `fetchSockets()`), never in a process-local map, so the same code serves several
 * hub instances sharing one view through the Redis adapter (`redisUrl`).
 *
 * Rooms: `c/<cluster>` holds a cluster's members, `n/<cluster>/<id>` the connection (or,
 * for a moment, connections) claiming one id. `/` is outside the name charset, so room
 * names never collide.
 *
 * Joining is a claim followed by a check: the connection publishes its claim
 * (`socket.data` plus the id room), then reads every claim on the id. An older claim
 * from another client, or any confirmed member with another key, refuses the newcomer
 * (`duplicate_id`); an older claim with the same key is the same client's stale
 * connection and is disconnected. Claims are ordered by a hub timestamp and then by
 * socket id, so two racing claimants agree on the winner (across hubs, as far as their
 * clocks agree). The claims and the Redis link live in `./hub-redis.ts`.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server, type Socket } from 'socket.io'
import {
  HUB_PROTOCOL_VERSION,
  HubEvents,
  hubError,
  joinVersion,
  parseJoinRequest,
  parseSignalRequest,
  type HubErrorReply,
  type JoinReply,
  type JoinRequest,
  type SignalRequest,
} from '../core/hub-protocol.js'
import { claimReader, connectRedis, describeError as describe, isOlder, nextStamp, type Claim, type ClaimHandle, type RedisLink } from './hub-redis.js'

/** Where the hub reports what it refuses and what goes wrong. */
export interface HubLogger {
  debug?(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

/** Options of {@link createHub}. */
export interface HubOptions {
  /** TCP port; `0` picks a free one. Default 8080. */
  port?: number
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string
  /** A Redis server shared by several hub instances (e.g. `redis://127.0.0.1:6379`). */
  redisUrl?: string
  /** Decides whether `id` may join `cluster`. A throwing, rejecting or slow hook refuses. */
  authorize?: (auth: unknown, cluster: string, id: string) => boolean | Promise<boolean>
  /** Longest wait for `authorize`, in ms. Default 5000. */
  authorizeTimeoutMs?: number
  /** A connection that has not joined within this time (ms) is closed. Default 30000. */
  joinDeadlineMs?: number
  /** Default: warnings and errors to the console, nothing else. */
  logger?: HubLogger
}

/** A running hub. */
export interface Hub {
  /** `http://host:port`, the address to hand to clients. */
  readonly url: string
  readonly port: number
  /** The Socket.IO server, for tests and for adding middleware. */
  readonly io: Server
  /** Tells every cluster that this hub's members left, then stops. Idempotent. */
  close(): Promise<void>
}

/** Process-local bookkeeping of one connection (never consulted for membership). */
interface Connection {
  readonly socket: Socket
  state: 'idle' | 'joining' | 'member' | 'gone'
  join: JoinRequest | undefined
  /** This connection won the id: it announces the leave when it goes. */
  owner: boolean
  signals: Promise<void>
  pendingSignals: number
  /** Malformed or out-of-order messages so far; at MAX_STRIKES the connection is closed. */
  strikes: number
}

type Ack = (reply: unknown) => void

const MAX_PENDING_SIGNALS = 256
const MAX_STRIKES = 100
const consoleLogger: HubLogger = {
  info: () => {},
  warn: (m) => console.warn(`[distribunator hub] ${m}`),
  error: (m) => console.error(`[distribunator hub] ${m}`),
}

const clusterRoom = (cluster: string): string => `c/${cluster}`
const idRoom = (cluster: string, id: string): string => `n/${cluster}/${id}`

function splitAck(args: unknown[]): { payload: unknown; ack: Ack | undefined } {
  const last = args[args.length - 1]
  if (typeof last === 'function') {
    const ack: Ack = (reply) => {
      Reflect.apply(last, undefined, [reply])
    }
    return { payload: args.length > 1 ? args[0] : undefined, ack }
  }
  return { payload: args[0], ack: undefined }
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
  const host = options.host ?? '127.0.0.1'
  const log = options.logger ?? consoleLogger
  const authorizeTimeoutMs = options.authorizeTimeoutMs ?? 5000
  const joinDeadlineMs = options.joinDeadlineMs ?? 30_000
  const connections = new Set<Connection>()
  let closing = false

  const redis: RedisLink | undefined =
    options.redisUrl === undefined ? undefined : await connectRedis(options.redisUrl, log, () => {
          resync().catch((error: unknown) => log.error(`resync after the Redis outage failed: ${describe(error)}`))
        })
  const httpServer = createServer()
  const io = new Server(httpServer, {
    maxHttpBufferSize: 128 * 1024,
    serveClient: false,
    cors: { origin: true },
    ...(redis === undefined ? {} : { adapter: redis.adapter }),
  })

  /** Reads the claims in a room, through the adapter; only local ones while Redis is away. */
  const claimsIn = claimReader(io, redis, log)

  async function membersOf(cluster: string, except: string): Promise<string[]> {
    const ids = new Set<string>()
    for (const claim of await claimsIn(clusterRoom(cluster))) {
      if (claim.state === 'member' && claim.cluster === cluster && claim.id !== except) ids.add(claim.id)
    }
    return [...ids]
  }

  async function authorize(request: JoinRequest): Promise<boolean> {
    const hook = options.authorize
    if (hook === undefined) return true
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), authorizeTimeoutMs)
      })
      const verdict = await Promise.race([Promise.resolve().then(() => hook(request.auth, request.cluster, request.id)), timeout])
      return verdict === true
    } catch (error) {
      log.warn(`authorize hook threw for ${request.cluster}/${request.id}: ${describe(error)}`)
      return false
    } finally {
      clearTimeout(timer)
    }
  }

  function refuse(conn: Connection, ack: Ack | undefined, reply: HubErrorReply, what: string): void {
    log.debug?.(`refused ${what} from ${conn.socket.id}: ${reply.code}: ${reply.message}`)
    if (ack !== undefined) ack(reply)
    else log.warn(`dropped ${what} from ${conn.socket.id}: ${reply.message}`)
    if (reply.code === 'badarg' || reply.code === 'protocol') {
      conn.strikes++
      if (conn.strikes === MAX_STRIKES) {
        log.warn(`closing ${conn.socket.id}: ${MAX_STRIKES} malformed or out-of-order messages`)
        conn.socket.disconnect(true)
      }
    }
  }

  async function handleJoin(conn: Connection, payload: unknown, ack: Ack | undefined): Promise<void> {
    const { socket } = conn
    const version = joinVersion(payload)
    if (version !== undefined && version !== HUB_PROTOCOL_VERSION) {
      return refuse(conn, ack, hubError('protocol', `unsupported protocol version (hub speaks ${HUB_PROTOCOL_VERSION})`), 'join')
    }
    const request = parseJoinRequest(payload)
    if (request === null) {
      return refuse(conn, ack, hubError('badarg', 'malformed join: expected {v, cluster, id, key, auth?} within the limits'), 'join')
    }
    if (conn.state === 'member' && conn.join !== undefined) {
      const same = conn.join.cluster === request.cluster && conn.join.id === request.id && conn.join.key === request.key
      if (!same) return refuse(conn, ack, hubError('badarg', `this connection already joined ${conn.join.cluster} as ${conn.join.id}`), 'join')
      const members = await membersOf(request.cluster, request.id)
      ack?.({ ok: true, id: request.id, members } satisfies JoinReply)
      return
    }
    if (conn.state !== 'idle') return refuse(conn, ack, hubError('badarg', 'a join is already in progress'), 'join')
    conn.state = 'joining'
    if (!(await authorize(request))) {
      if (conn.state === 'joining') conn.state = 'idle'
      return refuse(conn, ack, hubError('unauthorized', `not allowed to join ${request.cluster} as ${request.id}`), 'join')
    }
    if (conn.state !== 'joining') return
    const { cluster, id, key } = request
    const mine: Claim = { sid: socket.id, cluster, id, key, stamp: nextStamp(), state: 'claim' }
    socket.data = { cluster, id, key, stamp: mine.stamp, state: 'claim' }
    socket.join(idRoom(cluster, id))
    const claims = await claimsIn(idRoom(cluster, id))
    if (conn.state !== 'joining') return
    const others = claims.filter((c) => c.sid !== socket.id && c.cluster === cluster && c.id === id)
    if (others.some((c) => c.key !== key && (c.state === 'member' || isOlder(c, mine)))) {
      socket.leave(idRoom(cluster, id))
      socket.data = {}
      conn.state = 'idle'
      return refuse(conn, ack, hubError('duplicate_id', `id ${id} is already live in cluster ${cluster}`), 'join')
    }
    for (const stale of others) {
      if (stale.key === key && isOlder(stale, mine)) {
        log.debug?.(`${cluster}/${id} rejoined; closing its stale connection ${stale.sid}`)
        stale.disconnect()
      }
    }
    conn.owner = true
    conn.join = request
    socket.join(clusterRoom(cluster))
    const members = await membersOf(cluster, id)
    if (conn.state !== 'joining') return
    // Confirm, answer and announce in one step: signals are relayed only to confirmed
    // members, so nothing reaches this node before its join ack.
    socket.data = { cluster, id, key, stamp: mine.stamp, state: 'member' }
    conn.state = 'member'
    ack?.({ ok: true, id, members } satisfies JoinReply)
    socket.to(clusterRoom(cluster)).emit(HubEvents.memberJoin, { id })
    log.debug?.(`${cluster}/${id} joined (${members.length} other members)`)
  }

  async function handleSignal(conn: Connection, request: SignalRequest, ack: Ack | undefined): Promise<void> {
    const join = conn.join
    if (conn.state !== 'member' || join === undefined) {
      return refuse(conn, ack, hubError('protocol', 'join a cluster before sending signals'), 'signal')
    }
    if (request.to === join.id) return refuse(conn, ack, hubError('badarg', 'cannot signal yourself'), 'signal')
    const targets = (await claimsIn(idRoom(join.cluster, request.to))).filter(
      (c) => c.state === 'member' && c.cluster === join.cluster && c.id === request.to,
    )
    const target = targets.reduce<ClaimHandle | undefined>((best, c) => (best === undefined || isOlder(best, c) ? c : best), undefined)
    if (target === undefined) {
      if (ack !== undefined) ack(hubError('no_node', `no member ${request.to} in cluster ${join.cluster}`))
      else log.debug?.(`signal from ${join.cluster}/${join.id} to unknown ${request.to} dropped`)
      return
    }
    target.emit(HubEvents.signal, { from: join.id, data: request.data })
    ack?.({ ok: true })
  }

  function onSignal(conn: Connection, payload: unknown, ack: Ack | undefined): void {
    const request = parseSignalRequest(payload)
    if (request === null) {
      return refuse(conn, ack, hubError('badarg', 'malformed signal: expected {to, data} with data ≤ 64 KiB of plain JSON'), 'signal')
    }
    if (conn.pendingSignals >= MAX_PENDING_SIGNALS) {
      return refuse(conn, ack, hubError('badarg', 'too many signals in flight'), 'signal')
    }
    // One queue per connection keeps a sender's signals in order (offer before candidates).
    conn.pendingSignals++
    conn.signals = conn.signals
      .then(() => handleSignal(conn, request, ack))
      .catch((error: unknown) => log.error(`signal relay failed: ${describe(error)}`))
      .finally(() => {
        conn.pendingSignals--
      })
  }

  async function announceLeave(join: JoinRequest): Promise<void> {
    const claims = await claimsIn(idRoom(join.cluster, join.id))
    // The same client is already back (a newer connection with its key): it never left.
    if (claims.some((c) => c.key === join.key && c.id === join.id)) return
    io.to(clusterRoom(join.cluster)).emit(HubEvents.memberLeave, { id: join.id })
    log.debug?.(`${join.cluster}/${join.id} left`)
  }

  /** Withdraws the claim of a join that failed half-way. */
  function abandonJoin(conn: Connection): void {
    const { socket } = conn
    const join = conn.join
    conn.state = 'idle'
    socket.data = {}
    for (const room of socket.rooms) if (room !== socket.id) socket.leave(room)
    if (conn.owner && join !== undefined) {
      // It may have replaced a stale connection whose leave it silenced.
      announceLeave(join).catch((error: unknown) => log.error(`leave notice failed: ${describe(error)}`))
    }
    conn.owner = false
    conn.join = undefined
  }

  /** After the Redis link came back: re-announce local members and settle duplicate ids. */
  async function resync(): Promise<void> {
    for (const conn of connections) {
      const join = conn.join
      if (conn.state !== 'member' || join === undefined) continue
      const claims = await claimsIn(idRoom(join.cluster, join.id))
      const mine = claims.find((c) => c.sid === conn.socket.id)
      if (mine === undefined) continue
      if (claims.some((c) => c.key !== join.key && c.state === 'member' && isOlder(c, mine))) {
        log.warn(`${join.cluster}/${join.id} was taken on another hub while Redis was away; closing the newer connection`)
        conn.owner = false
        conn.socket.disconnect(true)
        continue
      }
      conn.socket.to(clusterRoom(join.cluster)).emit(HubEvents.memberJoin, { id: join.id })
    }
  }

  io.on('connection', (socket) => {
    const conn: Connection = { socket, state: 'idle', join: undefined, owner: false, signals: Promise.resolve(), pendingSignals: 0, strikes: 0 }
    connections.add(conn)
    const deadline = setTimeout(() => {
      if (conn.state === 'idle') socket.disconnect(true)
    }, joinDeadlineMs)
    deadline.unref()
    socket.onAny((event: unknown, ...args: unknown[]) => {
      try {
        const { payload, ack } = splitAck(args)
        if (event === HubEvents.join) {
          handleJoin(conn, payload, ack).catch((error: unknown) => {
            log.error(`join failed: ${describe(error)}`)
            if (conn.state !== 'joining') return
            abandonJoin(conn)
            ack?.(hubError('protocol', 'the hub could not complete the join; retry'))
          })
        } else if (event === HubEvents.signal) onSignal(conn, payload, ack)
        else refuse(conn, ack, hubError('protocol', `unknown event ${JSON.stringify(String(event)).slice(0, 80)}`), 'message')
      } catch (error) {
        log.error(`message handling failed: ${describe(error)}`)
      }
    })
    socket.on('disconnect', () => {
      clearTimeout(deadline)
      connections.delete(conn)
      conn.state = 'gone'
      if (!conn.owner || conn.join === undefined || closing) return
      announceLeave(conn.join).catch((error: unknown) => log.error(`leave notice failed: ${describe(error)}`))
    })
  })

  const port = await new Promise<number>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const reason = error.code === 'EADDRINUSE' ? 'address already in use' : describe(error)
      reject(Object.assign(new Error(`cannot listen on ${host}:${options.port ?? 8080}: ${reason}`, { cause: error }), { code: error.code }))
    }
    httpServer.once('error', onError)
    httpServer.listen(options.port ?? 8080, host, () => {
      httpServer.off('error', onError)
      const address: AddressInfo | string | null = httpServer.address()
      resolve(typeof address === 'object' && address !== null ? address.port : (options.port ?? 8080))
    })
  }).catch(async (error: unknown) => {
    await io.close().catch(() => {})
    await redis?.close()
    throw error
  })
  httpServer.on('error', (error) => log.error(`http server error: ${describe(error)}`))

  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  const url = `http://${urlHost}:${port}`
  let closed: Promise<void> | undefined

  return {
    url,
    port,
    io,
    close() {
      closed ??= (async () => {
        closing = true
        for (const conn of connections) {
          if (conn.owner && conn.join !== undefined) {
            io.to(clusterRoom(conn.join.cluster)).except(conn.socket.id).emit(HubEvents.memberLeave, { id: conn.join.id })
          }
        }
        const stopping = io.close()
        httpServer.closeAllConnections()
        await stopping
        await redis?.close()
      })()
      return closed
    },
  }
}
