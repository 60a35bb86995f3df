/**
 * Presence: who is here. Every node registers one process under `presence`; this panel
 * follows that name with `watch` (the members there, then each join and leave; no polling) and asks
 * each newcomer for its profile (`kind`: tab or Node) with one `call`.
 */
import type { DistNode, Pid } from 'distribunator/browser'
import { batched, byId, clock, h, replace } from './dom.js'
import { Names, colorOf, parsePresenceCall, parseProfile, type NodeKind, type Profile, WORKER_ID } from './shared.js'

interface Member {
  readonly pid: Pid
  readonly joinedAt: number
  profile: Profile | undefined
}

/** The members of `presence` as this tab sees them, with their profiles. */
export class Presence {
  private readonly members = new Map<string, Member>()
  private readonly listeners = new Set<() => void>()

  constructor(private readonly node: DistNode) {}

  /** Serves this tab's profile and follows the `presence` name. */
  start(kind: NodeKind): void {
    const profile: Profile = { id: this.node.id, kind, since: Date.now() }
    const pid = this.node.spawn({
      handleCall: (msg) => {
        const call = parsePresenceCall(msg)
        if (call === null) throw new TypeError('expected { type: "profile" | "ping" }')
        return call.type === 'profile' ? profile : 'pong'
      },
    })
    // The members already there (they joined while connect() was meshing), then each change.
    this.node.watch(Names.presence, (event) => {
      if (event.type === 'current') for (const member of event.pids) this.add(member)
      else if (event.type === 'join') this.add(event.pid)
      else {
        const member = this.members.get(event.pid.node)
        if (member !== undefined && member.pid.equals(event.pid)) {
          this.members.delete(event.pid.node)
          this.changed()
        }
      }
    })
    this.node.register(Names.presence, pid)
  }

  /** Members in the order this tab saw them join. */
  list(): Array<{ id: string; kind: NodeKind | undefined; joinedAt: number; pid: Pid }> {
    return [...this.members.values()].map((m) => ({ id: m.pid.node, kind: m.profile?.kind ?? guessKind(m.pid.node), joinedAt: m.joinedAt, pid: m.pid }))
  }

  kindOf(id: string): NodeKind | undefined {
    return this.members.get(id)?.profile?.kind ?? guessKind(id)
  }

  pidOf(id: string): Pid | undefined {
    return this.members.get(id)?.pid
  }

  onChange(listener: () => void): void {
    this.listeners.add(listener)
  }

  private add(pid: Pid): void {
    if (this.members.get(pid.node)?.pid.equals(pid)) return
    const member: Member = { pid, joinedAt: Date.now(), profile: undefined }
    this.members.set(pid.node, member)
    this.changed()
    this.node.call(pid, { type: 'profile' }, 5000).then(
      (reply) => {
        const profile = parseProfile(reply)
        if (profile !== null && this.members.get(pid.node) === member) {
          member.profile = profile
          this.changed()
        }
      },
      () => {
        // gone before it answered; its leave event removes it
      },
    )
  }

  private changed(): void {
    for (const listener of this.listeners) listener()
  }
}

/** Before a profile arrives: the worker's id is known, anything else is probably a tab. */
function guessKind(id: string): NodeKind | undefined {
  return id === WORKER_ID ? 'node' : undefined
}

export const kindLabel = (kind: NodeKind | undefined): string => (kind === 'node' ? 'Node.js' : kind === 'tab' ? 'tab' : '…')

export function avatar(id: string, kind: NodeKind | undefined): HTMLElement {
  return h('span', { class: `avatar ${kind ?? ''}`, style: `--c: ${colorOf(id)}`, 'aria-hidden': 'true' }, kind === 'node' ? 'N' : 'T')
}

/** Renders the "Who's here" list into #presence-list. */
export function mountPresencePanel(node: DistNode, presence: Presence): void {
  const list = byId('presence-list')
  const count = byId('presence-count')
  const render = batched(() => {
    const members = presence.list()
    const me = members.filter((m) => m.id === node.id)
    const others = members.filter((m) => m.id !== node.id)
    const tabs = members.filter((m) => m.kind !== 'node').length
    count.textContent = `${members.length} node${members.length === 1 ? '' : 's'} · ${tabs} tab${tabs === 1 ? '' : 's'}`
    replace(
      list,
      ...[...me, ...others].map((m) =>
        h(
          'li',
          { class: m.id === node.id ? 'member me' : 'member', 'data-node': m.id },
          avatar(m.id, m.kind),
          h('span', { class: 'member-id mono' }, m.id),
          h('span', { class: `kind ${m.kind ?? ''}` }, kindLabel(m.kind)),
          m.id === node.id ? h('span', { class: 'you' }, 'you') : null,
          h('span', { class: 'since', title: `registered ${m.pid.toString()}` }, clock(m.joinedAt)),
        ),
      ),
    )
  })
  presence.onChange(render)
  render()
}
