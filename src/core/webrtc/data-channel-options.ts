/** Options of `channelFromPeer` (data-channel.ts), their defaults and their checks. */
import { BadArgError } from '../api/errors.js'
import { type PeerLike, remoteMaxMessageSize } from './simple-peer.js'

/** Options of `channelFromPeer`. */
export interface DataChannelOptions {
  /**
   * Largest data-channel chunk sent, in bytes. Default: 64 KiB when the remote's SCTP
   * transport accepts it (`maxMessageSize`; Chromium and node-datachannel do), else
   * 16 KiB, the size every browser takes. Larger chunks move several times faster
   * through Chromium's data channels than 16 KiB ones.
   */
  readonly chunkSize?: number
  /** Largest message accepted either way, in bytes (default 64 MiB, at most 2^32 − 1). */
  readonly maxMessageBytes?: number
  /** Bytes the data channel may hold before messages wait in an internal queue (default 1 MiB). */
  readonly highWaterMark?: number
  /** Receives every dropped incoming chunk's error, and errors thrown by the message handler. */
  readonly onError?: (error: Error) => void
}

export const DEFAULT_CHUNK_SIZE = 16 * 1024
export const PREFERRED_CHUNK_SIZE = 64 * 1024
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024

export const MIN_CHUNK_SIZE = 16
export const MAX_CHUNK_SIZE = 256 * 1024

/** The chunk size to use with `peer` when none is given; see `DataChannelOptions.chunkSize`. */
export function defaultChunkSize(peer: PeerLike): number {
  const max = remoteMaxMessageSize(peer)
  return max !== undefined && max >= PREFERRED_CHUNK_SIZE ? PREFERRED_CHUNK_SIZE : DEFAULT_CHUNK_SIZE
}

export function checkSize(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BadArgError(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`)
  }
  return value
}
