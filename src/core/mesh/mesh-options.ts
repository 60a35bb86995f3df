/** Options of the mesh (`connect()`'s options but the transport's) and their checks. */
import { BadArgError } from '../api/errors.js'
import type { NodeOptions } from '../api/types.js'
import { optionChecks } from '../util/options.js'
import type { DataChannelOptions } from '../webrtc/data-channel-options.js'

export interface MeshOptions extends NodeOptions {
  /** ICE servers handed to every peer (STUN/TURN). Default: none (host candidates). */
  readonly iceServers?: readonly unknown[]
  /**
   * `relay`: peer connections use only TURN candidates, so no member learns this node's
   * host or server-reflexive (public) address; needs a TURN server in `iceServers`.
   * Default `all`.
   */
  readonly iceTransportPolicy?: 'all' | 'relay'
  /**
   * Which members this node links to directly (WebRTC, which shows each side the other's
   * IP address): `true` (default), `false`, or `(id, claims) => boolean`. A pair goes
   * direct only if both sides allow it; otherwise it stays on the relay, and a pair that
   * cannot relay (one side has `relay: false`) stays unlinked, told by `unlinked` on both.
   */
  readonly direct?: boolean | ((id: string, claims: unknown) => boolean)
  /** `connect()` resolves once the members present at join are linked, or after this long. Default 10 s. */
  readonly meshTimeoutMs?: number
  /**
   * `connect()` does not wait for a member present at join that has not answered at all
   * (no hello over the relay, no WebRTC signal) within this long: a frozen tab or a
   * client that never answers cannot hold every newcomer up. It is linked later if it
   * ever answers. Default 1000 ms.
   */
  readonly answerTimeoutMs?: number
  /** A direct (WebRTC) attempt that has not opened after this long is dropped and retried. Default 15 s. */
  readonly directTimeoutMs?: number
  /**
   * The old name of `directTimeoutMs`: it bounds one WebRTC attempt, not a link (a link's
   * liveness is the heartbeat, or the hub for a relayed one).
   * @deprecated use `directTimeoutMs`; this name is read when that one is not given.
   */
  readonly linkTimeoutMs?: number
  /** Data-channel framing options (chunk size, largest value, buffering). */
  readonly transport?: DataChannelOptions
  /**
   * Direct attempts in progress at once, each way; members beyond wait their turn, and an
   * offer beyond is answered busy. Default 16.
   */
  readonly maxPendingLinks?: number
  /**
   * Link members through the hub's relay until (or where) WebRTC connects. `false`: no
   * payload ever passes through the hub (pairs that cannot connect directly stay unlinked).
   * Default true.
   */
  readonly relay?: boolean
  /** Direct (WebRTC) paths this node holds at most; further pairs stay on the relay (0: all of them). Ignored without relay. Default 32. */
  readonly maxDirectLinks?: number
  /** A direct path with no traffic for this long may be moved back to the relay to make room. Default 30 s. */
  readonly directIdleMs?: number
  /**
   * WebRTC to a member linked over the relay starts this long after it is up, or sooner:
   * at most 250 ms after the link has carried a message each way past its handshake (its
   * first call and reply, say). 0: at once. Opening peer connections costs a tab most of
   * its main thread for a while; waiting lets a room's first registrations and calls go
   * over the relay first (six tabs opened together: every pair answered in 0.84× the time
   * of a raw WebRTC mesh, 2× before). Default 250 ms.
   */
  readonly directDelayMs?: number
  /** Bytes a relayed link has in flight unacknowledged at most. Default 1 MiB. */
  readonly relayWindowBytes?: number
  /** How long relayed links wait for this node's lost hub connection to come back. Default 10 s. */
  readonly hubLostGraceMs?: number
}

/**
 * The mesh's defaults, one table: the options' (docs/api.md, SECURITY.md "Limits" list
 * them) and the fixed timings the mesh keeps, each with what it bounds and why.
 */
export const MESH_DEFAULTS = {
  /** `meshTimeoutMs`: longest `connect()` waits for the members present at join; room for a hub round trip and a slow peer. */
  meshTimeoutMs: 10_000,
  /** `answerTimeoutMs`: a member silent this long at join does not hold `connect()` up; a live one answers in a hub round trip. */
  answerTimeoutMs: 1000,
  /** `directTimeoutMs`: a WebRTC attempt not open by then is dropped; ICE over STUN/TURN can take several seconds. */
  directTimeoutMs: 15_000,
  /** `maxPendingLinks`: WebRTC attempts in progress each way; opening peer connections costs CPU, so a crowd waits its turn. */
  maxPendingLinks: 16,
  /** `maxDirectLinks`: peer connections held with relay on; each costs memory and a thread's time, the relay carries the rest. */
  maxDirectLinks: 32,
  /** `directIdleMs`: a direct path silent this long may give way to a busy relayed pair; idle for a while, not between two calls. */
  directIdleMs: 30_000,
  /** `directDelayMs`: WebRTC for a relayed member starts this late, so a room's first calls go over the relay first. */
  directDelayMs: 250,
  /** `relayWindowBytes`: relayed bytes in flight unacknowledged per link (and held ahead of a gap); 1 MiB keeps a hub round trip busy. */
  relayWindowBytes: 1024 * 1024,
  /** `hubLostGraceMs`: how long relayed links wait for this node's lost hub; a hub restart or a reconnection fits in it. */
  hubLostGraceMs: 10_000,
  /** Longest wait for WebRTC after a relayed link's first exchange (a call and its reply), whatever `directDelayMs` says. */
  afterExchangeMs: 250,
  /** Longest backoff between WebRTC attempts to a member that has the relay meanwhile: it is linked, so retries can be rare. */
  maxRetryMs: 60_000,
  /** Longest backoff between WebRTC attempts without the relay: the pair is unlinked until one succeeds. */
  maxRetryMsDirectOnly: 10_000,
  /** Chunks of relayed messages, in bytes: 16 KiB, what a data channel takes everywhere, well under the hub's 64 KiB per packet. */
  relayChunkBytes: 16 * 1024,
  /** First wait for a relay acknowledgement before packets are sent again (doubling to 8×); a few hub round trips. */
  retransmitMs: 1000,
  /** A relay packet the hub did not forward (refused, or its connection dropped) is sent again after this long (or `retransmitMs`, if shorter): soon, without spinning. */
  resendSoonMs: 50,
  /** How often busy relayed pairs are considered for a direct path: often enough to follow traffic, rarely enough to cost nothing. */
  promoteEveryMs: 2000,
  /** A link whose handshake failed (its first packets crossed the other side's) is opened again after this long. */
  relinkMs: 250,
  /** How long a member that heard of a newcomer from the hub waits for the newcomer to open their link before opening it itself: several hub round trips under load. */
  answerLinkMs: 1000,
  /** How long a closed relay channel keeps sending what the other side has not acknowledged (its close included), as a data channel drains. */
  relayDrainMs: 10_000,
  /** What a relay packet held ahead of a gap weighs besides its data, against `relayWindowBytes`: none is free (1 MiB holds at most 16,384). */
  heldPacketBytes: 64,
  /** How long an ack a relay channel owes waits for a packet going back to ride on before it is sent bare: a reply usually goes sooner. */
  ackDelayMs: 2,
  /**
   * The same wait for the ack of a link's first packet, the other side's hello (at most a
   * quarter of `retransmitMs`, so the other side does not send it again): long enough for
   * the registration a newcomer makes once linked to carry it; a link's opening then costs
   * no bare acknowledgement. (Waiting this long for every ack made item 9's relayed calls,
   * interleaved with other round trips, 10% slower.)
   */
  lazyAckMs: 200,
  /** Members whose newest relay epoch is remembered, at most (the least recently heard from forgotten first): one entry per member id. */
  maxKnownEpochs: 4096,
  /** Superseded incarnations remembered, at most (the oldest forgotten first), so that their late traffic is dropped. */
  maxRetired: 1024,
  /** A relayed pair with traffic within this long counts as busy, and is tried for a direct path: a few exchanges, not one call. */
  busyMs: 2500,
  /** First wait before a failed or refused WebRTC attempt is tried again (doubling up to `maxRetryMs`): a glare or a busy answer passes soon. */
  firstRetryMs: 250,
  /** `heartbeatIntervalMs` under `connect()`: a ping every second on a direct link (or a quarter of `heartbeatTimeoutMs`, if shorter). */
  connectHeartbeatIntervalMs: 1000,
  /** `heartbeatTimeoutMs` under `connect()`: the hub tells a lost member at once, so this only catches a partition; long enough that load never trips it. */
  connectHeartbeatTimeoutMs: 10_000,
} as const

/** The checks of the mesh's options (util/options.ts), throwing `BadArgError`. */
export const check = optionChecks(BadArgError)

/** `maxPendingLinks`: a positive integer; undefined or null is the default (16). */
export function pendingLinks(value: number | undefined): number {
  return check.integer('maxPendingLinks', value ?? MESH_DEFAULTS.maxPendingLinks, MESH_DEFAULTS.maxPendingLinks, 1, Infinity, 'a positive integer')
}

/** `iceTransportPolicy`: `all` or `relay` (or not given); throws `BadArgError` for anything else. */
export function transportPolicy(value: unknown): 'all' | 'relay' | undefined {
  return check.oneOf('iceTransportPolicy', value, ['all', 'relay'])
}

/**
 * `directTimeoutMs`, or its old name `linkTimeoutMs` when it is not given: a positive
 * number of milliseconds, default 15 s. A bad value is named as the caller wrote it.
 */
export function directTimeout(options: Pick<MeshOptions, 'directTimeoutMs' | 'linkTimeoutMs'>): number {
  if (options.directTimeoutMs == null && options.linkTimeoutMs != null) return check.positive('linkTimeoutMs', options.linkTimeoutMs, MESH_DEFAULTS.directTimeoutMs)
  return check.positive('directTimeoutMs', options.directTimeoutMs, MESH_DEFAULTS.directTimeoutMs)
}

/** The direct-link budget: a whole number, 0 (every link stays on the relay) or more, or Infinity. Default 32. */
export function budget(value: number | undefined): number {
  const whole = (v: unknown): boolean => v === Infinity || (Number.isInteger(v) && (v as number) >= 0)
  return check.valid('maxDirectLinks', value, MESH_DEFAULTS.maxDirectLinks, whole, 'a whole number (0 for relay only) or Infinity')
}
