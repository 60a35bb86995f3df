/** The multi-node suite, unchanged, over real WebRTC data channels (node-datachannel). */
import { channelFromPeer } from '../../src/core/webrtc/data-channel.js'
import type { PeerLike } from '../../src/core/webrtc/simple-peer.js'
import { createNodePeer } from '../../src/server/node-peer.js'
import { clusterSuite, type Linker } from '../support/cluster-suite.js'
import { valuesSuite } from '../support/values-suite.js'

function connected(peer: PeerLike): Promise<void> {
  return new Promise((resolve, reject) => {
    peer.on('connect', resolve)
    peer.on('error', reject)
    peer.on('close', () => reject(new Error('peer closed before it connected')))
  })
}

// A failed connect is tried again with fresh peers, as the mesh does (docs/node-webrtc.md).
const webrtc: Linker = async (a, b) => {
  for (let attempt = 1; ; attempt++) {
    const offerer = createNodePeer({ initiator: true })
    const answerer = createNodePeer({ initiator: false })
    offerer.on('signal', (data) => answerer.signal(data))
    answerer.on('signal', (data) => offerer.signal(data))
    try {
      await Promise.all([connected(offerer), connected(answerer)])
    } catch (error) {
      offerer.destroy()
      answerer.destroy()
      if (attempt === 3) throw error
      continue
    }
    await Promise.all([a.link(channelFromPeer(offerer)), b.link(channelFromPeer(answerer))])
    return
  }
}

clusterSuite('WebRTC data channels', webrtc, { timeoutMs: 30_000 })
valuesSuite('WebRTC data channels', webrtc)
