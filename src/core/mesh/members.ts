/**
 * Who the mesh links to: one entry per member, each about one incarnation (one life) of a
 * node id, the incarnations a newer life of the same id superseded (whose late traffic is
 * dropped), and `connect()`'s wait for the members present at join.
 */
import { now, startTimer, type TimerHandle } from '../util/async.js'
import { MESH_DEFAULTS } from './mesh-options.js'
import type { PathChannel } from './path-channel.js'

/** One member as the mesh keeps it: one incarnation of a node id. */
export interface Member {
  readonly id: string
  /** Its incarnation: the life of that node id this entry is about. */
  readonly inc: number
  /** A signal came from it (for `connect()`: it answers, though its link is not up yet). */
  heard: boolean
  /** What the hub's admission stamped on it (`claimsOf`). */
  claims: unknown
  /** It can only be linked directly and cannot be (`unlinked` told): `connect()` does not wait for it. */
  unlinkable: boolean
  /** It takes relayed traffic (false: it links only directly, whatever the budget). */
  relay: boolean
  /** The link's channel, from the moment the link is opened. */
  path: PathChannel | undefined
  /** Set while the member's hub is away: fires when it has not come back in time. */
  away: TimerHandle | undefined
  /** A relay link is opened after this: an attempt that failed is tried again, or the member that should have opened it did not. */
  retry: TimerHandle | undefined
}

/** The members by id, and the incarnations that are over for good. */
export class Members extends Map<string, Member> {
  /** Superseded incarnations as `id inc` keys, oldest first. */
  readonly #retired = new Set<string>()

  /** Adds a fresh entry for incarnation `inc` of `id` (replacing any entry of that id). */
  add(id: string, inc: number): Member {
    const member: Member = { id, inc, relay: true, heard: false, claims: undefined, unlinkable: false, path: undefined, away: undefined, retry: undefined }
    this.set(id, member)
    return member
  }

  /** A newer life of `member`'s id appeared: its entry goes, and its incarnation is over for good. */
  retire(member: Member): void {
    if (this.get(member.id) === member) this.delete(member.id)
    this.#retired.add(`${member.id} ${member.inc}`)
    if (this.#retired.size > MESH_DEFAULTS.maxRetired) this.#retired.delete(this.#retired.values().next().value as string)
  }

  /** Whether incarnation `inc` of `id` was superseded (what comes from it is stale). */
  isRetired(id: string, inc: number): boolean {
    return this.#retired.has(`${id} ${inc}`)
  }
}

/** What `waitForMembers` reads of the node. */
interface LinkView {
  /** The link to `id`, once its handshake is complete. */
  linked(id: string): unknown
  /** Whether a link to `id` is past its hello (the member answered). */
  hasLink(id: string): boolean
  on(event: 'nodeup' | 'nodedown', listener: () => void): () => void
}

/**
 * Waits until `ids` are linked (or gone from the hub), at most `timeoutMs`; after
 * `answerTimeoutMs`, no longer for a member that has not answered at all (no hello came
 * from it, no signal): it is linked later if it ever answers.
 */
export function waitForMembers(ids: readonly string[], members: Members, node: LinkView, limits: { readonly timeoutMs: number; readonly answerTimeoutMs: number }): Promise<void> {
  const started = now()
  return new Promise((resolve) => {
    const waitsFor = (id: string): boolean => {
      const member = members.get(id)
      if (member === undefined || member.unlinkable || node.linked(id) !== undefined) return false
      if (member.heard || node.hasLink(id)) return true // it answers: its link is on the way
      return now() - started < limits.answerTimeoutMs
    }
    const done = (): boolean => !ids.some(waitsFor)
    if (done()) return resolve()
    const timer = startTimer(finish, limits.timeoutMs)
    const offs = [node.on('nodeup', check), node.on('nodedown', check)]
    const poll = setInterval(check, 50)
    function check(): void {
      if (done()) finish()
    }
    function finish(): void {
      clearTimeout(timer)
      clearInterval(poll)
      for (const off of offs) off()
      resolve()
    }
  })
}
