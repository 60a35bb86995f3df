/**
 * distribunator/server: the signaling hub (`createHub`) and `connect()` for Node.js
 * processes (simple-peer over node-datachannel), plus everything from the core.
 *
 * @example
 * import { createHub, connect } from 'distribunator/server'
 * const hub = await createHub({ port: 8080 })
 * const worker = await connect({ hub: hub.url, cluster: 'demo', id: 'worker' })
 */
import type { ConnectOptions } from '../browser/connect-with.js'
import { connectWith } from '../browser/connect-with.js'
import type { DistNode } from '../core/api/types.js'
import { createNodePeer } from './node-peer.js'

export * from '../core/index.js'
export type { ConnectOptions } from '../browser/connect-with.js'
export { createSocketIoSignaling, type SocketIoSignalingOptions } from '../browser/socketio-signaling.js'
export { createHub, type AllowedOrigins, type Hub, type HubOptions, type HubLogger } from './hub.js'
export { createNodePeer, cleanupNodeWebRtc } from './node-peer.js'
export { nodeWrtc } from './wrtc.js'

/**
 * Joins `cluster` through the hub and links this process to every member over WebRTC
 * (node-datachannel). Same contract as the browser's `connect()`.
 *
 * @example
 * const node = await connect({ hub: 'http://127.0.0.1:8080', cluster: 'demo', id: 'worker' })
 * node.expose('Worker', { ping: () => 'pong' })
 */
export function connect(options: ConnectOptions): Promise<DistNode> {
  return connectWith(options, createNodePeer)
}
