/**
 * The local replica of the cluster registry, `:pg` style: name → pids, in the order the
 * joins were seen locally (so "first" = the oldest membership this node knows of).
 * Joining twice lists a pid twice; a leave removes one membership (the newest); a name
 * with no member is gone. The replica holds every node's memberships; which node may
 * change which entries is enforced by the caller (only the owning node's frames).
 */
import { Pid } from './pid.js'

export interface RegistryEvents {
  join: (name: string, pid: Pid) => void
  leave: (name: string, pid: Pid) => void
}

export class Registry {
  /** name → members, oldest first. */
  private readonly groups = new Map<string, Pid[]>()
  /** node → names where that node has at least one member (may be over-approximate). */
  private readonly namesByNode = new Map<string, Set<string>>()

  constructor(private readonly events: RegistryEvents) {}

  /** Adds one membership. */
  join(name: string, pid: Pid): void {
    let members = this.groups.get(name)
    if (members === undefined) {
      members = []
      this.groups.set(name, members)
    }
    members.push(pid)
    let names = this.namesByNode.get(pid.node)
    if (names === undefined) {
      names = new Set()
      this.namesByNode.set(pid.node, names)
    }
    names.add(name)
    this.events.join(name, pid)
  }

  /** Removes one membership of `pid` in `name` (the newest). Returns false when there was none. */
  leave(name: string, pid: Pid): boolean {
    const members = this.groups.get(name)
    if (members === undefined) return false
    for (let i = members.length - 1; i >= 0; i--) {
      const member = members[i]
      if (member !== undefined && member.node === pid.node && member.id === pid.id) {
        members.splice(i, 1)
        if (members.length === 0) this.groups.delete(name)
        this.events.leave(name, member)
        return true
      }
    }
    return false
  }

  /** Removes every membership of one pid; returns the names it left (with repeats). */
  removePid(pid: Pid): string[] {
    return this.removeWhere(pid.node, (member) => member.id === pid.id)
  }

  /** Removes every membership of every pid of `node`. */
  removeNode(node: string): string[] {
    const left = this.removeWhere(node, () => true)
    this.namesByNode.delete(node)
    return left
  }

  private removeWhere(node: string, match: (member: Pid) => boolean): string[] {
    const names = this.namesByNode.get(node)
    if (names === undefined) return []
    const left: string[] = []
    for (const name of [...names]) {
      const members = this.groups.get(name)
      if (members === undefined) {
        names.delete(name)
        continue
      }
      const kept: Pid[] = []
      const gone: Pid[] = []
      let nodeStillHere = false
      for (const member of members) {
        if (member.node === node && match(member)) gone.push(member)
        else {
          kept.push(member)
          if (member.node === node) nodeStillHere = true
        }
      }
      if (!nodeStillHere) names.delete(name)
      if (gone.length === 0) continue
      if (kept.length === 0) this.groups.delete(name)
      else this.groups.set(name, kept)
      for (const member of gone) {
        left.push(name)
        this.events.leave(name, member)
      }
    }
    return left
  }

  /** Members of `name`, oldest first (a copy). */
  pids(name: string): Pid[] {
    const members = this.groups.get(name)
    return members === undefined ? [] : members.slice()
  }

  /** The oldest member of `name`. */
  first(name: string): Pid | undefined {
    return this.groups.get(name)?.[0]
  }

  /** A random member of `name`. */
  random(name: string): Pid | undefined {
    const members = this.groups.get(name)
    if (members === undefined) return undefined
    return members[Math.floor(Math.random() * members.length)]
  }

  /** Distinct nodes of the members of `name`, in order of their first membership. */
  nodes(name: string): string[] {
    const members = this.groups.get(name)
    if (members === undefined) return []
    const seen: string[] = []
    for (const member of members) if (!seen.includes(member.node)) seen.push(member.node)
    return seen
  }

  /** Every name with its members (copies), names in first-join order. */
  entries(): Array<[string, Pid[]]> {
    return [...this.groups].map(([name, members]) => [name, members.slice()])
  }

  /** The memberships of `node`'s pids as `[name, ids]`, for the full-state exchange on link. */
  snapshotOf(node: string): Array<[string, number[]]> {
    const names = this.namesByNode.get(node)
    if (names === undefined) return []
    const out: Array<[string, number[]]> = []
    for (const name of names) {
      const ids = (this.groups.get(name) ?? []).filter((member) => member.node === node).map((member) => member.id)
      if (ids.length > 0) out.push([name, ids])
    }
    return out
  }

  /** Number of memberships `pid` has in `name`. */
  count(name: string, pid: Pid): number {
    let n = 0
    for (const member of this.groups.get(name) ?? []) if (member.node === pid.node && member.id === pid.id) n++
    return n
  }
}
