/**
 * The `wrtc` object handed to simple-peer in Node: node-datachannel 0.33.4's W3C polyfill
 * (libdatachannel 0.24.5 underneath) with the fixes simple-peer 9.x needs. Made for
 * trickle ICE, which `createNodePeer` always uses.
 *
 * 1. Writable descriptions. The polyfill's `createOffer()` / `createAnswer()` resolve to
 *    `RTCSessionDescription` objects whose `sdp` is a getter; simple-peer assigns
 *    `offer.sdp = …` and throws. The subclass resolves to plain `{ type, sdp }` objects.
 *
 * 2. Handshake ordering, done by the offerer alone (a Node answerer behaves as the plain
 *    polyfill does). Two races in libdatachannel 0.24.5 need it:
 *
 *    - A failed connect ("DTLS alert: unknown CA", then simple-peer's "Got a remote
 *      candidate without ICE transport"). `setRemoteDescription(answer)` hands the answer
 *      to the ICE agent first and commits it, fingerprint included, only afterwards. The
 *      ICE agent keeps the checks that reached it before it had an answer as frozen pairs
 *      and checks them at once when the answer arrives, so ICE can connect, DTLS start
 *      and the certificate check run before the fingerprint is there; the check fails and
 *      the connection closes. That needs the answerer to have checked this side before
 *      the answer was applied, so the offerer keeps its candidates back until then (and
 *      none go in its SDP).
 *    - A 1 s stall. A ClientHello that reaches the DTLS server before the server's ICE is
 *      connected is queued; when the server's DTLS transport starts, the queued datagram
 *      goes to a receive task that can run before the transport is marked "connecting",
 *      and is then dropped unread. The server, having read nothing, waits for the
 *      client's retransmission: OpenSSL's 1 s. Only a libdatachannel DTLS server has
 *      this, so between two Node peers the server's ICE must connect first.
 *
 *    How the offerer orders it depends on what answers (`RemoteKind`, see ORDERINGS):
 *    a Node answerer, a browser, or unknown (safe for both). See docs/node-webrtc.md.
 *
 * Only `src/server` imports this file: browser bundles never pull in node-datachannel.
 */
import {
  RTCDataChannel as PolyfillDataChannel,
  RTCIceCandidate as PolyfillIceCandidate,
  RTCPeerConnection as PolyfillPeerConnection,
  RTCSessionDescription as PolyfillSessionDescription,
} from 'node-datachannel/polyfill'

import type { RemoteKind } from '../core/webrtc/simple-peer.js'
import type { TimerHandle } from '../core/util/async.js'

/** How an offerer orders its handshake. */
export interface Ordering {
  /** The offer says `a=setup:active`: the offerer is the DTLS client, the answerer the server. */
  readonly offerActive: boolean
  /** When the offerer's own candidates go out: once the answer is applied, or once its ICE is connected. */
  readonly releaseOwn: 'answer' | 'connected'
  /** The offerer keeps the answerer's candidates (those in the answer too) until its ICE is connected. */
  readonly holdRemote: boolean
}

/**
 * The orderings. Every one keeps the offerer's candidates back until the answer is
 * applied (no failed connect); they differ in who connects ICE first (the stall).
 *
 * - `node`: the offerer is the DTLS server (the answerer takes `active`, libdatachannel's
 *   default) and sends its candidates only once its own ICE is connected, which it does
 *   through its own checks of the answerer's candidates. Until then the answerer can
 *   only answer checks; its own check goes out when the offerer's candidates arrive or,
 *   at the latest, as libjuice's triggered check 50 ms after the offerer's reached it.
 *   So the server is connected first. No JavaScript of the answerer's is involved.
 * - `browser`: the offer says `active`, so the browser is the DTLS server and no
 *   libdatachannel server is involved: the order of ICE does not matter, and the
 *   candidates go as soon as the answer is applied. Between two Node peers this stalls.
 * - unknown: the offer says `active`; the offerer also keeps the answerer's candidates
 *   back until its ICE is connected, so it connects only through the triggered check it
 *   sends 50 ms after the answerer's check arrives: a Node answerer, the DTLS server, is
 *   connected first, and a browser answerer does not mind.
 *
 * A hold that has not ended by `HOLD_FALLBACK_MS` plus half the offer/answer round trip
 * (at most 2 s in all) ends then: a peer behind a NAT may have to send first.
 */
export const ORDERINGS: Readonly<Record<RemoteKind | 'unknown', Ordering>> = {
  node: { offerActive: false, releaseOwn: 'connected', holdRemote: false },
  browser: { offerActive: true, releaseOwn: 'answer', holdRemote: false },
  unknown: { offerActive: true, releaseOwn: 'answer', holdRemote: true },
}

/** How long a hold lasts at most, on top of half the offer/answer round trip (see ORDERINGS). */
export const HOLD_FALLBACK_MS = 500
const MAX_HOLD_MS = 2000

/** A session description with plain, writable fields, as simple-peer wants it. */
export interface PlainDescription {
  type: RTCSdpType
  sdp: string
  toJSON(): { type: RTCSdpType; sdp: string }
}

function plain(type: RTCSdpType, sdp: string): PlainDescription {
  return { type, sdp, toJSON: () => ({ type, sdp }) }
}

function sdpOf(description: unknown): string {
  if (typeof description === 'object' && description !== null && 'sdp' in description) {
    const { sdp } = description
    if (typeof sdp === 'string') return sdp
  }
  return ''
}

/**
 * Removes `a=candidate:` and `a=end-of-candidates` lines: with trickle ICE every candidate
 * goes as its own signal, when the ordering lets it.
 *
 * @example
 * withoutCandidates('a=mid:0\r\na=candidate:1 1 UDP 1 10.0.0.1 5000 typ host\r\na=end-of-candidates\r\n')
 * // 'a=mid:0\r\n'
 */
export function withoutCandidates(sdp: string): string {
  return sdp.replace(/^a=(?:candidate:|end-of-candidates)[^\r\n]*(?:\r?\n|$)/gm, '')
}

/**
 * The candidates in an SDP, each with the `mid` of its media section.
 *
 * @example
 * candidatesOf('a=mid:0\r\na=candidate:1 1 UDP 1 10.0.0.1 5000 typ host\r\n')
 * // [{ candidate: 'candidate:1 1 UDP 1 10.0.0.1 5000 typ host', sdpMid: '0' }]
 */
export function candidatesOf(sdp: string): RTCIceCandidateInit[] {
  const found: RTCIceCandidateInit[] = []
  let mid = '0'
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) mid = '0'
    else if (line.startsWith('a=mid:')) mid = line.slice('a=mid:'.length).trim()
    else if (line.startsWith('a=candidate:')) found.push({ candidate: line.slice(2).trim(), sdpMid: mid })
  }
  return found
}

/**
 * Rewrites the DTLS role of an offer from `actpass` to `active`: the offerer becomes the
 * DTLS client and the answerer the server. Other lines stay.
 *
 * @example
 * offererAsDtlsClient('a=setup:actpass\r\n') // 'a=setup:active\r\n'
 */
export function offererAsDtlsClient(sdp: string): string {
  return sdp.replace(/^a=setup:actpass(?=\r?$)/gm, 'a=setup:active')
}

/** node-datachannel's `RTCPeerConnection` with writable descriptions and a handshake ordering. */
export class NodeRTCPeerConnection extends PolyfillPeerConnection {
  readonly #ordering: Ordering
  /** This side's `icecandidate` events while they are held; `undefined` once released. */
  #ownHeld: Event[] | undefined = []
  /** The answerer's candidates while they are held (ordering `holdRemote`). */
  #remoteHeld: RTCIceCandidateInit[] | undefined
  /** This side offered and has applied the answer. */
  #answered = false
  #offeredAt = 0
  #fallback: TimerHandle | undefined

  constructor(config?: RTCConfiguration, ordering: Ordering = ORDERINGS.unknown) {
    super(config)
    this.#ordering = ordering
    this.addEventListener('iceconnectionstatechange', () => {
      const state = this.iceConnectionState
      if (state !== 'connected' && state !== 'completed') return
      this.#releaseOwn()
      this.#releaseRemote()
    })
  }

  override async createOffer(): Promise<PlainDescription> {
    const offer: unknown = await super.createOffer()
    this.#offeredAt = performance.now()
    return plain('offer', this.#offerSdp(sdpOf(offer)))
  }

  override async createAnswer(): Promise<PlainDescription> {
    const answer: unknown = await super.createAnswer()
    return plain('answer', sdpOf(answer))
  }

  /** simple-peer signals `pc.localDescription` (not the offer object), so the offer is rewritten here too. */
  override get localDescription(): RTCSessionDescription {
    const description = super.localDescription
    if (description.type !== 'offer') return description
    return new PolyfillSessionDescription({ type: 'offer', sdp: this.#offerSdp(description.sdp) })
  }

  override async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    if (description.type !== 'answer' || this.signalingState !== 'have-local-offer') {
      return super.setRemoteDescription(description)
    }
    let answer = description
    if (this.#ordering.holdRemote) {
      const sdp = description.sdp ?? ''
      this.#remoteHeld = candidatesOf(sdp)
      answer = { type: 'answer', sdp: withoutCandidates(sdp) }
    }
    await super.setRemoteDescription(answer)
    // Committed: from here on a check that connects ICE finds the fingerprint in place.
    this.#answered = true
    if (this.#ordering.releaseOwn === 'answer') this.#releaseOwn()
    if (this.#ownHeld === undefined && this.#remoteHeld === undefined) return
    const hop = this.#offeredAt > 0 ? (performance.now() - this.#offeredAt) / 2 : 0
    const fallback: unknown = (this.#fallback = setTimeout(
      () => {
        this.#releaseOwn()
        this.#releaseRemote()
      },
      Math.min(MAX_HOLD_MS, HOLD_FALLBACK_MS + hop),
    ))
    // a pending hold never keeps the process alive (close() clears it anyway)
    if (typeof fallback === 'object' && fallback !== null && 'unref' in fallback && typeof fallback.unref === 'function') fallback.unref()
  }

  override async addIceCandidate(candidate?: RTCIceCandidateInit | null): Promise<void> {
    if (this.#remoteHeld !== undefined && candidate !== undefined && candidate !== null) {
      this.#remoteHeld.push(candidate)
      return
    }
    return super.addIceCandidate(candidate)
  }

  /**
   * Closes the connection one turn later, after its data channel. The polyfill defers a
   * data channel's own close to an immediate, and simple-peer closes the channel and then
   * the connection at once, so the connection used to close first; libdatachannel then
   * at times (about one close in a hundred to three hundred, a child process closing an
   * incoming channel under load) never reported the channel closed. Its callbacks stayed,
   * keeping Node running and its memory held.
   */
  override close(): void {
    this.#ownHeld = undefined
    this.#remoteHeld = undefined
    clearTimeout(this.#fallback)
    setImmediate(() => {
      try {
        super.close()
      } catch {
        // already torn down (node-datachannel's cleanup() came first)
      }
    })
  }

  /** Holds this side's `icecandidate` events while its offer waits for its answer, and after it as the ordering says. */
  override dispatchEvent(event: Event): boolean {
    if (!(#ownHeld in this)) return super.dispatchEvent(event) // during construction
    const held = this.#ownHeld
    if (event.type === 'icecandidate' && held !== undefined && (this.signalingState === 'have-local-offer' || this.#answered)) {
      held.push(event)
      return true
    }
    return super.dispatchEvent(event)
  }

  #offerSdp(sdp: string): string {
    const bare = withoutCandidates(sdp)
    return this.#ordering.offerActive ? offererAsDtlsClient(bare) : bare
  }

  #releaseOwn(): void {
    const held = this.#ownHeld
    this.#ownHeld = undefined
    if (this.#remoteHeld === undefined) clearTimeout(this.#fallback)
    for (const event of held ?? []) super.dispatchEvent(event)
  }

  #releaseRemote(): void {
    const held = this.#remoteHeld
    this.#remoteHeld = undefined
    if (this.#ownHeld === undefined) clearTimeout(this.#fallback)
    for (const candidate of held ?? []) {
      // Added late, so no caller awaits it: a candidate libdatachannel refuses is skipped.
      super.addIceCandidate(candidate).catch(() => undefined)
    }
  }
}

/** The classes of a `wrtc` object (simple-peer's option). */
export interface NodeWrtcClasses {
  readonly RTCPeerConnection: new (config?: RTCConfiguration) => NodeRTCPeerConnection
  readonly RTCSessionDescription: typeof PolyfillSessionDescription
  readonly RTCIceCandidate: typeof PolyfillIceCandidate
  readonly RTCDataChannel: typeof PolyfillDataChannel
}

/** The `wrtc` object for simple-peer: the polyfill's classes with `NodeRTCPeerConnection`. */
function wrtcWith(ordering: Ordering): NodeWrtcClasses {
  return {
    RTCPeerConnection: class extends NodeRTCPeerConnection {
      constructor(config?: RTCConfiguration) {
        super(config, ordering)
      }
    },
    RTCSessionDescription: PolyfillSessionDescription,
    RTCIceCandidate: PolyfillIceCandidate,
    RTCDataChannel: PolyfillDataChannel,
  }
}

const byRemote = {
  node: wrtcWith(ORDERINGS.node),
  browser: wrtcWith(ORDERINGS.browser),
  unknown: wrtcWith(ORDERINGS.unknown),
} as const

/**
 * simple-peer's `wrtc` option for peers whose offers go to a known kind of remote (see
 * ORDERINGS); `undefined` gives `nodeWrtc`. As an answerer every one behaves the same.
 * `createNodePeer` picks it from its `remote` option.
 *
 * @example
 * const peer = new Peer({ initiator: true, trickle: true, wrtc: nodeWrtcFor('node'), config: { iceServers: [] } })
 */
export function nodeWrtcFor(remote: RemoteKind | undefined): NodeWrtcClasses {
  return remote === undefined ? byRemote.unknown : byRemote[remote]
}

/**
 * Pass as simple-peer's `wrtc` option in Node, with `trickle: true`: the ordering that is
 * safe whatever answers. `createNodePeer` (./node-peer.ts) does both for you.
 *
 * @example
 * import Peer from 'simple-peer'
 * const peer = new Peer({ initiator: true, trickle: true, wrtc: nodeWrtc, config: { iceServers: [] } })
 */
export const nodeWrtc = byRemote.unknown
