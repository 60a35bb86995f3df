/**
 * `createNodePeer`: the `PeerFactory` for Node processes. simple-peer 9.11.1 on
 * node-datachannel (through the shim in ./wrtc.ts), trickle ICE, and the clean-up that
 * lets a process exit as soon as its peers are gone.
 *
 * Handshake: the `remote` option says what answers this peer's offers (`'node'`,
 * `'browser'`, or not given: unknown), which picks how the offer orders its handshake
 * (./wrtc.ts, docs/node-webrtc.md). Without it the ordering is the one that is safe
 * whatever answers; a Node answerer behaves the same whatever the option says.
 *
 * Exit: simple-peer starts a 5 s "ICE complete" timer on the first local candidate and
 * never clears it in `destroy()`, so a process that closed every link used to linger ~5 s.
 * Every peer made here clears that timer when it closes (however it closes: `destroy()`,
 * remote close, error). node-datachannel releases its native handles when the peer
 * connection is closed, which simple-peer's `destroy()` does; measured: a process exits
 * within ~60 ms of destroying its last peer.
 */
import Peer from 'simple-peer'
import { cleanup } from 'node-datachannel'
import { BadArgError } from '../core/api/errors.js'
import type { IceServer } from '../core/mesh/connect.js'
import { clearIceCompleteTimer, onConnectionState, type PeerFactory, type PeerLike } from '../core/webrtc/simple-peer.js'
import type { RemoteKind } from '../core/webrtc/simple-peer.js'
import { nodeWrtcFor } from './wrtc.js'

/** Peers made by `createNodePeer` and not closed yet, for `cleanupNodeWebRtc`. */
const livePeers = new Set<Peer.Instance>()

/** The simple-peer `wrtc` option type; the shim implements what simple-peer calls of it. */
type WrtcOption = NonNullable<Peer.Options['wrtc']>

function wrtcOption(remote: RemoteKind | undefined): WrtcOption {
  // node-datachannel's polyfill classes are not declared as the DOM's constructor types
  // (their static members differ), though they implement the instance API simple-peer uses.
  return nodeWrtcFor(remote) as unknown as WrtcOption
}

/** What `createNodePeer` takes: the `PeerFactory` options and what the remote is, if known. */
export interface NodePeerOptions {
  readonly initiator: boolean
  readonly iceServers?: readonly unknown[]
  /** `relay`: gather only TURN candidates (no host or server-reflexive address is offered). Default `all`. */
  readonly iceTransportPolicy?: 'all' | 'relay'
  /**
   * What answers this peer's offers, when the caller knows: `'node'` (a peer made by
   * `createNodePeer` or node-datachannel) or `'browser'`. It only matters when
   * `initiator` is true. Not given: an ordering safe with both, whose connects take about
   * 50 ms longer than with `'browser'`. The wrong kind does not break the link but can
   * delay its connect by a second or more.
   */
  readonly remote?: RemoteKind
}

/** Validates `remote` (application input). */
function toRemoteKind(remote: unknown): RemoteKind | undefined {
  if (remote === undefined || remote === 'node' || remote === 'browser') return remote
  throw new BadArgError("remote must be 'node', 'browser' or undefined")
}

/** Validates `iceServers` (application input) into RTCIceServer objects. */
export function toIceServers(servers: readonly unknown[] | undefined): IceServer[] {
  if (servers === undefined) return []
  return servers.map((server, index) => {
    if (typeof server !== 'object' || server === null || !('urls' in server)) {
      throw new BadArgError(`iceServers[${index}] must be an object with urls`)
    }
    const { urls } = server
    const list = typeof urls === 'string' ? [urls] : urls
    if (!Array.isArray(list) || list.length === 0 || !list.every((url) => typeof url === 'string')) {
      throw new BadArgError(`iceServers[${index}].urls must be a string or a non-empty array of strings`)
    }
    const result: RTCIceServer = { urls: list.map(String) }
    const username = 'username' in server ? server.username : undefined
    const credential = 'credential' in server ? server.credential : undefined
    if (username !== undefined) {
      if (typeof username !== 'string') throw new BadArgError(`iceServers[${index}].username must be a string`)
      result.username = username
    }
    if (credential !== undefined) {
      if (typeof credential !== 'string') throw new BadArgError(`iceServers[${index}].credential must be a string`)
      result.credential = credential
    }
    return result
  })
}

/**
 * Creates a simple-peer instance for Node: node-datachannel underneath, trickle ICE,
 * `iceServers` as given (default none: host candidates only, enough for loopback and a
 * LAN), and the handshake ordering for `remote` (see `NodePeerOptions`). Pass its signals
 * to the other side and the other side's to `peer.signal()`.
 *
 * A connect that fails all the same (a remote that closes, a network that drops the
 * handshake) ends the peer with an `'error'` event, then `'close'`, as simple-peer does;
 * nothing is thrown and no promise is left rejected.
 *
 * `signal()` on the returned peer never throws: signal data it cannot use (it comes from
 * the network) destroys the peer with that error, reported through its `'error'` event.
 *
 * @example
 * const peer = createNodePeer({ initiator: true, remote: 'node' })
 * peer.on('signal', (data) => hub.send(remoteId, data))
 * peer.on('connect', () => {
 *   const channel = channelFromPeer(peer)
 *   channel.send('hello')
 * })
 */
export const createNodePeer = (({ initiator, iceServers, iceTransportPolicy, remote }: NodePeerOptions): PeerLike => {
  const config: RTCConfiguration = { iceServers: toIceServers(iceServers), ...(iceTransportPolicy === undefined ? {} : { iceTransportPolicy }) }
  const peer = new Peer({ initiator, trickle: true, wrtc: wrtcOption(toRemoteKind(remote)), config })
  livePeers.add(peer)
  // libdatachannel can close or fail a connection on its own (seen under heavy load)
  // without simple-peer noticing; end the peer then, so the mesh retries at once instead
  // of waiting out its link timeout. A close is also how a remote's clean close can
  // arrive first, so only a failure counts as an error.
  onConnectionState(peer, (state) => {
    if (peer.destroyed) return
    if (state === 'failed') peer.destroy(new Error('connection failed'))
    else if (state === 'closed') peer.destroy()
  })
  peer.once('close', () => {
    livePeers.delete(peer)
    clearIceCompleteTimer(peer)
  })

  const signal = peer.signal.bind(peer)
  peer.signal = (data: unknown): void => {
    try {
      if (typeof data === 'string' || isSignalData(data)) signal(data)
      else throw new BadArgError('signal data must be an object')
    } catch (error) {
      peer.destroy(error instanceof Error ? error : new Error(String(error)))
    }
  }
  const result: PeerLike = peer
  return result
}) satisfies PeerFactory

/** Shape check before simple-peer reads the fields of a signal (it throws on `null`). */
function isSignalData(data: unknown): data is Peer.SignalData {
  return typeof data === 'object' && data !== null && !Array.isArray(data)
}

/**
 * Destroys every peer made by `createNodePeer` that is still open, then shuts down
 * node-datachannel's threads and sockets (its `cleanup()`).
 *
 * When to call it: at process shutdown, if some peer may still be open (a leaked peer,
 * or one made without `createNodePeer`): an open node-datachannel peer connection keeps
 * Node running forever. Not needed when every peer was destroyed: the process then exits
 * by itself at once. Peers can be created again afterwards (libdatachannel starts again).
 *
 * @example
 * process.on('SIGTERM', () => { void cleanupNodeWebRtc().then(() => process.exit(0)) })
 */
export async function cleanupNodeWebRtc(): Promise<void> {
  for (const peer of [...livePeers]) peer.destroy()
  // simple-peer closes its RTCPeerConnection in a microtask after destroy(), which
  // closes it natively in an immediate after its data channel's (./wrtc.ts)
  await new Promise<void>((resolve) => setTimeout(resolve, 0))
  await new Promise<void>((resolve) => setImmediate(resolve))
  cleanup()
}
