/** Options of `channelFromPeer` (data-channel.ts), their defaults and their checks. */
import { BadArgError } from '../api/errors.js'
import { optionChecks } from '../util/options.js'
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

/** The data channel's defaults and bounds, one table: what each bounds and why that value. */
export const DATA_CHANNEL_DEFAULTS = {
  /** `chunkSize` when the remote does not say it takes more: 16 KiB passes every browser's data channel whole. */
  chunkSize: 16 * 1024,
  /** `chunkSize` when the remote's SCTP transport takes it: larger chunks move several times faster through Chromium. */
  preferredChunkSize: 64 * 1024,
  /** Smallest `chunkSize` taken: room for a START chunk's 6-byte header and data (a chunk stream needs over 10 bytes). */
  minChunkSize: 16,
  /** Largest `chunkSize` taken: 256 KiB, Chromium's `maxMessageSize`; a larger chunk would not pass there. */
  maxChunkSize: 256 * 1024,
  /** `maxMessageBytes`: 64 MiB, as the node's `maxFrameBytes`; memory is taken as a message's data arrives, never on its announcement. */
  maxMessageBytes: 64 * 1024 * 1024,
  /** Largest `maxMessageBytes` taken: 2^32 − 1, what a START chunk's length field holds. */
  maxMessageBytesLimit: 0xffffffff,
  /** `highWaterMark`: 1 MiB in the data channel's buffer keeps the SCTP pipe full without queueing seconds of data there. */
  highWaterMark: 1024 * 1024,
  /** How often a channel without `bufferedamountlow` events looks whether its buffer drained. */
  drainPollMs: 5,
  /** The timer behind `bufferedamountlow` in case an event is missed. */
  safetyPollMs: 50,
} as const

/** The checks of the data channel's options (util/options.ts), throwing `BadArgError`. */
const check = optionChecks(BadArgError)

/** A data channel's options with the defaults applied, checked. */
export interface ResolvedDataChannelOptions {
  readonly chunkSize: number
  readonly maxMessageBytes: number
  readonly highWaterMark: number
}

/** Applies the defaults to `options` (the chunk size as `peer`'s remote takes it) and checks them; throws `BadArgError`. */
export function resolveDataChannelOptions(options: DataChannelOptions, peer: PeerLike): ResolvedDataChannelOptions {
  const D = DATA_CHANNEL_DEFAULTS
  return {
    chunkSize: check.integer('chunkSize', options.chunkSize, defaultChunkSize(peer), D.minChunkSize, D.maxChunkSize),
    maxMessageBytes: check.integer('maxMessageBytes', options.maxMessageBytes, D.maxMessageBytes, 0, D.maxMessageBytesLimit),
    highWaterMark: check.integer('highWaterMark', options.highWaterMark, D.highWaterMark, 1, Number.MAX_SAFE_INTEGER),
  }
}

/** The chunk size to use with `peer` when none is given; see `DataChannelOptions.chunkSize`. */
export function defaultChunkSize(peer: PeerLike): number {
  const max = remoteMaxMessageSize(peer)
  const { chunkSize, preferredChunkSize } = DATA_CHANNEL_DEFAULTS
  return max !== undefined && max >= preferredChunkSize ? preferredChunkSize : chunkSize
}
