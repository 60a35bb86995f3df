/**
 * `connect()` for any platform: Socket.IO signaling plus the mesh. The browser and the
 * Node entry points differ only in what they hand in (`Platform`): their WebRTC peer
 * factory and their copy of socket.io-client's `io`.
 */
import { BadArgError } from '../api/errors.js'
import type { AnyNames, NameMap } from '../api/names.js'
import type { DistNode } from '../api/types.js'
import { describe } from '../node/validate.js'
import type { ConnectErrorExplainer } from '../hub/connect-failure.js'
import type { HubProbe } from '../hub/hub-probe.js'
import { createHubSignaling, type HubConnector, hubUrls } from '../hub/hub-signaling.js'
import type { Sealer } from '../hub/sealed.js'
import type { PeerFactory } from '../webrtc/simple-peer.js'
import { startMesh } from './mesh.js'
import { MESH_DEFAULTS, type MeshOptions } from './mesh-options.js'

/** What a platform entry hands to `connectWith`. */
export interface Platform {
  /** Makes a WebRTC peer (simple-peer) for this platform. */
  readonly createPeer: PeerFactory
  /** socket.io-client's `io`. */
  readonly io: HubConnector
  /** Why a hub connection failed, from what only this platform can read (Node's system errors). */
  readonly explainConnectError?: ConnectErrorExplainer
  /** Looks at a hub URL whose WebSocket failed without a reason (a page's), so that a first join can fail at once, saying why. */
  readonly probeHub?: HubProbe
  /** Derives the sealer of `connect({ password })` (default: WebCrypto's; Node hands in `node:crypto`'s, which works at once). */
  readonly passwordSealer?: (password: string, cluster: string) => Promise<Sealer>
}

/**
 * A STUN or TURN server: the fields of WebRTC's `RTCIceServer` that `connect()` passes on,
 * declared here so that the published types need no DOM library in Node.
 */
export interface IceServer {
  urls: string | string[]
  username?: string
  credential?: string
}

/** Options of `connect()`. */
export interface ConnectOptions extends Omit<MeshOptions, 'id' | 'iceServers'> {
  /** Hub URL (`http://host:port`), or several: the node moves to another when one dies. */
  readonly hub: string | readonly string[]
  /** The cluster (room) to join. */
  readonly cluster: string
  /** This node's id, unique in the cluster. Default: a random UUID. */
  readonly id?: string
  /**
   * Handed to the hub's admission (its `authorize` hook or JWT check): plain JSON of at
   * most 4 KiB, or a function (sync or async) returning it, called at every join and
   * re-join so a token can be refreshed. A refused re-join ends the node (`hub` event
   * `refused`).
   */
  readonly auth?: unknown | (() => unknown)
  /** STUN/TURN servers for the WebRTC links. Default: none (same machine or LAN). */
  readonly iceServers?: readonly IceServer[]
  /** How long the first join may take before it rejects `hub_unreachable`. Default 10 s. */
  readonly joinTimeoutMs?: number
  /** socket.io-client's `io`, to use another copy or a wrapper. */
  readonly io?: HubConnector
  /**
   * Seal what passes through the hub, end to end: relayed link traffic and WebRTC signals
   * are encrypted and authenticated (AES-GCM, a key derived from this password and the
   * cluster name with PBKDF2, by WebCrypto), so the hub and Redis see only ciphertext and
   * cannot alter a signal. Every member needs the same password; one with another is
   * never linked and is reported (an `error` event naming it). Needs WebCrypto: in a
   * browser, a secure page (https:// or http://localhost).
   */
  readonly password?: string
}

/**
 * Joins `options.cluster` through the hub and keeps this node linked to every member.
 * `Names` (types only) maps the names the node uses to their pid types (see `DistNode`).
 *
 * @example
 * const node = await connectWith({ hub: 'http://127.0.0.1:8080', cluster: 'demo' }, { createPeer, io })
 */
export async function connectWith<Names extends NameMap<Names> = AnyNames>(options: ConnectOptions, platform: Platform): Promise<DistNode<Names>> {
  if (typeof options !== 'object' || options === null) throw new BadArgError(`options must be an object, got ${describe(options)}`)
  const hubs = hubUrls(options.hub)
  if (options.iceServers !== undefined && !Array.isArray(options.iceServers)) {
    throw new BadArgError(`iceServers must be an array, got ${describe(options.iceServers)}`)
  }
  const { hub, cluster, id, auth, iceServers, joinTimeoutMs, io, password, ...meshOptions } = options
  // loaded only when a password is given (an app's bundler can leave it out of the first chunk)
  const sealing = password === undefined ? undefined : await import('../hub/sealed.js')
  const sealer = sealing === undefined ? undefined : await (platform.passwordSealer ?? sealing.passwordSealer)(password as string, String(cluster))
  const hubSignaling = createHubSignaling({
    hub: hubs,
    cluster,
    ...(id !== undefined ? { id } : {}),
    ...(auth !== undefined ? { auth } : {}),
    ...(joinTimeoutMs !== undefined ? { joinTimeoutMs } : {}),
    ...(meshOptions.relay === false ? { relay: false } : {}),
  }, io ?? platform.io, platform.explainConnectError, platform.probeHub)
  // what does not open is told as an `error` event; during connect(), once it has resolved
  const early: string[] = []
  let report = (message: string): void => void early.push(message)
  const signaling = sealing === undefined || sealer === undefined ? hubSignaling : sealing.sealSignaling(hubSignaling, hubSignaling.id, sealer, (message) => report(message))
  // The hub tells at once when a member's process or tab is gone, so the heartbeat of a
  // direct link only has to catch what the hub cannot see (a network partition): its
  // timeout can be long enough that load never trips it.
  const liveness = {
    heartbeatIntervalMs: meshOptions.heartbeatIntervalMs ?? Math.min(MESH_DEFAULTS.connectHeartbeatIntervalMs, (meshOptions.heartbeatTimeoutMs ?? Infinity) / 4),
    heartbeatTimeoutMs: meshOptions.heartbeatTimeoutMs ?? MESH_DEFAULTS.connectHeartbeatTimeoutMs,
  }
  const { node, host } = await startMesh({ ...meshOptions, ...liveness, id: hubSignaling.id, ...(iceServers ? { iceServers } : {}) }, signaling, platform.createPeer)
  report = (message) => host.report(message)
  if (early.length > 0) setTimeout(() => early.splice(0).forEach(report), 0)
  return node as DistNode<any> // the name map only narrows what the compiler accepts
}
