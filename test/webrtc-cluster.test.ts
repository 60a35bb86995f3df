/** The multi-node suite, unchanged, over real WebRTC data channels (node-datachannel). */
import { channelFromPeer } from '../src/core/peer-channel.js'
import type { PeerLike } from '../src/core/signaling.js'
import { createNodePeer } from '../src/server/node-peer.js'
import { clusterSuite } from './cluster-suite.js'

function connected(peer: PeerLike): Promise<void> {
  return new Promise((resolve, reject) => {
    peer.on('connect', resolve)
    peer.on('error', reject)
  })
}

clusterSuite(
  'WebRTC data channels',
  async (a, b) => {
    const offerer = createNodePeer({ initiator: true })
    const answerer = createNodePeer({ initiator: false })
    offerer.on('signal', (data) => answerer.signal(data))
    answerer.on('signal', (data) => offerer.signal(data))
    await Promise.all([connected(offerer), connected(answerer)])
    await Promise.all([a.link(channelFromPeer(offerer)), b.link(channelFromPeer(answerer))])
  },
  { timeoutMs: 30_000 },
)
