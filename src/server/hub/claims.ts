/**
 * The cluster view of the hub: the claims each connection publishes in `socket.data`, read
 * back through the Socket.IO adapter (every hub sharing a Redis, or this one alone). Every
 * fact about membership lives there, never in a process-local map.
 */
import type { RemoteSocket } from 'socket.io'
import { errorMessage } from '../../core/api/errors.js'
import { isIncarnation } from '../../core/api/pid.js'
import { HubLimits, isHubName, isJoinKey, isJson, type JoinRequest, type Json, type MemberInfo, type MemberJoin } from '../../core/hub/hub-protocol.js'
import type { HubEmits, HubServer, PublishedClaim } from './events.js'
import type { HubLogger } from './options.js'
import type { RedisLink } from './redis.js'

/** What a connection publishes in `socket.data` (./events.ts), with its socket id. */
export interface Claim extends PublishedClaim {
  readonly sid: string
}

/** A claim read from the cluster view, with the means to reach its connection on any hub. */
export interface ClaimHandle extends Claim {
  disconnect(): void
  readonly emit: RemoteSocket<HubEmits, unknown>['emit']
}

/** The room of a cluster's members, and the room of the connections claiming one id (`/` is outside the name charset). */
export const clusterRoom = (cluster: string): string => `c/${cluster}`
export const idRoom = (cluster: string, id: string): string => `n/${cluster}/${id}`

/** Reads the claims in a room (see `claimReader`). */
export type ClaimsIn = (room: string) => Promise<ClaimHandle[]>

/** The confirmed members of `cluster` but `except`: id, incarnation, whether each takes relayed traffic, claims. */
export async function membersIn(claimsIn: ClaimsIn, cluster: string, except: string): Promise<MemberInfo[]> {
  const members = new Map<string, MemberInfo>()
  for (const claim of await claimsIn(clusterRoom(cluster))) {
    if (claim.state !== 'member' || claim.cluster !== cluster || claim.id === except) continue
    members.set(claim.id, {
      id: claim.id,
      inc: claim.inc,
      ...(claim.relay ? {} : { noRelay: true as const }),
      ...(claim.claims === undefined ? {} : { claims: claim.claims }),
    })
  }
  return [...members.values()]
}

/**
 * A member-join notice for `join`: its incarnation, whether it takes relayed traffic, what
 * admission stamped on it, and `listedAt`, when its hub read the members for its join reply.
 */
export const joinNotice = (join: JoinRequest, claims: Json | undefined, listedAt?: number): MemberJoin => ({
  id: join.id,
  inc: join.inc,
  ...(join.relay === false ? { noRelay: true as const } : {}),
  ...(claims === undefined ? {} : { claims }),
  ...(listedAt === undefined ? {} : { la: listedAt }),
})

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
  const inc: unknown = Reflect.get(data, 'inc')
  if (!isHubName(cluster) || !isHubName(id) || !isJoinKey(key) || typeof stamp !== 'number' || !isIncarnation(inc)) return null
  if (state !== 'claim' && state !== 'member') return null
  const claims: unknown = Reflect.get(data, 'claims')
  if (claims !== undefined && !isJson(claims, HubLimits.claimsMaxBytes)) return null
  return { sid, cluster, id, key, stamp, state, relay: Reflect.get(data, 'relay') !== false, inc, claims }
}

/**
 * Returns the reader of the claims in a room, through the adapter (every hub); only this
 * hub's connections while Redis is away or the adapter does not answer.
 */
export function claimReader(io: HubServer, redis: RedisLink | undefined, log: HubLogger): ClaimsIn {
  return async (room) => {
    let sockets
    if (redis === undefined || redis.isUp()) {
      try {
        sockets = await io.in(room).fetchSockets()
      } catch (error) {
        log.warn(`cluster view unavailable (${errorMessage(error)}); using this hub's connections only`)
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
          emit: (event, ...args) => remote.emit(event, ...args),
        })
      }
    }
    return claims
  }
}
