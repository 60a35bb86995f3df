/**
 * Removing a member (`hub.kick`): every other member is told first, with the reason (its
 * link goes down as `kicked`, its names leave every replica), then the member itself (a
 * final `kicked` event: its node stops, it does not reconnect), then its connection is
 * closed. The client instance (its join key) is refused from then on: only a new client,
 * admitted afresh, joins under that id again. Works across hubs sharing a Redis (the
 * member's connection is reached through the adapter); the refused keys are this hub's.
 */
import { BadArgError } from '../../core/api/errors.js'
import { HubEvents, isHubName, type JoinRequest } from '../../core/hub/hub-protocol.js'
import { type ClaimsIn, clusterRoom, idRoom } from './claims.js'
import type { HubServer } from './events.js'

/** Kicked client instances remembered, at most (the oldest forgotten first). */
const MAX_KICKED = 10_000

export class Kicks {
  /** `cluster id key` of each kicked client instance. */
  readonly #keys = new Set<string>()
  readonly #io: HubServer
  readonly #claimsIn: ClaimsIn

  constructor(io: HubServer, claimsIn: ClaimsIn) {
    this.#io = io
    this.#claimsIn = claimsIn
  }

  /** Whether `join` comes from a client instance this hub kicked. */
  refuses(join: JoinRequest): boolean {
    return this.#keys.has(`${join.cluster} ${join.id} ${join.key}`)
  }

  /** Removes member `id` of `cluster` (no-op when it is not a member). */
  async kick(cluster: string, id: string, reason = 'removed by the hub'): Promise<void> {
    if (!isHubName(cluster) || !isHubName(id)) throw new BadArgError('kick takes a cluster name and a node id (1..128 characters from A-Z a-z 0-9 _ - . : @)')
    if (typeof reason !== 'string' || reason.length > 1024) throw new BadArgError('the reason of a kick must be a string of at most 1024 characters')
    const members = (await this.#claimsIn(idRoom(cluster, id))).filter((claim) => claim.state === 'member' && claim.cluster === cluster && claim.id === id)
    for (const member of members) {
      this.#keys.add(`${cluster} ${id} ${member.key}`)
      if (this.#keys.size > MAX_KICKED) this.#keys.delete(this.#keys.values().next().value as string)
      this.#io.to(clusterRoom(cluster)).except(member.sid).emit(HubEvents.memberLeave, { id, inc: member.inc, kicked: reason })
      member.emit(HubEvents.kicked, { reason })
      member.disconnect()
    }
  }
}
