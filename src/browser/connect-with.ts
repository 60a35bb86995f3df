/**
 * `connect()` for any platform, given the WebRTC peer factory: Socket.IO signaling
 * (socket.io-client works in browsers and in Node) plus the core's mesh. The browser and
 * the Node entry points differ only in the peer factory they hand in.
 */
import { BadArgError } from '../core/api/errors.js'
import { joinMesh, type MeshOptions } from '../core/mesh/mesh.js'
import type { PeerFactory } from '../core/signaling/signaling.js'
import type { DistNode } from '../core/api/types.js'
import { describe } from '../core/node/validate.js'
import { createSocketIoSignaling, type SocketIoSignalingOptions } from './socketio-signaling.js'

/** Options of `connect()`. */
export interface ConnectOptions extends Omit<MeshOptions, 'id' | 'iceServers'> {
  /** Hub URL (`http://host:port`), or several: the node moves to another when one dies. */
  readonly hub: string | readonly string[]
  /** The cluster (room) to join. */
  readonly cluster: string
  /** This node's id, unique in the cluster. Default: a random UUID. */
  readonly id?: string
  /** Handed to the hub's `authorize` hook (plain JSON, at most 4 KiB). */
  readonly auth?: unknown
  /** STUN/TURN servers for the WebRTC links. Default: none (same machine or LAN). */
  readonly iceServers?: readonly RTCIceServer[]
  /** How long the first join may take before it rejects `hub_unreachable`. Default 10 s. */
  readonly joinTimeoutMs?: number
  /** socket.io-client's `io`, to use another copy or a wrapper. */
  readonly io?: SocketIoSignalingOptions['io']
}

export async function connectWith(options: ConnectOptions, createPeer: PeerFactory): Promise<DistNode> {
  if (typeof options !== 'object' || options === null) throw new BadArgError(`options must be an object, got ${describe(options)}`)
  const hubs = typeof options.hub === 'string' ? [options.hub] : options.hub
  if (!Array.isArray(hubs) || hubs.length === 0 || !hubs.every((h) => typeof h === 'string' && /^(https?|wss?):\/\//.test(h))) {
    throw new BadArgError(`hub must be an http(s):// or ws(s):// URL or a non-empty list of them, got ${describe(options.hub)}`)
  }
  if (options.iceServers !== undefined && !Array.isArray(options.iceServers)) {
    throw new BadArgError(`iceServers must be an array, got ${describe(options.iceServers)}`)
  }
  const { hub, cluster, id, auth, iceServers, joinTimeoutMs, io, ...meshOptions } = options
  const signaling = createSocketIoSignaling({
    hub: hubs,
    cluster,
    ...(id !== undefined ? { id } : {}),
    ...(auth !== undefined ? { auth } : {}),
    ...(joinTimeoutMs !== undefined ? { joinTimeoutMs } : {}),
    ...(io !== undefined ? { io } : {}),
  })
  return joinMesh({ ...meshOptions, id: signaling.id, ...(iceServers ? { iceServers } : {}) }, signaling, createPeer)
}
