/**
 * The browser's `PeerFactory`: simple-peer's prebundled build over the page's native
 * RTCPeerConnection, with trickle ICE.
 */
import Peer from 'simple-peer/simplepeer.min.js'
import type { PeerFactory, PeerLike } from '../core/signaling/signaling.js'

interface SimplePeerInternals {
  _iceCompleteTimer?: ReturnType<typeof setTimeout> | null
}

/**
 * Creates a simple-peer instance for this page. ICE servers default to none (host
 * candidates only, enough on one machine or a LAN); pass STUN/TURN servers to `connect()`
 * for links across networks.
 *
 * @example
 * const peer = createBrowserPeer({ initiator: true })
 */
export const createBrowserPeer: PeerFactory = ({ initiator, iceServers }) => {
  const peer = new Peer({ initiator, trickle: true, config: { iceServers: (iceServers ?? []) as RTCIceServer[] } })
  peer.once('close', () => {
    // simple-peer leaves its ICE-complete timer running after destroy()
    const timer = (peer as unknown as SimplePeerInternals)._iceCompleteTimer
    if (timer !== undefined && timer !== null) clearTimeout(timer)
  })
  const result: PeerLike = peer as unknown as PeerLike
  return result
}
