/**
 * The `wrtc` object handed to simple-peer in Node: node-datachannel's W3C polyfill
 * (libdatachannel underneath) with the two fixes simple-peer 9.x needs.
 *
 * 1. Writable descriptions. The polyfill's `createOffer()` / `createAnswer()` resolve to
 *    `RTCSessionDescription` objects whose `sdp` is a getter; simple-peer assigns
 *    `offer.sdp = …` and throws. The subclass resolves to plain `{ type, sdp }` objects.
 *
 * 2. The ~1 s connect stall. libdatachannel offers `a=setup:actpass` and its answerer
 *    takes `a=setup:active`, so the answerer is the DTLS client. The answerer finishes ICE
 *    first (it starts checking as soon as it has the offer, and the offerer already answers
 *    its STUN checks), so its ClientHello usually reaches the offerer before the offerer's
 *    own ICE is connected. libdatachannel queues that datagram, and when the offerer's
 *    `DtlsTransport::start()` registers its receiver, the queued ClientHello is handed to a
 *    receive task that can run before `start()` has switched the transport to `connecting`;
 *    that task then returns without reading it. A DTLS server that has read nothing arms no
 *    timer, so the ClientHello sits unread until the client retransmits it, after OpenSSL's
 *    initial 1 s timeout. Whether the task wins that race is thread timing: about half of
 *    all connects (15 of 30 measured) stalled ~1000 ms between "ICE connected" and "data
 *    channel open".
 *
 *    Fix: the offer this side sends says `a=setup:active`, so the remote answerer takes
 *    `passive` and the offerer becomes the DTLS client. The offerer can only start DTLS
 *    after it has the answer, by which time the answerer's DTLS server has long been
 *    started (it starts on the answerer's ICE connection, which comes first), so the first
 *    ClientHello is read at once. Measured: 0 stalls in 200 connects, median ~7 ms in
 *    process. Only the outgoing SDP is rewritten; libdatachannel keeps its own `actpass`
 *    offer and takes the client role when the answer says `passive`. A browser answerer
 *    (Chromium, Firefox) accepts an `active` offer as RFC 5763 allows. See
 *    `docs/node-webrtc.md`.
 *
 * Only `src/server` imports this file: browser bundles never pull in node-datachannel.
 */
import {
  RTCDataChannel as PolyfillDataChannel,
  RTCIceCandidate as PolyfillIceCandidate,
  RTCPeerConnection as PolyfillPeerConnection,
  RTCSessionDescription as PolyfillSessionDescription,
} from 'node-datachannel/polyfill'

/** A session description with plain, writable fields, as simple-peer wants it. */
export interface PlainDescription {
  type: RTCSdpType
  sdp: string
  toJSON(): { type: RTCSdpType; sdp: string }
}

function plain(type: RTCSdpType, sdp: string): PlainDescription {
  return { type, sdp, toJSON: () => ({ type, sdp }) }
}

/**
 * Rewrites the DTLS role of an offer from `actpass` to `active`, making the offerer the
 * DTLS client (see the file comment). Other lines are left alone.
 *
 * @example
 * preferOffererAsDtlsClient('a=setup:actpass\r\n') // 'a=setup:active\r\n'
 */
export function preferOffererAsDtlsClient(sdp: string): string {
  return sdp.replace(/^a=setup:actpass(?=\r?$)/gm, 'a=setup:active')
}

/** node-datachannel's `RTCPeerConnection` with writable descriptions and the DTLS role fix. */
export class NodeRTCPeerConnection extends PolyfillPeerConnection {
  override async createOffer(): Promise<PlainDescription> {
    const offer: unknown = await super.createOffer()
    return plain('offer', preferOffererAsDtlsClient(sdpOf(offer)))
  }

  override async createAnswer(): Promise<PlainDescription> {
    const answer: unknown = await super.createAnswer()
    return plain('answer', sdpOf(answer))
  }

  /** simple-peer signals `pc.localDescription`, so the rewrite must show here too. */
  override get localDescription(): RTCSessionDescription {
    const description = super.localDescription
    if (description.type !== 'offer') return description
    return new PolyfillSessionDescription({ type: 'offer', sdp: preferOffererAsDtlsClient(description.sdp) })
  }
}

function sdpOf(description: unknown): string {
  if (typeof description === 'object' && description !== null && 'sdp' in description) {
    const { sdp } = description
    if (typeof sdp === 'string') return sdp
  }
  return ''
}

/**
 * Pass as simple-peer's `wrtc` option in Node. `createNodePeer` (./node-peer.ts) does it
 * for you.
 *
 * @example
 * import Peer from 'simple-peer'
 * const peer = new Peer({ initiator: true, wrtc: nodeWrtc, config: { iceServers: [] } })
 */
export const nodeWrtc = {
  RTCPeerConnection: NodeRTCPeerConnection,
  RTCSessionDescription: PolyfillSessionDescription,
  RTCIceCandidate: PolyfillIceCandidate,
  RTCDataChannel: PolyfillDataChannel,
} as const
