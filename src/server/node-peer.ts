/**
 * `createNodePeer`: the `PeerFactory` for Node processes. simple-peer 9.11.1 on
 * node-datachannel (through the shim in ./wrtc.ts), trickle ICE, and the clean-up that
 * lets a process exit as soon as its peers are gone.
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
import { nodeWrtc } from './wrtc.js'

/** Peers made by `createNodePeer` and not closed yet, for `cleanupNodeWebRtc`. */
const livePeers = new Set<Peer.Instance>()

/** The simple-peer `wrtc` option type; the shim implements what simple-peer calls of it. */
type WrtcOption = NonNullable<Peer.Options['wrtc']>

function wrtcOption(): WrtcOption {
  // node-datachannel's polyfill classes are not declared as the DOM's constructor types
  // (their static members differ), though they implement the instance API simple-peer uses.
  return nodeWrtc as unknown as WrtcOption
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
 * LAN). Pass its signals to the other side and the other side's to `peer.signal()`.
 *
 * `signal()` on the returned peer never throws: signal data it cannot use (it comes from
 * the network) destroys the peer with that error, reported through its `'error'` event.
 *
 * @example
 * const peer = createNodePeer({ initiator: true })
 * peer.on('signal', (data) => hub.send(remoteId, data))
 * peer.on('connect', () => {
 *   const channel = channelFromPeer(peer)
 *   channel.send('hello')
 * })
 */
export const createNodePeer: PeerFactory = ({ initiator, iceServers }) => {
  const config: RTCConfiguration = { iceServers: toIceServers(iceServers) }
  const peer = new Peer({ initiator, trickle: true, wrtc: wrtcOption(), config })
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
}

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
  // simple-peer closes its RTCPeerConnection in a microtask after destroy().
  await new Promise<void>((resolve) => setTimeout(resolve, 0))
  cleanup()
}
