/** Options of the mesh (`connect()`'s options but the transport's) and their checks. */
import { BadArgError } from '../api/errors.js'
import type { NodeOptions } from '../api/types.js'
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

export const positive = (name: string, value: number | undefined, fallback: number): number => {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) throw new BadArgError(`${name} must be a positive number, got ${String(value)}`)
  return value
}

export const nonNegative = (name: string, value: number | undefined, fallback: number): number => {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new BadArgError(`${name} must be a number from 0 up, got ${String(value)}`)
  return value
}

/** `iceTransportPolicy`: `all` or `relay` (or not given); throws `BadArgError` for anything else. */
export function transportPolicy(value: unknown): 'all' | 'relay' | undefined {
  if (value === undefined || value === 'all' || value === 'relay') return value
  throw new BadArgError(`iceTransportPolicy must be 'all' or 'relay', got ${JSON.stringify(value)?.slice(0, 40) ?? String(value)}`)
}

/** The direct-link budget: a whole number, 0 (every link stays on the relay) or more. Default 32. */
export function budget(value: number | undefined): number {
  if (value === undefined) return 32
  if (value !== Infinity && (!Number.isInteger(value) || value < 0)) throw new BadArgError(`maxDirectLinks must be a whole number (0 for relay only) or Infinity, got ${String(value)}`)
  return value
}
