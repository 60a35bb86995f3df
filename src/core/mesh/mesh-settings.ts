/**
 * The mesh's options resolved and checked in one place, before the mesh starts: each
 * given value checked (`BadArgError`, named as the caller wrote it), each missing one
 * taken from `MESH_DEFAULTS`, and split into what each part takes: the WebRTC attempts
 * (direct.ts), the relay router (relay-router.ts) and the mesh's own timings (mesh.ts).
 * As `resolveNodeOptions`, `resolveDataChannelOptions` and `resolveSignalingOptions` do
 * for their layers.
 */
import { RelayLimits } from '../hub/relay-protocol.js'
import type { DirectOptions } from './direct.js'
import { budget, check, directTimeout, MESH_DEFAULTS, type MeshOptions, pendingLinks, transportPolicy } from './mesh-options.js'
import type { DataChannelOptions } from '../webrtc/data-channel-options.js'
import type { RelayChannelOptions } from './relay-channel.js'

export interface MeshSettings {
  /** Idle direct paths give way after this long to busy relayed pairs. */
  readonly directIdleMs: number
  /** WebRTC for a relayed pair starts this long after the member appeared (or sooner). */
  readonly directDelayMs: number
  /** How long relayed links wait for a lost hub connection. */
  readonly hubLostGraceMs: number
  /** `connect()` does not wait for a member silent this long. */
  readonly answerTimeoutMs: number
  /** `connect()` waits at most this long for the members present at join. */
  readonly meshTimeoutMs: number
  /** The WebRTC attempts. */
  readonly direct: DirectOptions
  /** The relay router's channels; undefined when no link may use the relay. */
  readonly relay: RelayChannelOptions | undefined
  /** The data channels' framing, as given (checked where each channel is made). */
  readonly transport: DataChannelOptions | undefined
}

/**
 * Resolves `options` for a mesh whose hub client offers a relay (`relayOffered`) and
 * whose node sends frames of at most `maxFrameBytes`; throws `BadArgError`.
 *
 * @example
 * const settings = resolveMeshSettings({ maxDirectLinks: 4 }, true, 64 * 1024 * 1024)
 */
export function resolveMeshSettings(options: MeshOptions, relayOffered: boolean, maxFrameBytes: number): MeshSettings {
  const useRelay = options.relay !== false && relayOffered
  const policy = transportPolicy(options.iceTransportPolicy)
  return {
    directIdleMs: check.positive('directIdleMs', options.directIdleMs, MESH_DEFAULTS.directIdleMs),
    directDelayMs: check.fromZero('directDelayMs', options.directDelayMs, MESH_DEFAULTS.directDelayMs),
    hubLostGraceMs: check.positive('hubLostGraceMs', options.hubLostGraceMs, MESH_DEFAULTS.hubLostGraceMs),
    answerTimeoutMs: check.positive('answerTimeoutMs', options.answerTimeoutMs, MESH_DEFAULTS.answerTimeoutMs),
    meshTimeoutMs: check.positive('meshTimeoutMs', options.meshTimeoutMs, MESH_DEFAULTS.meshTimeoutMs),
    direct: {
      ...(options.iceServers ? { iceServers: options.iceServers } : {}),
      ...(policy === undefined ? {} : { iceTransportPolicy: policy }),
      directTimeoutMs: directTimeout(options),
      maxPendingLinks: pendingLinks(options.maxPendingLinks),
      maxDirectLinks: useRelay ? budget(options.maxDirectLinks) : Infinity,
      maxRetryMs: useRelay ? MESH_DEFAULTS.maxRetryMs : MESH_DEFAULTS.maxRetryMsDirectOnly,
    },
    relay: useRelay
      ? {
          chunkBytes: MESH_DEFAULTS.relayChunkBytes,
          maxMessageBytes: maxFrameBytes,
          windowBytes: Math.max(RelayLimits.chunkMaxBytes, check.positive('relayWindowBytes', options.relayWindowBytes, MESH_DEFAULTS.relayWindowBytes)),
          retransmitMs: MESH_DEFAULTS.retransmitMs,
        }
      : undefined,
    transport: options.transport,
  }
}
