/**
 * The registry inspector: this tab's replica of the registry (`node.registry()`), names →
 * pids grouped by the node that owns them, redrawn on every `join` / `leave` event; the
 * state of the link to each peer (`nodeup` / `nodedown`, the path it runs on: WebRTC or
 * the hub's relay, with a round trip measured by a `call` to the peer's presence
 * process); and a stream of those events.
 */
import type { DistNode, LinkPath, Pid } from 'distribunator/browser'
import { batched, byId, clock, h, ms, replace } from './dom.js'
import { avatar, kindLabel, type Presence } from './presence.js'

const PING_EVERY_MS = 2000
const FORGET_DOWN_AFTER_MS = 20_000
const FRESH_MS = 2000
/** The event list shows this many, newest first. */
const KEEP_EVENTS = 14

interface LinkState {
  up: boolean
  path: LinkPath | undefined
  reason: string
  rtt: number | undefined
  changedAt: number
}

export function mountInspector(node: DistNode, presence: Presence): void {
  const grid = byId('registry-grid')
  const summary = byId('registry-summary')
  const events = byId('event-log')
  const links = new Map<string, LinkState>()
  const joinedAt = new Map<string, number>()
  const key = (name: string, pid: Pid): string => `${name} ${pid.toString()}`

  for (const { node: id, path } of node.links()) links.set(id, { up: true, path, reason: '', rtt: undefined, changedAt: Date.now() })

  const render = batched(() => {
    const byNode = new Map<string, Array<[string, Pid[]]>>()
    let pidCount = 0
    const entries = node.registry()
    for (const [name, pids] of entries) {
      for (const pid of pids) {
        pidCount++
        const names = byNode.get(pid.node) ?? []
        const row = names.find(([n]) => n === name)
        if (row === undefined) names.push([name, [pid]])
        else row[1].push(pid)
        byNode.set(pid.node, names)
      }
    }
    const ids = [node.id, ...[...new Set([...node.nodes(), ...links.keys(), ...byNode.keys()])].filter((id) => id !== node.id).sort(byKind(presence))]
    summary.textContent = `${entries.length} names · ${pidCount} pids · ${ids.length} nodes`
    const now = Date.now()
    replace(
      grid,
      ...ids.map((id) => {
        const link = links.get(id)
        const kind = presence.kindOf(id)
        const rows = (byNode.get(id) ?? []).sort(([a], [b]) => a.localeCompare(b))
        const state =
          id === node.id
            ? h('span', { class: 'link self' }, 'this tab')
            : link === undefined || link.up
              ? h(
                  'span',
                  { class: `link up ${link?.path ?? ''}`, title: link?.path === 'relay' ? "through the hub's relay (WebRTC not open yet, or not possible)" : 'WebRTC data channel' },
                  `${link?.path === 'relay' ? 'relayed' : 'WebRTC'}${link?.rtt !== undefined ? ` · ${ms(link.rtt)}` : ''}`,
                )
              : h('span', { class: 'link down', title: link.reason }, `down · ${link.reason}`)
        return h(
          'section',
          { class: `node-card ${link !== undefined && !link.up ? 'is-down' : ''}`, 'data-node': id },
          h('header', {}, avatar(id, kind), h('span', { class: 'mono node-id' }, id), h('span', { class: `kind ${kind ?? ''}` }, kindLabel(kind)), state),
          rows.length === 0
            ? h('p', { class: 'empty' }, link !== undefined && !link.up ? 'its pids left every name' : 'no names')
            : h(
                'dl',
                {},
                ...rows.flatMap(([name, pids]) => [
                  h('dt', { class: 'mono' }, name),
                  h(
                    'dd',
                    {},
                    ...pids.map((pid) =>
                      h('span', { class: `pid-chip mono ${now - (joinedAt.get(key(name, pid)) ?? 0) < FRESH_MS ? 'fresh' : ''}` }, pid.toString()),
                    ),
                  ),
                ]),
              ),
        )
      }),
    )
  })

  const logEvent = (kind: 'join' | 'leave' | 'up' | 'down' | 'path', text: string, detail = ''): void => {
    events.prepend(
      h(
        'li',
        { class: `ev ev-${kind}` },
        h('span', { class: 'ev-time mono' }, clock(Date.now())),
        h('span', { class: 'ev-kind' }, kind === 'up' ? 'nodeup' : kind === 'down' ? 'nodedown' : kind),
        h('span', { class: 'mono' }, text),
        detail ? h('span', { class: 'ev-detail' }, detail) : null,
      ),
    )
    while (events.childElementCount > KEEP_EVENTS) events.lastElementChild?.remove()
  }

  node.on('join', (name, pid) => {
    joinedAt.set(key(name, pid), Date.now())
    logEvent('join', `${name} ${pid.toString()}`)
    render()
    setTimeout(render, FRESH_MS + 50)
  })
  node.on('leave', (name, pid) => {
    joinedAt.delete(key(name, pid))
    logEvent('leave', `${name} ${pid.toString()}`)
    render()
  })
  node.on('nodeup', (id) => {
    const path = node.links().find((link) => link.node === id)?.path
    links.set(id, { up: true, path, reason: '', rtt: undefined, changedAt: Date.now() })
    logEvent('up', id, path === 'relay' ? 'linked through the hub' : 'WebRTC link open')
    render()
  })
  node.on('path', (id, path) => {
    const link = links.get(id)
    if (link === undefined || link.path === path) return
    link.path = path
    logEvent('path', id, path === 'direct' ? 'moved onto WebRTC' : "moved onto the hub's relay")
    render()
  })
  node.on('nodedown', (id, reason) => {
    links.set(id, { up: false, path: undefined, reason, rtt: undefined, changedAt: Date.now() })
    logEvent('down', id, reason)
    render()
  })
  presence.onChange(render)

  setInterval(() => {
    const now = Date.now()
    for (const [id, link] of links) if (!link.up && now - link.changedAt > FORGET_DOWN_AFTER_MS) links.delete(id)
    for (const id of node.nodes()) {
      const pid = presence.pidOf(id)
      if (pid === undefined) continue
      const started = performance.now()
      node.call(pid, { type: 'ping' }, PING_EVERY_MS).then(
        () => {
          const link = links.get(id)
          if (link?.up) link.rtt = performance.now() - started
        },
        () => {},
      )
    }
    render()
  }, PING_EVERY_MS)
  render()
}

/** The Node worker first, then tabs, each group by id. */
function byKind(presence: Presence): (a: string, b: string) => number {
  return (a, b) => {
    const ka = presence.kindOf(a) === 'node' ? 0 : 1
    const kb = presence.kindOf(b) === 'node' ? 0 : 1
    return ka - kb || a.localeCompare(b)
  }
}
