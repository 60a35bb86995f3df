/**
 * The browser's `PeerFactory`: simple-peer over the page's native RTCPeerConnection, with
 * trickle ICE. simple-peer comes from its browser build in
 * src/vendor/simple-peer/ (its own source with a small stand-in for Node's streams, made by
 * scripts/simple-peer/build.mjs), a fifth of the size of its prebundled file, and like that
 * file it needs no polyfill.
 */
import Peer from '../vendor/simple-peer/simple-peer.js'
import { clearIceCompleteTimer, type PeerFactory, type PeerLike } from '../core/webrtc/simple-peer.js'

/**
 * Creates a simple-peer instance for this page. ICE servers default to none (host
 * candidates only, enough on one machine or a LAN); pass STUN/TURN servers to `connect()`
 * for links across networks.
 *
 * @example
 * const peer = createBrowserPeer({ initiator: true })
 */
export const createBrowserPeer: PeerFactory = ({ initiator, iceServers, iceTransportPolicy }) => {
  const config: RTCConfiguration = { iceServers: (iceServers ?? []) as RTCIceServer[], ...(iceTransportPolicy === undefined ? {} : { iceTransportPolicy }) }
  const peer: PeerLike = new Peer({ initiator, trickle: true, config })
  peer.on('close', () => clearIceCompleteTimer(peer))
  return peer
}
