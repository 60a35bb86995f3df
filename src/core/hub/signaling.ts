/**
 * The signaling strategy: how a node finds the members of its cluster and exchanges
 * WebRTC signals with them. The core imports no transport: `distribunator/browser` and
 * `distribunator/server` hand in the Socket.IO implementation (./hub-signaling.ts).
 */
import type { MemberInfo } from './hub-protocol.js'
import type { RelayNotice, RelayRefusal, RelayTarget } from './relay-protocol.js'

export type { MemberInfo } from './hub-protocol.js'

/** What the hub tells a node when it (re)joins its cluster. */
export interface JoinResult {
  /** The node's id as bound by the hub (the requested one, or one the client generated). */
  readonly id: string
  /** The other members present (id, incarnation, whether they take relayed traffic, claims), in no particular order. */
  readonly members: readonly MemberInfo[]
  /** What the hub's admission stamped on this node, if anything. */
  readonly claims?: unknown
}

/** Why the hub will not have this node back: a re-join it refused, or a kick. */
export interface SignalingEnd {
  readonly code: 'unauthorized' | 'kicked'
  /** The hub's reason, in words to show. */
  readonly message: string
  readonly url: string
}

/**
 * A signaling backend: one per node. Implemented over Socket.IO in `./hub-signaling.ts`.
 *
 * Every member is named with its incarnation (`inc`): a member restarted under the same
 * id comes back with a new one. What was addressed to another incarnation of this node
 * never reaches the handlers: the backend drops it.
 */
export interface Signaling {
  /** This node's incarnation, which it joins with (the node's pids carry it). */
  readonly incarnation: number
  /**
   * Joins the cluster. Rejects with a `DistributedError` when the hub refuses
   * (code `duplicate_id`, `unauthorized`, `badarg`) or cannot be reached in time.
   */
  join(): Promise<JoinResult>
  /**
   * Another member joined the cluster (or a new incarnation of a member did: the old one
   * is gone); `noRelay`: it takes no relayed traffic (it links only directly); `unlisted`:
   * its join reply may not have named this node, so this node opens their link at once
   * (else, in a crowd, it waits for the newcomer to open it).
   */
  onMemberJoin(handler: (member: MemberInfo) => void): void
  /**
   * Incarnation `inc` of member `id` left the cluster. With `awayMs`, its hub went away
   * rather than the member: it may come back through another hub within that time. With
   * `kicked`, the hub removed it (the reason).
   */
  onMemberLeave(handler: (id: string, inc: number, awayMs?: number, kicked?: string) => void): void
  /** A WebRTC signal from incarnation `inc` of `from` (both set by the hub, never by a client). */
  onSignal(handler: (from: string, inc: number, data: unknown) => void): void
  /**
   * The node joined (first) or joined again after a lost hub connection came back, with
   * the same id: `result.members` are the other members present. Called before any
   * member event that comes after it, and, the first time, before `join()` resolves: a
   * handler sees the member list and then every change to it, in order.
   */
  onJoined(handler: (result: JoinResult) => void): void
  /**
   * Hub connection state changes, for display and logs: `connected` at each (re)join,
   * `disconnected` when a joined connection drops, each with the hub URL where there is one.
   */
  onStatus?(handler: (status: 'connected' | 'disconnected', url?: string) => void): void
  /**
   * The hub refused a re-join (the node's admission no longer holds) or removed the node
   * (`kick`): the signaling has stopped for good, and says why.
   */
  onEnded?(handler: (end: SignalingEnd) => void): void
  /** Relays a signal to incarnation `inc` of one member of the same cluster. Dropped while disconnected. */
  sendSignal(to: string, inc: number, data: unknown): void
  /** Leaves the cluster and stops reconnecting. */
  close(): void
  /** The relay path through the hub, where the backend has one. */
  readonly relay?: RelayTransport
}

/** Link traffic through the hub for members without a WebRTC link (relay-protocol.ts). */
export interface RelayTransport {
  /**
   * Sends one chunk (or, without one, acks only) to one or more members; returns false
   * when there is no hub connection to send it on (the caller sends it again later). The
   * receivers acknowledge end to end; the hub answers only a refusal (`onRefused`).
   */
  send(targets: readonly RelayTarget[], data: string | Uint8Array | undefined): boolean
  /** Packets from other members meant for this incarnation, the sender (id and incarnation) set by the hub. */
  onPacket(handler: (notice: RelayNotice) => void): void
  /** A packet the hub refused (over the relay budget, malformed), with its targets. */
  onRefused(handler: (refusal: RelayRefusal) => void): void
}
