/**
 * The `wrtc` object handed to simple-peer in Node: node-datachannel's W3C polyfill
 * (libdatachannel 0.24.5 underneath) with the fixes simple-peer 9.x needs. Made for
 * trickle ICE, which `createNodePeer` always uses: the SDP it signals carries no
 * candidates, every candidate goes as its own signal.
 *
 * 1. Writable descriptions. The polyfill's `createOffer()` / `createAnswer()` resolve to
 *    `RTCSessionDescription` objects whose `sdp` is a getter; simple-peer assigns
 *    `offer.sdp = …` and throws. The subclass resolves to plain `{ type, sdp }` objects.
 *
 * 2. The ~1 s connect stall. libdatachannel makes the answerer the DTLS client
 *    (`a=setup:active`). The answerer had the offer and the offerer's candidates first,
 *    finished ICE first, and sent its ClientHello before the offerer's ICE was connected.
 *    libdatachannel queues such a datagram; when the offerer's `DtlsTransport::start()`
 *    registers its receiver, the queued ClientHello goes to a receive task that can run
 *    before `start()` has set the transport to "connecting", and that task returns
 *    without reading it. A DTLS server that has read nothing arms no timer, so the
 *    handshake waited for the client's retransmission, OpenSSL's initial 1 s timeout.
 *    Thread timing decides that race: 15 of 30 connects measured stalled ~1000 ms between
 *    "ICE connected" and "data channel open". Rule: the DTLS server's ICE must connect
 *    before the client's.
 *
 * 3. A failed connect (4 of 150 under load with only fix 2). libdatachannel 0.24.5
 *    starts DTLS as soon as ICE connects, even while `setRemoteDescription` has not yet
 *    committed the remote fingerprint (fixed upstream only in an open pull request, "Fix
 *    DTLS startup ordering"). The offerer's ICE could connect *inside*
 *    `setRemoteDescription(answer)`, because the answerer had been checking all along;
 *    when the handshake reached certificate verification first, verification failed
 *    ("DTLS alert: unknown CA"), the connection closed and the call threw "Got a remote
 *    candidate without ICE transport". Rule: no check may reach the offerer before it has
 *    applied the answer.
 *
 * The fix orders ICE so that both rules hold whatever the signaling latency:
 * - Neither side puts candidates in its SDP; every candidate is a trickled signal.
 * - The offerer keeps its own candidates back until it has applied the answer: until
 *   then the answerer has nowhere to send checks (rule 3).
 * - The offer says `a=setup:active`: the offerer is the DTLS client, the answerer the
 *   server. libdatachannel keeps its own `actpass` offer and takes the client role when
 *   the answer says `passive`; Chromium accepts such an offer (checked both ways).
 * - The offerer keeps the answerer's candidates back until its ICE is connected, so it
 *   sends no check of its own: it connects through the triggered checks it makes when the
 *   answerer's checks arrive, always after the answerer, the DTLS server (rule 2). The
 *   hold ends at the latest after `REMOTE_CANDIDATE_HOLD_MS` plus half the time the
 *   offer/answer exchange took (the answerer gets the released candidates about one
 *   signaling hop later), at most 1 s.
 * Cost: libjuice paces that triggered check by 50 ms, so a connect takes ~60 ms in
 * process instead of ~7 ms. Measured: no stall and no failure in 400 connects (200 with
 * a second, idle link open in the same process). Behind NAT, where the answerer's checks may
 * not get through until the offerer sends its own, the hold adds about one signaling hop
 * plus 100 ms.
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
 * Removes `a=candidate:` and `a=end-of-candidates` lines: with trickle ICE every
 * candidate is signalled on its own, at a time the sender chooses (see the file comment).
 *
 * @example
 * withoutCandidates('a=mid:0\r\na=candidate:1 1 UDP 1 10.0.0.1 5000 typ host\r\na=end-of-candidates\r\n')
 * // 'a=mid:0\r\n'
 */
export function withoutCandidates(sdp: string): string {
  return sdp.replace(/^a=(?:candidate:|end-of-candidates)[^\r\n]*(?:\r?\n|$)/gm, '')
}

function sdpOf(description: unknown): string {
  if (typeof description === 'object' && description !== null && 'sdp' in description) {
    const { sdp } = description
    if (typeof sdp === 'string') return sdp
  }
  return ''
}

/**
 * Rewrites the DTLS role of an offer from `actpass` to `active`: the offerer becomes the
 * DTLS client and the answerer the server (see the file comment). Other lines stay.
 *
 * @example
 * offererAsDtlsClient('a=setup:actpass\r\n') // 'a=setup:active\r\n'
 */
export function offererAsDtlsClient(sdp: string): string {
  return sdp.replace(/^a=setup:actpass(?=\r?$)/gm, 'a=setup:active')
}

/**
 * How long an offerer keeps the answerer's candidates back if its ICE has not connected
 * by then, on top of half the offer/answer round trip (see the file comment).
 */
export const REMOTE_CANDIDATE_HOLD_MS = 100
const MAX_REMOTE_CANDIDATE_HOLD_MS = 1000

/** node-datachannel's `RTCPeerConnection` with writable descriptions and the ICE ordering fix. */
export class NodeRTCPeerConnection extends PolyfillPeerConnection {
  /** Local candidate events held back while this side's offer waits for its answer. */
  #heldLocal: Event[] | undefined = []
  /** Remote candidates held back after the answer, until ICE connects or the hold expires. */
  #heldRemote: RTCIceCandidateInit[] | undefined
  #holdTimer: ReturnType<typeof setTimeout> | undefined
  /** When this side's offer was created, to estimate the signaling latency. */
  #offeredAt = 0

  constructor(config?: RTCConfiguration) {
    super(config)
    this.addEventListener('iceconnectionstatechange', () => {
      const state = this.iceConnectionState
      if (state === 'connected' || state === 'completed') this.#releaseRemote()
    })
  }

  override async createOffer(): Promise<PlainDescription> {
    const offer: unknown = await super.createOffer()
    this.#offeredAt = performance.now()
    return plain('offer', offererAsDtlsClient(withoutCandidates(sdpOf(offer))))
  }

  override async createAnswer(): Promise<PlainDescription> {
    const answer: unknown = await super.createAnswer()
    return plain('answer', withoutCandidates(sdpOf(answer)))
  }

  /** simple-peer signals `pc.localDescription` (not the offer object), so the SDP is rewritten here too. */
  override get localDescription(): RTCSessionDescription {
    const description = super.localDescription
    if (description.type === 'answer') {
      return new PolyfillSessionDescription({ type: 'answer', sdp: withoutCandidates(description.sdp) })
    }
    if (description.type === 'offer') {
      return new PolyfillSessionDescription({ type: 'offer', sdp: offererAsDtlsClient(withoutCandidates(description.sdp)) })
    }
    return description
  }

  override async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    const isAnswer = description.type === 'answer' && this.#heldLocal !== undefined
    if (isAnswer) this.#heldRemote = [] // from now until ICE connects, see addIceCandidate
    await super.setRemoteDescription(description)
    if (!isAnswer) return
    // The answer is applied: only now may the answerer learn where to send its checks.
    const held = this.#heldLocal ?? []
    this.#heldLocal = undefined
    for (const event of held) super.dispatchEvent(event)
    const signalingHop = this.#offeredAt > 0 ? (performance.now() - this.#offeredAt) / 2 : 0
    const hold = Math.min(MAX_REMOTE_CANDIDATE_HOLD_MS, REMOTE_CANDIDATE_HOLD_MS + signalingHop)
    const timer: unknown = (this.#holdTimer = setTimeout(() => this.#releaseRemote(), hold))
    if (typeof timer === 'object' && timer !== null && 'unref' in timer && typeof timer.unref === 'function') timer.unref()
  }

  /**
   * While the answerer's candidates are held, this side sends no checks of its own: it
   * answers the answerer's checks and connects through them (peer-reflexive), one round
   * trip after the answerer, which is the DTLS server and so must be first.
   */
  override async addIceCandidate(candidate?: RTCIceCandidateInit | null): Promise<void> {
    if (this.#heldRemote !== undefined && candidate !== undefined && candidate !== null) {
      this.#heldRemote.push(candidate)
      return
    }
    return super.addIceCandidate(candidate)
  }

  override close(): void {
    this.#heldLocal = undefined
    this.#heldRemote = undefined
    clearTimeout(this.#holdTimer)
    super.close()
  }

  /** Holds local `icecandidate` events while this side's offer has no answer yet. */
  override dispatchEvent(event: Event): boolean {
    if (!(#heldLocal in this)) return super.dispatchEvent(event) // during construction
    const held = this.#heldLocal
    if (event.type === 'icecandidate' && held !== undefined && this.signalingState === 'have-local-offer') {
      held.push(event)
      return true
    }
    return super.dispatchEvent(event)
  }

  #releaseRemote(): void {
    clearTimeout(this.#holdTimer)
    const held = this.#heldRemote
    this.#heldRemote = undefined
    for (const candidate of held ?? []) {
      // Added late, so no caller awaits it: a candidate libdatachannel refuses is skipped.
      super.addIceCandidate(candidate).catch(() => undefined)
    }
  }
}

/**
 * Pass as simple-peer's `wrtc` option in Node, with `trickle: true`. `createNodePeer`
 * (./node-peer.ts) does both for you.
 *
 * @example
 * import Peer from 'simple-peer'
 * const peer = new Peer({ initiator: true, trickle: true, wrtc: nodeWrtc, config: { iceServers: [] } })
 */
export const nodeWrtc = {
  RTCPeerConnection: NodeRTCPeerConnection,
  RTCSessionDescription: PolyfillSessionDescription,
  RTCIceCandidate: PolyfillIceCandidate,
  RTCDataChannel: PolyfillDataChannel,
} as const
