/**
 * Strategy interfaces for meshing: how a node finds the members of its cluster and
 * exchanges WebRTC signals with them (`Signaling`), and what a WebRTC peer looks like
 * (`PeerLike`, the subset of a simple-peer instance the core uses). The core imports no
 * transport: `distribunator/browser` and `distribunator/server` hand these in.
 */

/** What the hub tells a node when it (re)joins its cluster. */
export interface JoinResult {
  /** The node's id as bound by the hub (the requested one, or one the client generated). */
  readonly id: string
  /** Ids of the other members present, in no particular order. */
  readonly members: readonly string[]
}

/** A signaling backend: one per node. Implemented over Socket.IO in `./hub-signaling.ts`. */
export interface Signaling {
  /**
   * Joins the cluster. Rejects with a `DistributedError` when the hub refuses
   * (code `duplicate_id`, `unauthorized`, `badarg`) or cannot be reached in time.
   */
  join(): Promise<JoinResult>
  /** Another member joined the cluster. */
  onMemberJoin(handler: (id: string) => void): void
  /** Another member left the cluster (as the hub sees it; a WebRTC link may outlive this). */
  onMemberLeave(handler: (id: string) => void): void
  /** A WebRTC signal from `from` (the sender id is set by the hub, never by a client). */
  onSignal(handler: (from: string, data: unknown) => void): void
  /**
   * The node joined (first) or joined again after a lost hub connection came back, with
   * the same id: `result.members` are the other members present. Called before any
   * member event that comes after it, and, the first time, before `join()` resolves: a
   * handler sees the member list and then every change to it, in order.
   */
  onJoined(handler: (result: JoinResult) => void): void
  /** Hub connection state changes, for display and logs. */
  onStatus?(handler: (status: 'connected' | 'disconnected') => void): void
  /** Relays a signal to one member of the same cluster. Dropped while disconnected. */
  sendSignal(to: string, data: unknown): void
  /** Leaves the cluster and stops reconnecting. */
  close(): void
}

/** The part of an RTCDataChannel the transport reads for backpressure. */
export interface DataChannelLike {
  readonly bufferedAmount: number
  bufferedAmountLowThreshold: number
  addEventListener?(type: 'bufferedamountlow', listener: () => void): void
  removeEventListener?(type: 'bufferedamountlow', listener: () => void): void
  /** simple-peer's message handler; the transport takes it over to read messages directly. */
  onmessage?: ((event: { readonly data: unknown }) => void) | null
}

/** The part of a simple-peer instance the core uses (simple-peer 9.x). */
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
  /** simple-peer keeps its RTCDataChannel here once created. */
  readonly _channel?: DataChannelLike | null
  /** simple-peer's readable-stream state: `length` counts messages it holds unread. */
  readonly _readableState?: { readonly length?: number } | null
  /** simple-peer's RTCPeerConnection; its SCTP transport tells the largest message the remote takes. */
  readonly _pc?: { readonly sctp?: { readonly maxMessageSize?: number } | null } | null
}

/** Creates a simple-peer instance; `initiator` says whether this side sends the offer. */
export type PeerFactory = (options: { initiator: boolean; iceServers?: readonly unknown[] }) => PeerLike
