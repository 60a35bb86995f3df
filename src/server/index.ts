/**
 * distribunator/server: the signaling hub (`createHub`) and `connect()` for Node.js
 * processes (simple-peer over node-datachannel), plus everything from the core.
 *
 * @example
 * import { createHub, connect } from 'distribunator/server'
 * const hub = await createHub({ port: 8080 })
 * const worker = await connect({ hub: hub.url, cluster: 'demo', id: 'worker' })
 */
import { io } from 'socket.io-client'
import type { DistNode } from '../core/api/types.js'
import { type ConnectOptions, connectWith } from '../core/mesh/connect.js'
import { createHubSignaling, type SocketIoSignalingOptions } from '../core/signaling/hub-signaling.js'
import type { Signaling } from '../core/signaling/signaling.js'
import { createNodePeer } from './node-peer.js'

export * from '../core/index.js'
export type { ConnectOptions } from '../core/mesh/connect.js'
export type { HubConnector, HubSocket, SocketIoSignalingOptions } from '../core/signaling/hub-signaling.js'
export { createHub, type AllowedOrigins, type Hub, type HubOptions, type HubLogger } from './hub/hub.js'
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
  return connectWith(options, { createPeer: createNodePeer, io })
}

/**
 * A `Signaling` backend that joins `cluster` on a Socket.IO hub (what `connect` uses).
 *
 * @example
 * const signaling = createSocketIoSignaling({ hub: 'http://127.0.0.1:8080', cluster: 'demo' })
 * signaling.onJoined(({ members }) => console.log('present', members))
 * await signaling.join()
 */
export function createSocketIoSignaling(options: SocketIoSignalingOptions): Signaling & { readonly id: string } {
  return createHubSignaling(options, io)
}
