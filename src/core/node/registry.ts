/**
 * The local replica of the cluster registry, `:pg` style: name → pids, in the order the
 * joins were seen locally (so "first" = the oldest membership this node knows of).
 * Joining twice lists a pid twice; a leave removes one membership (the newest); a name
 * with no member is gone. The replica holds every node's memberships; which node may
 * change which entries is enforced by the caller (only the owning node's frames).
 *
 * Every operation costs time in proportion to its own effect, never to the size of a
 * name: a peer may send any mix of joins and leaves (a leave of a pid that never joined
 * included) and the total work stays linear in what it sent.
 */
import type { Pid } from '../api/pid.js'

/**
 * What the registry tells its owner, once per membership, right after applying it. `seq`
 * numbers the changes in the order they were applied (1, 2, ...): a change whose `seq` is
 * at most `Registry.changes` read at some moment was already part of what a lookup made at
 * that moment saw, even when its event comes later (a node's pids leave all at once, then
 * their events follow one by one).
 */
export interface RegistryEvents {
  join: (name: string, pid: Pid, seq: number) => void
  leave: (name: string, pid: Pid, seq: number) => void
}

/**
 * The members of one name. `slots` holds memberships in join order with holes where one
 * left; `positions` maps a pid to the slots it holds, oldest first, so a leave finds the
 * newest membership of its pid at once. Holes are compacted away once they outnumber
 * the members, which keeps every operation amortised constant (or linear in its output).
 */
class Group {
  slots: Array<Pid | undefined> = []
  readonly positions = new Map<string, number[]>()
  /** node → its memberships here. */
  readonly perNode = new Map<string, number>()
  size = 0
  /** Index of the first slot that may hold a member. */
  #head = 0

  add(pid: Pid): void {
    const key = pid.key
    let at = this.positions.get(key)
    if (at === undefined) {
      at = []
      this.positions.set(key, at)
    }
    at.push(this.slots.length)
    this.slots.push(pid)
    this.size++
    this.perNode.set(pid.node, (this.perNode.get(pid.node) ?? 0) + 1)
  }

  #dropFromNode(pid: Pid): void {
    const n = (this.perNode.get(pid.node) ?? 1) - 1
    if (n === 0) this.perNode.delete(pid.node)
    else this.perNode.set(pid.node, n)
  }

  /** Removes the newest membership of `key`; returns its pid, or undefined when it has none. */
  removeNewest(key: string): Pid | undefined {
    const at = this.positions.get(key)
    if (at === undefined) return undefined
    const slot = at.pop() as number
    if (at.length === 0) this.positions.delete(key)
    const pid = this.slots[slot]
    this.slots[slot] = undefined
    this.size--
    if (pid !== undefined) this.#dropFromNode(pid)
    this.#compactIfSparse()
    return pid
  }

  /** Removes every membership whose pid matches; returns them in join order. */
  removeAll(match: (pid: Pid) => boolean): Pid[] {
    const gone: Pid[] = []
    for (let i = this.#head; i < this.slots.length; i++) {
      const pid = this.slots[i]
      if (pid === undefined || !match(pid)) continue
      this.slots[i] = undefined
      gone.push(pid)
      this.positions.delete(pid.key)
      this.#dropFromNode(pid)
    }
    this.size -= gone.length
    this.#compactIfSparse()
    return gone
  }

  first(): Pid | undefined {
    while (this.#head < this.slots.length && this.slots[this.#head] === undefined) this.#head++
    return this.slots[this.#head]
  }

  /** Members in join order (a fresh array). */
  list(): Pid[] {
    this.#compact()
    return this.slots.slice() as Pid[] // no holes after compact()
  }

  at(index: number): Pid | undefined {
    this.#compact()
    return this.slots[index]
  }

  count(key: string): number {
    return this.positions.get(key)?.length ?? 0
  }

  #compactIfSparse(): void {
    if (this.slots.length > 32 && this.slots.length > this.size * 2) this.#compact()
  }

  /** Drops the holes and renumbers the positions: linear in the slots, amortised by the holes. */
  #compact(): void {
    if (this.slots.length === this.size) return
    const slots: Pid[] = []
    for (const pid of this.slots) if (pid !== undefined) slots.push(pid)
    this.slots = slots
    this.#head = 0
    const seen = new Map<string, number>()
    for (let i = 0; i < slots.length; i++) {
      const key = (slots[i] as Pid).key
      const n = seen.get(key) ?? 0
      seen.set(key, n + 1)
      ;(this.positions.get(key) as number[])[n] = i
    }
  }
}

export class Registry {
  /** name → members, oldest first. */
  readonly #groups = new Map<string, Group>()
  /** node → names where that node has at least one member (may be over-approximate). */
  readonly #namesByNode = new Map<string, Set<string>>()
  /** How many membership changes have been applied so far (the `seq` of the latest). */
  #applied = 0

  readonly #events: RegistryEvents

  constructor(events: RegistryEvents) {
    this.#events = events
  }

  /** Adds one membership. */
  join(name: string, pid: Pid): void {
    let group = this.#groups.get(name)
    if (group === undefined) {
      group = new Group()
      this.#groups.set(name, group)
    }
    group.add(pid)
    let names = this.#namesByNode.get(pid.node)
    if (names === undefined) {
      names = new Set()
      this.#namesByNode.set(pid.node, names)
    }
    names.add(name)
    this.#events.join(name, pid, ++this.#applied)
  }

  /** How many membership changes have been applied so far: the `seq` of the latest one. */
  get changes(): number {
    return this.#applied
  }

  /** Removes one membership of `pid` in `name` (the newest). Returns false when there was none. */
  leave(name: string, pid: Pid): boolean {
    const group = this.#groups.get(name)
    const member = group?.removeNewest(pid.key)
    if (group === undefined || member === undefined) return false
    if (group.size === 0) this.#groups.delete(name)
    this.#events.leave(name, member, ++this.#applied)
    return true
  }

  /** Removes every membership of one pid; returns the names it left (with repeats). */
  removePid(pid: Pid): string[] {
    const key = pid.key
    return this.#removeWhere(pid.node, (member) => member.key === key)
  }

  /** Removes every membership of every pid of `node`. */
  removeNode(node: string): string[] {
    const left = this.#removeWhere(node, (member) => member.node === node)
    this.#namesByNode.delete(node)
    return left
  }

  #removeWhere(node: string, match: (member: Pid) => boolean): string[] {
    const names = this.#namesByNode.get(node)
    if (names === undefined) return []
    const left: string[] = []
    for (const name of [...names]) {
      const group = this.#groups.get(name)
      if (group === undefined) {
        names.delete(name)
        continue
      }
      const gone = group.removeAll(match)
      if (group.size === 0) this.#groups.delete(name)
      if (!group.perNode.has(node)) names.delete(name)
      // Every membership of this name is gone already: number them all before the first
      // event runs code that may look at the registry.
      let seq = this.#applied
      this.#applied += gone.length
      for (const member of gone) {
        left.push(name)
        this.#events.leave(name, member, ++seq)
      }
    }
    return left
  }

  /** Members of `name`, oldest first (a copy). */
  pids(name: string): Pid[] {
    return this.#groups.get(name)?.list() ?? []
  }

  /** The oldest member of `name`. */
  first(name: string): Pid | undefined {
    return this.#groups.get(name)?.first()
  }

  /** A random member of `name`. */
  random(name: string): Pid | undefined {
    const group = this.#groups.get(name)
    if (group === undefined) return undefined
    return group.at(Math.floor(Math.random() * group.size))
  }

  /** Distinct nodes of the members of `name`, in order of their first membership. */
  nodes(name: string): string[] {
    const group = this.#groups.get(name)
    if (group === undefined) return []
    const seen = new Set<string>()
    for (const member of group.list()) seen.add(member.node)
    return [...seen]
  }

  /** Every name with its members (copies), names in first-join order. */
  entries(): Array<[string, Pid[]]> {
    return [...this.#groups].map(([name, group]) => [name, group.list()])
  }

  /** The memberships of `node`'s pids as `[name, ids]`, for the full-state exchange on link. */
  snapshotOf(node: string): Array<[string, number[]]> {
    const names = this.#namesByNode.get(node)
    if (names === undefined) return []
    const out: Array<[string, number[]]> = []
    for (const name of names) {
      const ids: number[] = []
      for (const member of this.#groups.get(name)?.list() ?? []) if (member.node === node) ids.push(member.id)
      if (ids.length > 0) out.push([name, ids])
    }
    return out
  }

  /** Number of memberships `pid` has in `name`. */
  count(name: string, pid: Pid): number {
    return this.#groups.get(name)?.count(pid.key) ?? 0
  }
}
