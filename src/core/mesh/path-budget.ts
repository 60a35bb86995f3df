/**
 * Which pairs hold the direct paths when a node may hold only `maxDirectLinks` of them:
 * busy relayed pairs are promoted (WebRTC is tried for them), and the direct path idle the
 * longest gives way when room is wanted (its link moves back to the relay, losing nothing).
 */
import { logger } from '../util/log.js'
import type { DirectLinks } from './direct.js'
import type { Member } from './members.js'

const log = logger('distribunator:mesh')

/** A relayed pair with traffic within this long counts as busy. */
const BUSY_MS = 2500

/** Busy relayed pairs go direct while there is room (or an idle direct path to give way). */
export function promoteBusy(members: Iterable<Member>, direct: DirectLinks): void {
  const now = performance.now()
  for (const member of members) {
    const path = member.path
    if (path === undefined || path.hasDirect || direct.has(member.id)) continue
    if (now - path.lastTraffic < BUSY_MS) direct.consider(member.id, true)
  }
}

/** Moves the least recently used direct path idle for `idleMs` back to the relay; returns whether it did. */
export function demoteIdle(members: Iterable<Member>, idleMs: number): boolean {
  const now = performance.now()
  let idlest: Member | undefined
  for (const member of members) {
    const path = member.path
    if (path === undefined || path.path !== 'direct' || now - path.lastTraffic < idleMs) continue
    if (idlest?.path === undefined || path.lastTraffic < idlest.path.lastTraffic) idlest = member
  }
  if (idlest?.path === undefined) return false
  log('%s: idle direct path back to the relay', idlest.id)
  idlest.path.demote()
  return true
}
