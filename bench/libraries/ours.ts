/**
 * This library in the comparison: `connect` to the hub, an `echo:<id>` process answering
 * calls and counting casts. A peer is usable once its `echo:<id>` name is seen (the link
 * is up, over the hub's relay at first); its link moves onto WebRTC in the background,
 * which the `path` event tells.
 */
import { connect } from 'distribunator/browser'
import { epochNow, type Member, PeerList, type Start } from './adapter.js'

const ECHO = 'echo:'

export const start: Start = async ({ id, room, servers, serve, maxDirectLinks }) => {
  const peers = new PeerList()
  const direct = new Map<string, number>()
  const directWaiters = new Map<string, Array<(at: number) => void>>()
  const node = await connect({ hub: servers.hub, cluster: room, id, ...(maxDirectLinks === undefined ? {} : { maxDirectLinks }) })
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
    close: () => node.close(),
  }
  return member
}
