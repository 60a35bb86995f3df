/**
 * distribunator/browser: `connect()` for a browser tab (Socket.IO signaling and
 * simple-peer over the page's native WebRTC), plus everything from the core.
 *
 * @example
 * import { connect } from 'distribunator/browser'
 * const node = await connect({ hub: 'http://localhost:8080', cluster: 'demo' })
 */
import type { DistNode } from '../core/api/types.js'
import { createBrowserPeer } from './browser-peer.js'
import { type ConnectOptions, connectWith } from './connect-with.js'

export * from '../core/index.js'
export type { ConnectOptions } from './connect-with.js'
export { createSocketIoSignaling, type SocketIoSignalingOptions } from './socketio-signaling.js'
export { createBrowserPeer }

/**
 * Joins `cluster` through the hub and links this tab to every member over WebRTC.
 * Resolves once the members present at join time are linked (or `meshTimeoutMs` passed;
 * late links keep being tried). Rejects `duplicate_id`, `unauthorized`, `badarg` or
 * `hub_unreachable` when the hub cannot be joined.
 *
 * @example
 * const node = await connect({ hub: 'http://localhost:8080', cluster: 'demo', id: 'tab-1' })
 * node.register('presence', node.spawn({}))
 */
export function connect(options: ConnectOptions): Promise<DistNode> {
  return connectWith(options, createBrowserPeer)
}
