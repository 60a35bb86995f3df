/**
 * The browser's `PeerFactory`: simple-peer's prebundled build over the page's native
 * RTCPeerConnection, with trickle ICE.
 */
import Peer from 'simple-peer/simplepeer.min.js'
import { clearIceCompleteTimer, type PeerFactory, type PeerLike } from '../core/webrtc/simple-peer.js'

/**
 * Creates a simple-peer instance for this page. ICE servers default to none (host
 * candidates only, enough on one machine or a LAN); pass STUN/TURN servers to `connect()`
 * for links across networks.
 *
 * @example
 * const peer = createBrowserPeer({ initiator: true })
 */
export const createBrowserPeer: PeerFactory = ({ initiator, iceServers }) => {
  const peer: PeerLike = new Peer({ initiator, trickle: true, config: { iceServers: (iceServers ?? []) as RTCIceServer[] } })
  peer.on('close', () => clearIceCompleteTimer(peer))
  return peer
}
