/**
 * The demo page: this tab joins the cluster as one more node, next to the other tabs and
 * the Node worker, and each panel shows one part of the library at work.
 *
 * URL parameters: `?hub=http://host:port` (default: `VITE_HUB_URL`, set by `npm start`,
 * else port 8080 on this page's host), `?cluster=name` (default `demo`), `?id=name`
 * (default `tab-` and four random characters), `?heartbeat=ms` (how long a silent link
 * may stay up; default the library's 2500 ms, pinged every fifth of it).
 */
import { connect, type DistNode } from 'distribunator/browser'
import { mountChatPanel } from './chat.js'
import { mountCounterPanel } from './counter.js'
import { byId, h, replace } from './dom.js'
import { mountInspector } from './inspector.js'
import { Presence, avatar, mountPresencePanel } from './presence.js'
import { mountRpcPanel } from './rpc-panel.js'
import { DEFAULT_CLUSTER, DEFAULT_HUB_PORT, acceptRegistration, colorOf } from './shared.js'
import './style.css'
import './panels.css'
import './streams.css'

interface Config {
  readonly hub: string
  readonly cluster: string
  readonly id: string
  readonly heartbeatTimeoutMs: number | undefined
}

function readConfig(): Config {
  const params = new URLSearchParams(location.search)
  const fallbackHub = `${location.protocol === 'https:' ? 'https' : 'http'}://${location.hostname || '127.0.0.1'}:${DEFAULT_HUB_PORT}`
  const hub = params.get('hub') || import.meta.env.VITE_HUB_URL || fallbackHub
  const cluster = params.get('cluster') || DEFAULT_CLUSTER
  const random = Array.from(crypto.getRandomValues(new Uint8Array(2)), (b) => b.toString(16).padStart(2, '0')).join('')
  const id = params.get('id') || `tab-${random}`
  const heartbeat = Number(params.get('heartbeat'))
  const heartbeatTimeoutMs = Number.isInteger(heartbeat) && heartbeat >= 100 ? heartbeat : undefined
  return { hub, cluster, id, heartbeatTimeoutMs }
}

function showHeader(config: Config, node: DistNode): void {
  replace(byId('me'), avatar(node.id, 'tab'), h('span', { class: 'mono' }, node.id), h('span', { class: 'you' }, 'you'))
  byId('me').style.setProperty('--c', colorOf(node.id))
  const links = byId('links')
  const update = (): void => {
    const all = node.links()
    const relayed = all.filter((link) => link.path === 'relay').length
    const paths = all.length === 0 ? '' : relayed === 0 ? ' · all WebRTC' : ` · ${relayed} through the hub`
    links.textContent = `${all.length} link${all.length === 1 ? '' : 's'}${paths}`
    links.classList.toggle('none', all.length === 0)
  }
  node.on('nodeup', update)
  node.on('nodedown', update)
  node.on('path', update)
  update()
  byId('cluster').textContent = config.cluster
}

function showFailure(config: Config, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error)
  document.body.classList.remove('connecting')
  document.body.classList.add('failed')
  replace(
    byId('status'),
    h('strong', {}, 'Could not join the cluster. '),
    message,
    h('br'),
    'Is the hub running at ',
    h('code', {}, config.hub),
    '? Start everything with ',
    h('code', {}, 'npm start'),
    ', or point this page at a hub with ',
    h('code', {}, '?hub=http://host:port'),
    '.',
  )
}

async function main(): Promise<void> {
  const config = readConfig()
  byId('hub').textContent = config.hub.replace(/^\w+:\/\//, '')
  byId('cluster').textContent = config.cluster
  let node: DistNode
  try {
    const { hub, cluster, id, heartbeatTimeoutMs } = config
    const heartbeat = heartbeatTimeoutMs === undefined ? {} : { heartbeatTimeoutMs, heartbeatIntervalMs: Math.round(heartbeatTimeoutMs / 5) }
    // only the member the hub admitted as the server may hold the counter (shared.ts)
    node = await connect({ hub, cluster, id, acceptRegistration, ...heartbeat })
  } catch (error) {
    showFailure(config, error)
    return
  }
  document.body.classList.remove('connecting')
  const presence = new Presence(node)
  // Panels first (they follow join/leave events), then this tab's own presence.
  mountPresencePanel(node, presence)
  mountInspector(node, presence)
  presence.start('tab')
  mountCounterPanel(node)
  mountChatPanel(node)
  mountRpcPanel(node)
  showHeader(config, node)
  // Leaving on purpose tells the others at once instead of after the heartbeat timeout.
  addEventListener('pagehide', () => void node.close())
  // A page restored from the back/forward cache comes back with a closed node: start over.
  addEventListener('pageshow', (event) => {
    if (event.persisted) location.reload()
  })
  window.__distribunator = { node, hub: config.hub, cluster: config.cluster, connect }
  document.body.dataset.ready = 'true'
}

void main()
