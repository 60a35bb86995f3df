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
 * clocks agree). The claims live in `./claims.ts`, the Redis link in `./redis.ts`.
 *
 * Every client is untrusted. Each bound on what one may cost the hub (connections, rate,
 * strikes, queues both ways, the join deadline, pings) is an option in `./options.ts`;
 * the checks on connections and rates live in `./guards.ts`, the reading of
 * engine.io's outgoing queue in `./engine-socket.ts`.
 */
import type { IncomingMessage } from 'node:http'
import { Server } from 'socket.io'
import {
  HUB_PROTOCOL_VERSION,
  HubEvents,
  HubLimits,
  hubError,
  joinVersion,
  jsonSize,
  parseJoinRequest,
  parseSignalRequest,
  type HubErrorReply,
  type JoinReply,
  type JoinRequest,
  type MemberInfo,
  type SignalRequest,
} from '../../core/signaling/hub-protocol.js'
import { admission, guardConnection, originPolicy, throttledWarn } from './guards.js'
import { AddressBudgets } from './address-budget.js'
import { Turns } from './turns.js'
import { createAdmission } from './authorize.js'
import { Kicks } from './kick.js'
import { type Ack, type Connection, newConnection, splitAck } from './connection.js'
import { resolveHubOptions, type HubOptions } from './options.js'
import { useDebugLogs } from '../logs.js'
import { errorMessage } from '../../core/api/errors.js'
import { claimReader, clusterRoom, idRoom, isOlder, joinNotice, membersIn, nextStamp, type Claim, type ClaimHandle } from './claims.js'
import { createHttpServer } from './http.js'
import { connectRedis, type RedisLink } from './redis.js'
import { handleRelay, memberRoom } from './relay.js'
import { RELAY_EVENT, RELAY_REFUSED_EVENT } from '../../core/signaling/relay-protocol.js'

export type { AllowedOrigins, HubLogger, HubOptions } from './options.js'

/** A running hub. */
export interface Hub {
  /** `http://host:port`, the address to hand to clients. */
  readonly url: string
  readonly port: number
  /** The Socket.IO server, for tests and for adding middleware. */
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

/** Bytes of signal data that cost one more message of the rate limit. */
const SIGNAL_BYTES_PER_MESSAGE = 4096

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
  const { host, log, authorizeTimeoutMs, joinDeadlineMs, maxStrikes } = settings
  const connections = new Set<Connection>()
  const warnOnce = throttledWarn(log)
  const origins = originPolicy(settings.allowedOrigins, host)
  const budgets = new AddressBudgets(settings)
  const turns = new Turns()
  const addressOf = (request: IncomingMessage): string => budgets.keyOf({ address: request.socket.remoteAddress ?? '', headers: request.headers })
  let closing = false

  const admit = await createAdmission({ authorize: options.authorize, jwt: options.jwt }, authorizeTimeoutMs, log)
  const redis: RedisLink | undefined =
    options.redisUrl === undefined ? undefined : await connectRedis(options.redisUrl, log, () => {
          resync().catch((error: unknown) => log.error(`resync after the Redis outage failed: ${errorMessage(error)}`))
        })
  const http = createHttpServer(settings, warnOnce)
  const httpServer = http.server
  // WebSocket only, as the clients connect: no long-polling sessions to hold, and so no
  // CORS either (a WebSocket upgrade is checked by `allowRequest`, not by CORS headers).
  const io: Server = new Server(httpServer, {
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

  /** The members of `cluster` but `except`. */
  const membersOf = (cluster: string, except: string): Promise<MemberInfo[]> => membersIn(claimsIn, cluster, except)
  const kicks = new Kicks(io, claimsIn)

  function refuse(conn: Connection, ack: Ack | undefined, reply: HubErrorReply, what: string): void {
    log.debug(`refused ${what} from ${conn.socket.id}: ${reply.code}: ${reply.message}`)
    if (ack !== undefined) ack(reply)
    else warnOnce(`dropped ${what}`, `dropped ${what} from ${conn.socket.id}: ${reply.message}`)
    if (reply.code === 'no_node' || reply.code === 'overloaded') return
    conn.strikes++
    if (conn.strikes === maxStrikes) {
      warnOnce('strikes', `closing ${conn.socket.id}${nameOf(conn)}: ${maxStrikes} malformed, refused or over-rate messages (maxStrikes)`)
      conn.socket.disconnect(true)
    }
  }

  const nameOf = (conn: Connection): string => (conn.join === undefined ? '' : ` (${conn.join.cluster}/${conn.join.id})`)

  async function handleJoin(conn: Connection, payload: unknown, ack: Ack | undefined): Promise<void> {
    const { socket } = conn
    const version = joinVersion(payload)
    if (version !== undefined && version !== HUB_PROTOCOL_VERSION) {
      return refuse(conn, ack, hubError('protocol', `unsupported protocol version (hub speaks ${HUB_PROTOCOL_VERSION})`), 'join')
    }
    const request = parseJoinRequest(payload)
    if (request === null) {
      return refuse(conn, ack, hubError('badarg', 'malformed join: expected {v, cluster, id, key, inc, auth?} within the limits'), 'join')
    }
    if (conn.state === 'member' && conn.join !== undefined) {
      // Answered without reading the cluster: a repeated join costs a strike, not a scan.
      return refuse(conn, ack, hubError('badarg', `this connection already joined ${conn.join.cluster} as ${conn.join.id}`), 'join')
    }
    if (conn.state !== 'idle') return refuse(conn, ack, hubError('badarg', 'a join is already in progress'), 'join')
    if (kicks.refuses(request)) return refuse(conn, ack, hubError('unauthorized', 'this client was removed from the cluster'), 'join')
    const spent = budgets.refuseJoin(conn.address, io.of('/').adapter.rooms.get(clusterRoom(request.cluster))?.size ?? 0)
    if (spent !== undefined) {
      warnOnce('address', `refused a join of ${request.cluster}/${request.id}: ${spent}`)
      return refuse(conn, ack, hubError('overloaded', 'too many joins from this address; retry later'), 'join')
    }
    conn.state = 'joining'
    const { headers, address } = socket.handshake
    const origin = headers.origin
    const verdict = await admit({
      auth: request.auth,
      cluster: request.cluster,
      id: request.id,
      handshake: { headers, address, ...(typeof origin === 'string' ? { origin } : {}) },
    })
    if (!verdict.ok) {
      if (conn.state === 'joining') conn.state = 'idle'
      return refuse(conn, ack, hubError('unauthorized', verdict.message), 'join')
    }
    if (conn.state !== 'joining') return
    const { cluster, id, key, inc } = request
    const relay = request.relay !== false
    const stamped = verdict.claims // what admission says of the member (not its claim on the id)
    const mine: Claim = { sid: socket.id, cluster, id, key, stamp: nextStamp(), state: 'claim', relay, inc, claims: stamped }
    socket.data = { cluster, id, key, stamp: mine.stamp, state: 'claim', relay, inc, claims: stamped }
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
        log.debug(`${cluster}/${id} rejoined; closing its stale connection ${stale.sid}`)
        stale.disconnect()
      }
    }
    conn.owner = true
    conn.join = request
    socket.join(clusterRoom(cluster))
    const members = await membersOf(cluster, id)
    await turns.next()
    if (conn.state !== 'joining') return
    // Confirm, answer and announce in one step: signals are relayed only to confirmed
    // members, so nothing reaches this node before its join ack.
    socket.data = { cluster, id, key, stamp: mine.stamp, state: 'member', relay, inc, claims: stamped }
    socket.join(memberRoom(cluster, id))
    conn.state = 'member'
    conn.claims = stamped
    ack?.({ ok: true, id, members, ...(stamped === undefined ? {} : { claims: stamped }) } satisfies JoinReply)
    socket.to(clusterRoom(cluster)).emit(HubEvents.memberJoin, joinNotice(request, stamped))
    log.debug(`${cluster}/${id} joined (${members.length} other members)`)
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
      else log.debug(`signal from ${join.cluster}/${join.id} to unknown ${request.to} dropped`)
      return
    }
    // the sender's id and incarnation come from its join; `ti` lets the receiver drop what
    // was meant for an earlier life of itself
    target.emit(HubEvents.signal, { from: join.id, fi: join.inc, ti: request.ti, data: request.data })
    ack?.({ ok: true })
  }

  function onSignal(conn: Connection, payload: unknown, ack: Ack | undefined): void {
    const request = parseSignalRequest(payload)
    if (request === null) {
      return refuse(conn, ack, hubError('badarg', 'malformed signal: expected {to, data} with data ≤ 64 KiB of plain JSON'), 'signal')
    }
    const size = Math.max(0, jsonSize(request.data, HubLimits.signalMaxBytes))
    conn.bucket.charge(Math.floor(size / SIGNAL_BYTES_PER_MESSAGE))
    if (conn.pendingBytes + size > settings.maxPendingSignalBytes) {
      warnOnce('pending', `${conn.socket.id}${nameOf(conn)} has more than ${settings.maxPendingSignalBytes} bytes of signals waiting (maxPendingSignalBytes); refusing more`)
      return refuse(conn, ack, hubError('badarg', 'too many signals in flight'), 'signal')
    }
    // One queue per connection keeps a sender's signals in order (offer before candidates).
    conn.pendingBytes += size
    conn.signals = conn.signals
      .then(() => handleSignal(conn, request, ack))
      .catch((error: unknown) => log.error(`signal relay failed: ${errorMessage(error)}`))
      .finally(() => {
        conn.pendingBytes -= size
      })
  }

  async function announceLeave(join: JoinRequest): Promise<void> {
    const claims = await claimsIn(idRoom(join.cluster, join.id))
    // The same client is already back (a newer connection with its key): it never left.
    if (claims.some((c) => c.key === join.key && c.id === join.id)) return
    await turns.next()
    io.to(clusterRoom(join.cluster)).emit(HubEvents.memberLeave, { id: join.id, inc: join.inc })
    log.debug(`${join.cluster}/${join.id} left`)
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
      announceLeave(join).catch((error: unknown) => log.error(`leave notice failed: ${errorMessage(error)}`))
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
      conn.socket.to(clusterRoom(join.cluster)).emit(HubEvents.memberJoin, joinNotice(join, conn.claims))
    }
  }

  // every engine.io connection counts against its address, joined or not
  io.engine.on('connection', (engineSocket: { request: IncomingMessage; once(event: 'close', listener: () => void): void }) => {
    const key = addressOf(engineSocket.request)
    budgets.opened(key)
    engineSocket.once('close', () => budgets.closed(key))
  })

  io.on('connection', (socket) => {
    const conn = newConnection(socket, settings, addressOf(socket.request))
    connections.add(conn)
    const guard = guardConnection(socket, settings, warnOnce, () => `${socket.id}${nameOf(conn)}`, () => conn.state === 'member')
    socket.onAny((event: unknown, ...args: unknown[]) => {
      try {
        const { payload, ack } = splitAck(args)
        if (event === RELAY_EVENT) {
          // relay traffic has a byte budget of its own (./relay.ts)
          const sender = { join: conn.join, member: conn.state === 'member', relay: conn.relay }
          return handleRelay(io, settings, sender, payload, ack, (reply, strike = true, targets) => {
            // without an ack to answer, the sender hears of its refused packet by an event
            const tell = ack ?? ((r: unknown): void => void socket.emit(RELAY_REFUSED_EVENT, targets === undefined ? r : { ...(r as object), t: targets }))
            if (strike) return refuse(conn, tell, reply, 'relay')
            log.debug(`relay packet from ${socket.id}${nameOf(conn)} refused: ${reply.message}`)
            tell(reply)
          })
        }
        if (!conn.bucket.take()) {
          const limits = `${settings.maxMessageBurst} at once, ${settings.maxMessagesPerSecond} per second`
          warnOnce('rate', `${socket.id}${nameOf(conn)} is over the rate limit (${limits}: maxMessageBurst, maxMessagesPerSecond); refusing its messages`)
          return refuse(conn, ack, hubError('protocol', `rate limit: at most ${limits}`), 'message')
        }
        if (event === HubEvents.join) {
          handleJoin(conn, payload, ack).catch((error: unknown) => {
            log.error(`join failed: ${errorMessage(error)}`)
            if (conn.state !== 'joining') return
            abandonJoin(conn)
            ack?.(hubError('protocol', 'the hub could not complete the join; retry'))
          })
        } else if (event === HubEvents.signal) onSignal(conn, payload, ack)
        else refuse(conn, ack, hubError('protocol', `unknown event ${JSON.stringify(String(event)).slice(0, 80)}`), 'message')
      } catch (error) {
        log.error(`message handling failed: ${errorMessage(error)}`)
      }
    })
    socket.on('disconnect', (reason) => {
      log.debug(`${socket.id}${nameOf(conn)} disconnected: ${reason}`)
      guard.stop()
      connections.delete(conn)
      conn.state = 'gone'
      if (!conn.owner || conn.join === undefined || closing) return
      announceLeave(conn.join).catch((error: unknown) => log.error(`leave notice failed: ${errorMessage(error)}`))
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
        const local = [...connections].map((conn) => conn.socket.id)
        for (const conn of connections) {
          if (conn.owner && conn.join !== undefined) {
            io.to(clusterRoom(conn.join.cluster)).except(local).emit(HubEvents.memberLeave, { id: conn.join.id, inc: conn.join.inc, away: settings.awayGraceMs })
          }
        }
        await http.close(io.close())
        await redis?.close()
      })()
      return closed
    },
  }
}
