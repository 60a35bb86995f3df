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
import type { AnyNames, NameMap } from '../core/api/names.js'
import type { DistNode } from '../core/api/types.js'
import { type ConnectOptions, connectWith, type IceServer } from '../core/mesh/connect.js'
import { createHubSignaling, type SocketIoSignalingOptions } from '../core/hub/hub-signaling.js'
import type { Signaling } from '../core/hub/signaling.js'
import { explainNodeConnectError } from './node-connect-failure.js'
import { useDebugLogs } from './logs.js'
import { createNodePeer } from './node-peer.js'
import { nodePasswordSealer } from './node-sealer.js'
import { nodeWrtc as wrtcShim } from './wrtc.js'

export * from '../core/index.js'
export type { ConnectOptions } from '../core/mesh/connect.js'
export type { HubConnector, HubSocket, SocketIoSignalingOptions } from '../core/hub/hub-signaling.js'
export { createHub, type AllowedOrigins, type Hub, type HubOptions, type HubLogger } from './hub/hub.js'
export type { AuthorizeRequest, AuthorizeVerdict, JwtOptions } from './hub/authorize.js'
export type { ClientRequest } from './hub/options.js'
export { forwardedFor } from './hub/address-budget.js'
export { createNodePeer, cleanupNodeWebRtc } from './node-peer.js'

/**
 * The constructors of a W3C WebRTC implementation, as simple-peer's `wrtc` option takes
 * them. Declared with the few shapes they are built from, so the published types need
 * neither the DOM library nor node-datachannel's typings.
 */
export interface NodeWrtc {
  readonly RTCPeerConnection: new (configuration?: { iceServers?: IceServer[] }) => object
  readonly RTCSessionDescription: new (init: { type: 'offer' | 'answer' | 'pranswer' | 'rollback'; sdp?: string }) => object
  readonly RTCIceCandidate: new (init: { candidate?: string; sdpMid?: string | null; sdpMLineIndex?: number | null }) => object
  readonly RTCDataChannel: abstract new (...args: never[]) => object
}

/**
 * simple-peer's `wrtc` option in Node: node-datachannel's WebRTC classes with the fixes
 * simple-peer needs (see src/server/wrtc.ts). `createNodePeer` passes it for you;
 * simple-peer's own typings want the DOM's classes, so cast it where you pass it yourself.
 *
 * @example
 * import Peer from 'simple-peer'
 * const peer = new Peer({ initiator: true, wrtc: nodeWrtc as unknown as Peer.Options['wrtc'] })
 */
export const nodeWrtc: NodeWrtc = wrtcShim

// `DEBUG=distribunator*` works for whatever this entry makes, `createNode` included.
useDebugLogs()

/**
 * Joins `cluster` through the hub and links this process to every member over WebRTC
 * (node-datachannel). Same contract as the browser's `connect()`; `Names` (types only) maps
 * the names the node uses to their pid types (see `DistNode`).
 *
 * @example
 * const node = await connect({ hub: 'http://127.0.0.1:8080', cluster: 'demo', id: 'worker' })
 * node.expose('Worker', { ping: () => 'pong' })
 */
export function connect<Names extends NameMap<Names> = AnyNames>(options: ConnectOptions): Promise<DistNode<Names>> {
  useDebugLogs()
  return connectWith<Names>(options, { createPeer: createNodePeer, io, explainConnectError: explainNodeConnectError, passwordSealer: nodePasswordSealer })
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
  useDebugLogs()
  return createHubSignaling(options, io, explainNodeConnectError)
}
