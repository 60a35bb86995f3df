/**
 * This library in the comparison: `connect` to the hub, an `echo:<id>` process answering
 * calls and counting casts. A peer is usable once its `echo:<id>` name is seen (the
 * registration an app waits for; the link is up, over the hub's relay at first); its link
 * moves onto WebRTC in the background, which the `path` event tells. `marks` tells when
 * `connect()` resolved and when each link came up and went direct.
 */
import { connect, type Log, setLogger } from 'distribunator/browser'
import { epochNow, type LibraryMarks, type Member, PeerList, type Start } from './adapter.js'

const ECHO = 'echo:'

/**
 * The library's own debug log of signaling and the mesh (hub connected, join answered,
 * links over the relay, direct attempts and moves), each line with its moment, kept only
 * on a page opened with `&timeline` (BENCH_TIMELINE): a log costs nothing while it is off.
 */
const logged: Array<readonly [number, string]> = []
if (new URLSearchParams(location.search).has('timeline')) {
  const kept = new Set(['distribunator:signaling', 'distribunator:mesh'])
  setLogger((namespace) => {
    const short = namespace.replace(/^distribunator:/, '')
    const log = (format: string, ...args: unknown[]): void => {
      let i = 0
      logged.push([epochNow(), `${short}: ${format.replace(/%[sdoj]/g, () => String(args[i++]))}`])
    }
    return Object.assign(log, { enabled: kept.has(namespace) }) satisfies Log
  })
}

export const start: Start = async ({ id, room, servers, serve, maxDirectLinks }) => {
  const peers = new PeerList()
  const direct = new Map<string, number>()
  const directWaiters = new Map<string, Array<(at: number) => void>>()
  const from = logged.length
  const node = await connect({ hub: servers.hub, cluster: room, id, ...(maxDirectLinks === undefined ? {} : { maxDirectLinks }) })
  const connected = epochNow()
  /** When each link was up (its `nodeup`, over the relay at first). */
  const linked = new Map<string, number>()
  node.on('nodeup', (peer) => {
    if (!linked.has(peer)) linked.set(peer, epochNow())
  })
  for (const link of node.links()) linked.set(link.node, connected)
  node.on('path', (peer, path) => {
    if (path !== 'direct' || direct.has(peer)) return
    const at = epochNow()
    direct.set(peer, at)
    for (const resolve of directWaiters.get(peer) ?? []) resolve(at)
    directWaiters.delete(peer)
  })
  for (const link of node.links()) if (link.path === 'direct') direct.set(link.node, epochNow())
  const seen = (name: string): void => {
    if (name.startsWith(ECHO) && name !== `${ECHO}${id}`) peers.add(name.slice(ECHO.length))
  }
  node.on('join', seen)
  node.register(`${ECHO}${id}`, node.spawn({ handleCall: (msg) => serve.answer(msg), handleCast: (msg) => serve.message(msg) }))
  for (const [name] of node.registry()) seen(name)

  const member: Member = {
    id,
    onPeer: (listener) => peers.listen(listener),
    request: (peer, data) => node.call(`${ECHO}${peer}`, data, 60_000),
    send: (peer, data) => node.cast(`${ECHO}${peer}`, data),
    directAt(peer) {
      const at = direct.get(peer)
      if (at !== undefined) return Promise.resolve(at)
      return new Promise((resolve) => {
        const waiting = directWaiters.get(peer) ?? []
        waiting.push(resolve)
        directWaiters.set(peer, waiting)
      })
    },
    marks(): LibraryMarks {
      const peers: Record<string, { link?: number; direct?: number }> = {}
      for (const [peer, at] of linked) peers[peer] = { link: at }
      for (const [peer, at] of direct) peers[peer] = { ...peers[peer], direct: at }
      return { connected, peers, log: logged.slice(from) }
    },
    close: () => node.close(),
  }
  return member
}
