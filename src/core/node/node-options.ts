/**
 * The options of a node, their defaults and their checks. Every bound on what a peer
 * can make this node hold is here, with its default (SECURITY.md lists them all).
 */
import { DEFAULT_MAX_BIGINT_DIGITS } from '../wire/codec.js'
import { BadArgError } from '../api/errors.js'
import type { NodeOptions } from '../api/types.js'
import { optionChecks } from '../util/options.js'
import { describe, positiveExpected } from './validate.js'

/** A node's options with every default applied. */
export type ResolvedNodeOptions = Required<Omit<NodeOptions, 'id' | 'acceptRegistration'>>

/** Every bound of a node, with its default: what it bounds and why that value. */
export const NODE_DEFAULTS: ResolvedNodeOptions = {
  /** How often a link with heartbeats on sends a ping when idle: twice a second costs nothing and tells a loss within the timeout. */
  heartbeatIntervalMs: 500,
  /** A link that received nothing this long goes down (`heartbeat_timeout`): five missed pings, not one late one. */
  heartbeatTimeoutMs: 2500,
  /** A link whose peer sends no `hello` and `sync` in this time is closed; a handshake takes a round trip or two. */
  handshakeTimeoutMs: 10_000,
  /** Largest frame accepted from a peer (and sent): 64 MiB holds any sensible value, not a peer's attempt to take all memory. */
  maxFrameBytes: 64 * 1024 * 1024,
  /** Frames of one tick are coalesced up to this size: 16 KiB, a data channel's safe message size. */
  maxBatchBytes: 16 * 1024,
  /** Unsent bytes on one link before sends to that node fail `overloaded`: one largest frame waiting. */
  maxSendBufferBytes: 64 * 1024 * 1024,
  /** Monitors one peer may hold here; past it a `mon` is answered `down` (`system_limit`). */
  maxMonitorsPerLink: 10_000,
  /** Rpc processes one peer may run here at once; past it an rpc is refused (`system_limit`). */
  maxRpcsPerLink: 10_000,
  /** An rpc process whose caller never confirms its callback ran stops after this long. */
  rpcDoneTimeoutMs: 30_000,
  /** Longest BigInt in a decoded value, in digits: decimal parsing is quadratic in the length. */
  maxBigIntDigits: DEFAULT_MAX_BIGINT_DIGITS,
  /** Registry memberships one linked node may hold in this node's replica; past it its link closes (`system_limit`). */
  maxNamesPerLink: 10_000,
  /** Messages waiting for one process; past it a call is answered `overloaded` and a cast dropped. */
  maxMailbox: 10_000,
}

/** The checks of a node's options (util/options.ts), throwing `BadArgError`; values shown as `describe` shows them. */
const check = optionChecks(BadArgError, describe)

/** Applies the defaults to `options` and checks every value; throws `BadArgError`. */
export function resolveNodeOptions(options: NodeOptions): ResolvedNodeOptions {
  const resolved: { -readonly [K in keyof ResolvedNodeOptions]: number } = { ...NODE_DEFAULTS }
  for (const key of Object.keys(NODE_DEFAULTS) as Array<keyof ResolvedNodeOptions>) {
    // a positive number, or Infinity for no bound
    resolved[key] = check.positive(key, options[key], NODE_DEFAULTS[key], positiveExpected(key))
  }
  if (resolved.heartbeatTimeoutMs <= resolved.heartbeatIntervalMs) {
    throw new BadArgError('heartbeatTimeoutMs must be larger than heartbeatIntervalMs')
  }
  return resolved
}
