/**
 * Which pairs hold the direct paths: those the `direct` policy allows, and when a node may
 * hold only `maxDirectLinks` of them, busy relayed pairs first (WebRTC is tried for them),
 * the direct path idle the longest giving way when room is wanted (its link moves back to
 * the relay, losing nothing). Busy and idle count application messages only
 * (`PathChannel.lastUse`): heartbeats keep a direct path alive, not busy.
 */
import { BadArgError, errorMessage } from '../api/errors.js'
import { now } from '../util/async.js'
import { logger } from '../util/log.js'
import type { DirectLinks } from './direct.js'
import type { Member } from './members.js'
import { MESH_DEFAULTS, type MeshOptions } from './mesh-options.js'

const log = logger('distribunator:mesh')

/** Whether the link on `path` carried an application message within `busyMs` (of time `t`). */
export function isBusy(path: Member['path'], t: number): boolean {
  return path !== undefined && t - path.lastUse < MESH_DEFAULTS.busyMs
}

/** Busy relayed pairs go direct while there is room (or an idle direct path to give way); every path's `lastUse` is read. */
export function promoteBusy(members: Iterable<Member>, direct: DirectLinks): void {
  const t = now()
  for (const member of members) {
    const path = member.path
    if (path === undefined || !isBusy(path, t) || path.hasDirect || direct.has(member.id)) continue
    direct.consider(member.id, true)
  }
}

/** Moves the least recently used direct path idle for `idleMs` back to the relay; returns whether it did. */
export function demoteIdle(members: Iterable<Member>, idleMs: number): boolean {
  const t = now()
  let idlest: Member | undefined
  for (const member of members) {
    const path = member.path
    if (path === undefined || path.via !== 'direct' || t - path.lastUse < idleMs) continue
    if (idlest?.path === undefined || path.lastUse < idlest.path.lastUse) idlest = member
  }
  if (idlest?.path === undefined) return false
  log('%s: idle direct path back to the relay', idlest.id)
  idlest.path.demote()
  return true
}

/**
 * The `direct` option as a check of each member: whether this node links to it directly
 * (a policy that throws refuses, and is reported). Throws `BadArgError` for an option that
 * is neither a boolean nor a function.
 */
export function directPolicy(policy: MeshOptions['direct'], claimsOf: (id: string) => unknown, report: (message: string) => void): (id: string) => boolean {
  if (policy === undefined || policy === true) return () => true
  if (policy === false) return () => false
  if (typeof policy !== 'function') throw new BadArgError(`direct must be true, false or a function (id, claims) => boolean, got ${typeof policy}`)
  return (id) => {
    try {
      return policy(id, claimsOf(id)) === true
    } catch (error) {
      report(`direct threw for ${id}: ${errorMessage(error)}`)
      return false
    }
  }
}
