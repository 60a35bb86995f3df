/**
 * The join and leave exchange of the hub with the cluster view (./claims.ts).
 *
 * Joining is a claim followed by a check: the connection publishes its claim
 * (`socket.data` plus the id room), then reads every claim on the id. An older claim
 * from another client, or any confirmed member with another key, refuses the newcomer
 * (`duplicate_id`); an older claim with the same key is the same client's stale
 * connection and is disconnected. Claims are ordered by a hub timestamp and then by
 * socket id, so two racing claimants agree on the winner (across hubs, as far as their
 * clocks agree). A join is confirmed, answered and announced in one step, so no signal
 * reaches a node before its join ack.
 *
 * Leaving is announced by the connection that won the id, unless the same client is
 * already back; a hub that closes tells other hubs' members that its own are away; after
 * an outage of the shared Redis, local members are announced again and duplicate ids
 * settled. Each announcement to a whole cluster takes one event-loop turn (./turns.ts).
 */
import { errorMessage } from '../../core/api/errors.js'
import { HUB_PROTOCOL_VERSION, HubEvents, hubError, joinVersion, parseJoinRequest, type JoinRequest } from '../../core/hub/hub-protocol.js'
import type { AddressBudgets } from './address-budget.js'
import type { Admission, AuthorizeRequest } from './authorize.js'
import { type Claim, type ClaimsIn, clusterRoom, idRoom, isOlder, joinNotice, membersIn, nextStamp } from './claims.js'
import type { HubConnection } from './connection.js'
import type { Ack, HubServer } from './events.js'
import type { Kicks } from './kick.js'
import type { HubSettings } from './options.js'
import { memberRoom } from './relay.js'
import type { Turns } from './turns.js'

/** What the exchange works with: the server, the cluster view and the hub's other parts. */
export interface MembershipParts {
  readonly io: HubServer
  readonly settings: HubSettings
  readonly warn: (kind: string, message: string) => void
  readonly claimsIn: ClaimsIn
  readonly turns: Turns
  readonly budgets: AddressBudgets
  readonly kicks: Kicks
  readonly admit: (request: AuthorizeRequest) => Promise<Admission>
}

export class Membership {
  readonly #parts: MembershipParts

  constructor(parts: MembershipParts) {
    this.#parts = parts
  }

  /** Takes one `join` event of `conn`; a join that fails half-way is withdrawn and answered with a retry. */
  join(conn: HubConnection, payload: unknown, ack: Ack<'join'> | undefined): void {
    this.#join(conn, payload, ack).catch((error: unknown) => {
      this.#parts.settings.log.error(`join failed: ${errorMessage(error)}`)
      if (conn.state !== 'joining') return
      this.#abandon(conn)
      ack?.(hubError('protocol', 'the hub could not complete the join; retry'))
    })
  }

  /** `conn` is gone: its leave is announced (unless `announce` is false: the hub is closing) when it held its id. */
  left(conn: HubConnection, announce: boolean): void {
    conn.state = 'gone'
    if (!conn.owner || conn.join === undefined || !announce) return
    this.#announceLeave(conn.join)
  }

  /** The hub closes: members of other hubs hear that these `connections`' members are away for `awayGraceMs`. */
  away(connections: ReadonlySet<HubConnection>): void {
    const local = [...connections].map((conn) => conn.socket.id)
    for (const conn of connections) {
      if (conn.owner && conn.join !== undefined) {
        this.#parts.io.to(clusterRoom(conn.join.cluster)).except(local).emit(HubEvents.memberLeave, { id: conn.join.id, inc: conn.join.inc, away: this.#parts.settings.awayGraceMs })
      }
    }
  }

  /** After the Redis link came back: re-announces the local members and settles duplicate ids. */
  async resync(connections: ReadonlySet<HubConnection>): Promise<void> {
    for (const conn of connections) {
      const join = conn.join
      if (conn.state !== 'member' || join === undefined) continue
      const claims = await this.#parts.claimsIn(idRoom(join.cluster, join.id))
      const mine = claims.find((c) => c.sid === conn.socket.id)
      if (mine === undefined) continue
      if (claims.some((c) => c.key !== join.key && c.state === 'member' && isOlder(c, mine))) {
        this.#parts.settings.log.warn(`${join.cluster}/${join.id} was taken on another hub while Redis was away; closing the newer connection`)
        conn.owner = false
        conn.socket.disconnect(true)
        continue
      }
      conn.socket.to(clusterRoom(join.cluster)).emit(HubEvents.memberJoin, joinNotice(join, conn.claims))
    }
  }

  async #join(conn: HubConnection, payload: unknown, ack: Ack<'join'> | undefined): Promise<void> {
    const { io, settings, warn, claimsIn, turns, budgets, kicks, admit } = this.#parts
    const { socket } = conn
    const version = joinVersion(payload)
    if (version !== undefined && version !== HUB_PROTOCOL_VERSION) {
      return conn.refuse(ack, hubError('protocol', `unsupported protocol version (hub speaks ${HUB_PROTOCOL_VERSION})`), 'join')
    }
    const request = parseJoinRequest(payload)
    if (request === null) {
      return conn.refuse(ack, hubError('badarg', 'malformed join: expected {v, cluster, id, key, inc, auth?} within the limits'), 'join')
    }
    if (conn.state === 'member' && conn.join !== undefined) {
      // Answered without reading the cluster: a repeated join costs a strike, not a scan.
      return conn.refuse(ack, hubError('badarg', `this connection already joined ${conn.join.cluster} as ${conn.join.id}`), 'join')
    }
    if (conn.state !== 'idle') return conn.refuse(ack, hubError('badarg', 'a join is already in progress'), 'join')
    if (kicks.refuses(request)) return conn.refuse(ack, hubError('unauthorized', 'this client was removed from the cluster'), 'join')
    const spent = budgets.refuseJoin(conn.address, io.of('/').adapter.rooms.get(clusterRoom(request.cluster))?.size ?? 0)
    if (spent !== undefined) {
      warn('address', `refused a join of ${request.cluster}/${request.id}: ${spent}`)
      return conn.refuse(ack, hubError('overloaded', 'too many joins from this address; retry later'), 'join')
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
      return conn.refuse(ack, hubError('unauthorized', verdict.message), 'join')
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
      return conn.refuse(ack, hubError('duplicate_id', `id ${id} is already live in cluster ${cluster}`), 'join')
    }
    for (const stale of others) {
      if (stale.key === key && isOlder(stale, mine)) {
        settings.log.debug(`${cluster}/${id} rejoined; closing its stale connection ${stale.sid}`)
        stale.disconnect()
      }
    }
    conn.owner = true
    conn.join = request
    socket.join(clusterRoom(cluster))
    // Members confirmed after this moment are not in the reply: the member-join tells them
    // (`la`), and they open the link to this newcomer themselves.
    const listedAt = nextStamp()
    const members = await membersIn(claimsIn, cluster, id)
    await turns.next()
    if (conn.state !== 'joining') return
    // Confirm, answer and announce in one step: signals are relayed only to confirmed
    // members, so nothing reaches this node before its join ack.
    socket.data = { cluster, id, key, stamp: mine.stamp, state: 'member', relay, inc, claims: stamped }
    socket.join(memberRoom(cluster, id))
    conn.state = 'member'
    conn.claims = stamped
    ack?.({ ok: true, id, members, ...(stamped === undefined ? {} : { claims: stamped }), at: nextStamp() })
    socket.to(clusterRoom(cluster)).emit(HubEvents.memberJoin, joinNotice(request, stamped, listedAt))
    settings.log.debug(`${cluster}/${id} joined (${members.length} other members)`)
  }

  /** Withdraws the claim of a join that failed half-way. */
  #abandon(conn: HubConnection): void {
    const { socket } = conn
    const join = conn.join
    conn.state = 'idle'
    socket.data = {}
    for (const room of socket.rooms) if (room !== socket.id) socket.leave(room)
    // It may have replaced a stale connection whose leave it silenced.
    if (conn.owner && join !== undefined) this.#announceLeave(join)
    conn.owner = false
    conn.join = undefined
  }

  /** Tells the cluster that `join`'s member left, unless the same client is already back. */
  #announceLeave(join: JoinRequest): void {
    this.#leave(join).catch((error: unknown) => this.#parts.settings.log.error(`leave notice failed: ${errorMessage(error)}`))
  }

  async #leave(join: JoinRequest): Promise<void> {
    const claims = await this.#parts.claimsIn(idRoom(join.cluster, join.id))
    // The same client is already back (a newer connection with its key): it never left.
    if (claims.some((c) => c.key === join.key && c.id === join.id)) return
    await this.#parts.turns.next()
    this.#parts.io.to(clusterRoom(join.cluster)).emit(HubEvents.memberLeave, { id: join.id, inc: join.inc })
    this.#parts.settings.log.debug(`${join.cluster}/${join.id} left`)
  }
}
