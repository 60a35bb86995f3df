/**
 * distribunator/browser: `connect()` for a browser tab (Socket.IO signaling and
 * simple-peer over the page's native WebRTC), plus everything from the core.
 *
 * @example
 * import { connect } from 'distribunator/browser'
 * const node = await connect({ hub: 'http://localhost:8080', cluster: 'demo' })
 */
import { io } from 'socket.io-client'
import type { AnyNames, NameMap } from '../core/api/names.js'
import type { DistNode } from '../core/api/types.js'
import { type ConnectOptions, connectWith } from '../core/mesh/connect.js'
import { createHubSignaling, type SocketIoSignalingOptions } from '../core/hub/hub-signaling.js'
import type { Signaling } from '../core/hub/signaling.js'
import { createBrowserPeer } from './browser-peer.js'
import { probeHub } from './hub-probe.js'

export * from '../core/index.js'
export type { ConnectOptions } from '../core/mesh/connect.js'
export type { HubConnector, HubSocket, SocketIoSignalingOptions } from '../core/hub/hub-signaling.js'
export { createBrowserPeer }

/**
 * Joins `cluster` through the hub and links this tab to every member over WebRTC.
 * Resolves once the members present at join time are linked (or `meshTimeoutMs` passed;
 * late links keep being tried). Rejects `duplicate_id`, `unauthorized`, `badarg` or
 * `hub_unreachable` when the hub cannot be joined: at once, saying why, when a look at the
 * hub URL over HTTP shows that no hub can be joined there (nothing answers, the other
 * scheme answers, or a server that is not a hub). `Names` (types only) maps the names the
 * node uses to their pid types (see `DistNode`).
 *
 * @example
 * const node = await connect({ hub: 'http://localhost:8080', cluster: 'demo', id: 'tab-1' })
 * node.register('presence', node.spawn({}))
 */
export function connect<Names extends NameMap<Names> = AnyNames>(options: ConnectOptions): Promise<DistNode<Names>> {
  return connectWith<Names>(options, { createPeer: createBrowserPeer, io, probeHub })
}

/**
 * A `Signaling` backend that joins `cluster` on a Socket.IO hub (what `connect` uses).
 *
 * @example
 * const signaling = createSocketIoSignaling({ hub: 'http://localhost:8080', cluster: 'demo' })
 * signaling.onJoined(({ members }) => console.log('present', members))
 * await signaling.join()
 */
export function createSocketIoSignaling(options: SocketIoSignalingOptions): Signaling & { readonly id: string } {
  return createHubSignaling(options, io, undefined, probeHub)
}
