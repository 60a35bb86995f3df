/**
 * The options of a node, their defaults and their checks. Every bound on what a peer
 * can make this node hold is here, with its default (SECURITY.md lists them all).
 */
import { DEFAULT_MAX_BIGINT_DIGITS } from '../wire/codec.js'
import { BadArgError } from '../api/errors.js'
import type { NodeOptions } from '../api/types.js'
import { assertTimeout } from './validate.js'

/** A node's options with every default applied. */
export type ResolvedNodeOptions = Required<Omit<NodeOptions, 'id' | 'acceptRegistration'>>

export const NODE_DEFAULTS: ResolvedNodeOptions = {
  heartbeatIntervalMs: 500,
  heartbeatTimeoutMs: 2500,
  handshakeTimeoutMs: 10_000,
  maxFrameBytes: 64 * 1024 * 1024,
  maxBatchBytes: 16 * 1024,
  maxSendBufferBytes: 64 * 1024 * 1024,
  maxMonitorsPerLink: 10_000,
  maxRpcsPerLink: 10_000,
  rpcDoneTimeoutMs: 30_000,
  maxBigIntDigits: DEFAULT_MAX_BIGINT_DIGITS,
  maxNamesPerLink: 10_000,
  maxMailbox: 10_000,
}

/** Applies the defaults to `options` and checks every value; throws `BadArgError`. */
export function resolveNodeOptions(options: NodeOptions): ResolvedNodeOptions {
  const resolved: { -readonly [K in keyof ResolvedNodeOptions]: number } = { ...NODE_DEFAULTS }
  for (const key of Object.keys(NODE_DEFAULTS) as Array<keyof ResolvedNodeOptions>) {
    const value = options[key]
    if (value === undefined) continue
    assertTimeout(value, key) // a positive number, or Infinity for no bound
    resolved[key] = value
  }
  if (resolved.heartbeatTimeoutMs <= resolved.heartbeatIntervalMs) {
    throw new BadArgError('heartbeatTimeoutMs must be larger than heartbeatIntervalMs')
  }
  return resolved
}
