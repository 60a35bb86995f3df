/**
 * The one adapter for simple-peer 9.x: the part of a simple-peer instance this library
 * uses (`PeerLike`), and every private field of it that the library reads, named here and
 * nowhere else. The rest of the code sees these small functions; a simple-peer upgrade
 * that moves a field changes this file only. Each function tolerates a peer without the
 * field (another `PeerLike`, a test double) and returns `undefined` or does nothing.
 */
import type { TimerHandle } from '../util/async.js'

/** The part of an RTCDataChannel the transport reads for backpressure and messages. */
export interface DataChannelLike {
  readonly bufferedAmount: number
  bufferedAmountLowThreshold: number
  readonly readyState?: string
  addEventListener?(type: 'bufferedamountlow', listener: () => void): void
  removeEventListener?(type: 'bufferedamountlow', listener: () => void): void
  /** simple-peer's message handler; the transport takes it over to read messages directly. */
  onmessage?: ((event: { readonly data: unknown }) => void) | null
}

/** The public part of a simple-peer instance the library uses. */
export interface PeerLike {
  signal(data: unknown): void
  send(data: string | Uint8Array): void
  destroy(error?: Error): void
  on(event: 'signal', listener: (data: unknown) => void): unknown
  on(event: 'connect', listener: () => void): unknown
  on(event: 'data', listener: (data: string | Uint8Array) => void): unknown
  on(event: 'close', listener: () => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
  readonly destroyed?: boolean
}

/** What runs a node: a Node.js process (node-datachannel) or a browser. */
export type RemoteKind = 'node' | 'browser'

/**
 * Creates a simple-peer instance; `initiator` says whether this side sends the offer,
 * `remote` what answers it when known (a Node offerer orders its handshake by it).
 */
export type PeerFactory = (options: { initiator: boolean; iceServers?: readonly unknown[]; iceTransportPolicy?: 'all' | 'relay'; remote?: RemoteKind }) => PeerLike

/** simple-peer 9.11's private fields, as far as this library reads them. */
interface Internals {
  /** Its RTCDataChannel, once created. */
  readonly _channel?: DataChannelLike | null
  /** Its readable-stream state: `length` counts the messages it holds unread. */
  readonly _readableState?: { readonly length?: number } | null
  /** Its RTCPeerConnection. */
  readonly _pc?:
    | (EventTarget & { readonly connectionState?: string; readonly iceConnectionState?: string; readonly sctp?: { readonly maxMessageSize?: number } | null })
    | null
  /** The "ICE complete" timer it starts on the first candidate and never clears in destroy(). */
  readonly _iceCompleteTimer?: TimerHandle | null
}

const internals = (peer: PeerLike): Internals => peer as Internals

/** The peer's RTCDataChannel, once it has one. */
export function dataChannelOf(peer: PeerLike): DataChannelLike | undefined {
  return internals(peer)._channel ?? undefined
}

/** Whether the peer's data channel is open (false when it has none). */
export function dataChannelOpen(peer: PeerLike): boolean {
  const dc = internals(peer)._channel
  return typeof dc === 'object' && dc !== null && (dc.readyState === undefined || dc.readyState === 'open')
}

/**
 * simple-peer's readable-stream state, whose `length` counts the messages it received
 * and holds unread (a live object: the count changes as the stream is read).
 */
export function unreadMessagesOf(peer: PeerLike): { readonly length?: number } | undefined {
  return internals(peer)._readableState ?? undefined
}

/** The largest message the remote's SCTP transport takes, when the peer connection says. */
export function remoteMaxMessageSize(peer: PeerLike): number | undefined {
  try {
    const max = internals(peer)._pc?.sctp?.maxMessageSize
    return typeof max === 'number' ? max : undefined
  } catch {
    return undefined
  }
}

/**
 * Calls `handler` once the peer can carry messages: its data channel open and its ICE
 * connected. That is when simple-peer's `connect` comes, or sooner: simple-peer waits
 * for `getStats()` to name the selected candidate pair, polling every 100 ms, which in
 * Chromium costs a link 40 to 175 ms after its channel opened. Nothing else changes:
 * `send` needs only the open channel. Without a peer connection, `connect` alone.
 */
export function onReady(peer: PeerLike, handler: () => void): void {
  let done = false
  const fire = (): void => {
    if (done || peer.destroyed === true) return
    done = true
    handler()
  }
  peer.on('connect', fire)
  const pc = internals(peer)._pc
  if (pc === undefined || pc === null) return
  const check = (): void => {
    const ice = pc.iceConnectionState
    if (dataChannelOpen(peer) && internals(peer)._channel?.readyState === 'open' && (ice === 'connected' || ice === 'completed')) fire()
  }
  const watch = (dc: unknown): void => (dc as Partial<EventTarget> | null)?.addEventListener?.('open', check)
  pc.addEventListener('iceconnectionstatechange', check)
  const own = internals(peer)._channel
  // the offerer made its channel already; the answerer's comes with `datachannel`
  if (own !== undefined && own !== null) watch(own)
  else pc.addEventListener('datachannel', (event) => watch((event as Event & { channel?: unknown }).channel))
}

/**
 * Calls `handler` with the peer connection's `connectionState` whenever it changes
 * (simple-peer does not pass on every change). No-op without a peer connection.
 */
export function onConnectionState(peer: PeerLike, handler: (state: string | undefined) => void): void {
  const pc = internals(peer)._pc
  pc?.addEventListener('connectionstatechange', () => handler(pc.connectionState))
}

/**
 * Clears the "ICE complete" timer simple-peer leaves running after `destroy()` (it kept a
 * Node process alive about 5 s after its last peer closed). Call it when the peer closes.
 */
export function clearIceCompleteTimer(peer: PeerLike): void {
  const timer = internals(peer)._iceCompleteTimer
  if (timer !== undefined && timer !== null) clearTimeout(timer)
}
