/**
 * The Channel compliance suite (`distribunator/testing`) over this repository's own
 * transports: the in-memory pair and a real WebRTC data channel (simple-peer on
 * node-datachannel) wrapped by `channelFromPeer`.
 */
import { describe, it } from 'vitest'
import { createMemoryChannelPair } from '../../src/core/index.js'
import { channelFromPeer } from '../../src/core/webrtc/data-channel.js'
import type { PeerLike } from '../../src/core/webrtc/simple-peer.js'
import { createNodePeer } from '../../src/server/node-peer.js'
import { channelCompliance, type ChannelPair } from '../../src/testing/index.js'

describe('Channel compliance: memory pair', () => {
  channelCompliance(it, () => {
    const [a, b] = createMemoryChannelPair()
    return { a, b }
  })
})

/** Two connected peers in this process; a connect that fails is tried again with fresh peers, as the mesh does. */
async function webrtcPair(): Promise<ChannelPair> {
  for (let attempt = 1; ; attempt++) {
    const a = createNodePeer({ initiator: true })
    const b = createNodePeer({ initiator: false })
    a.on('signal', (data) => b.signal(data))
    b.on('signal', (data) => a.signal(data))
    const connected = (peer: PeerLike): Promise<void> =>
      new Promise((resolve, reject) => {
        peer.on('connect', resolve)
        peer.on('error', reject)
      })
    try {
      await Promise.all([connected(a), connected(b)])
      return { a: channelFromPeer(a), b: channelFromPeer(b) }
    } catch (error) {
      a.destroy()
      b.destroy()
      if (attempt === 3) throw error
    }
  }
}

describe('Channel compliance: WebRTC data channel', () => {
  channelCompliance((name, fn) => it(name, fn, 30_000), webrtcPair, { largeBytes: 4 * 1024 * 1024 })
})
