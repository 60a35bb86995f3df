/**
 * The relay path's messages between a node and the hub (Socket.IO event `relay`), and
 * their parsers. A relay packet carries one chunk of a link's traffic (a whole small
 * message, or a piece of a large one, in the data-channel chunk format) from one member
 * to one or more members of the same cluster; the hub forwards it only within the
 * sender's cluster and stamps the sender, as it does for signals.
 *
 * Client → hub: `{ t: [[to, ti, epoch, seq, ack], ...], d? }`: one chunk `d` (a string,
 * or bytes) for each target, with the target's incarnation `ti` (the life of that member
 * the packet is meant for), the sender's relay epoch on the pair (a number that grows
 * each time the sender opens a new link to that member), the packet's sequence number on
 * the pair (0 for a packet that carries no chunk, only an ack) and the cumulative ack of
 * what the sender received from that target. Sent without a Socket.IO acknowledgement
 * (the receivers acknowledge end to end); a packet the hub refuses is answered with
 * `relay-refused` `{ code, message, t? }`, `t` the refused packet's targets.
 *
 * Hub → client: `{ f, fi, ti, e, s, a, d? }`: the same for one receiver, the sender's id
 * `f` and incarnation `fi` set by the hub. A receiver drops a packet whose `ti` is not
 * its own incarnation, and one of an earlier epoch of that sender's incarnation.
 *
 * The same as Socket.IO typed event maps, {@link ClientToHubRelayEvents} and
 * {@link HubToClientRelayEvents}: a socket of either end speaks these beside the hub
 * protocol's maps (`./hub-protocol.ts`).
 */
import { isIncarnation } from '../api/pid.js'
import { isPlainObject } from '../util/untrusted-json.js'
import { utf8Length } from '../util/utf8.js'
import { isHubName, type HubAck, type HubErrorReply } from './hub-protocol.js'

/** The event name, both ways. */
export const RELAY_EVENT = 'relay'
/** Hub → client: a relay packet was refused (malformed, over the budget, before a join). */
export const RELAY_REFUSED_EVENT = 'relay-refused'

/** `relay`, client → hub, as sent: the targets `t` and the chunk `d` (none in a bare ack). */
export interface RelayPacket {
  readonly t: readonly RelayTarget[]
  readonly d?: string | Uint8Array
}

/** `relay`, hub → client, as sent to one receiver: `f` and `fi` (the sender) set by the hub. */
export interface RelayDelivery {
  readonly f: string
  readonly fi: number
  readonly ti: number
  readonly e: number
  readonly s: number
  readonly a: number
  readonly d?: string | Uint8Array
}

/** `relay-refused`, hub → client, as sent: the refusal, with `t` the refused packet's targets when they could be read. */
export type RelayRefusedNotice = HubErrorReply & { readonly t?: readonly RelayTarget[] }

/** Relay events a client sends the hub, as a Socket.IO typed event map (sent without an ack; one asked for is answered). */
export interface ClientToHubRelayEvents {
  relay: (packet: RelayPacket, ack?: (reply: HubAck) => void) => void
}

/** Relay events the hub sends a client, as a Socket.IO typed event map. */
export interface HubToClientRelayEvents {
  relay: (packet: RelayDelivery) => void
  'relay-refused': (refusal: RelayRefusedNotice) => void
}

/** `relay-refused`, hub → client. */
export interface RelayRefusal {
  readonly code: string
  readonly message: string
  /** The refused packet's targets, when it could be read. */
  readonly targets: readonly RelayTarget[]
}

/** Bounds on one relay packet. */
export const RelayLimits = {
  /** Largest chunk, in bytes (UTF-8 for a string). Socket.IO messages stay under the hub's 128 KiB. */
  chunkMaxBytes: 64 * 1024,
  /** Most targets of one packet; a sender splits longer lists. */
  maxTargets: 1024,
} as const

/** One target of a relay packet: `[member id, its incarnation, relay epoch, seq, ack]`. */
export type RelayTarget = readonly [to: string, ti: number, epoch: number, seq: number, ack: number]

/** `relay`, client → hub. */
export interface RelayRequest {
  readonly targets: readonly RelayTarget[]
  readonly data: string | Uint8Array | undefined
}

/** `relay`, hub → client. */
export interface RelayNotice {
  readonly from: string
  /** The sender's incarnation, set by the hub. */
  readonly fromInc: number
  /** The incarnation of the receiver the packet is meant for. */
  readonly toInc: number
  readonly epoch: number
  readonly seq: number
  readonly ack: number
  readonly data: string | Uint8Array | undefined
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0

/** A relay chunk as it came off the socket: a string, or bytes (a Buffer in Node, an ArrayBuffer in a browser). */
function chunkOf(value: unknown): string | Uint8Array | undefined | null {
  if (value === undefined) return undefined
  // a chunk is never empty (an empty message travels as a marker): an empty one is refused
  if (typeof value === 'string') return value !== '' && (value.length * 3 <= RelayLimits.chunkMaxBytes || utf8Length(value) <= RelayLimits.chunkMaxBytes) ? value : null
  let bytes: Uint8Array
  if (value instanceof Uint8Array) bytes = value
  else if (value instanceof ArrayBuffer) bytes = new Uint8Array(value)
  else return null
  return bytes.byteLength > 0 && bytes.byteLength <= RelayLimits.chunkMaxBytes ? bytes : null
}

function relayTargets(t: unknown): RelayTarget[] | null {
  if (!Array.isArray(t) || t.length === 0 || t.length > RelayLimits.maxTargets) return null
  const targets: RelayTarget[] = []
  const seen = new Set<string>()
  for (const item of t as unknown[]) {
    if (!Array.isArray(item) || item.length !== 5) return null
    const [to, ti, epoch, seq, ack] = item as unknown[]
    if (!isHubName(to) || !isIncarnation(ti) || !isCount(epoch) || !isCount(seq) || !isCount(ack)) return null
    if (seen.has(to)) return null // one packet reaches a member once
    seen.add(to)
    targets.push([to, ti, epoch, seq, ack])
  }
  return targets
}

/** Parses a `relay` payload (client → hub), or `null`. */
export function parseRelayRequest(payload: unknown): RelayRequest | null {
  if (!isPlainObject(payload)) return null
  const { t, d } = payload
  const targets = relayTargets(t)
  if (targets === null) return null
  const data = chunkOf(d)
  if (data === null) return null
  // a packet with a chunk is numbered; one without is a bare ack
  if ((data === undefined) !== targets.every((target) => target[3] === 0)) return null
  return { targets, data }
}

/** Parses a `relay` payload (hub → client), or `null`. */
export function parseRelayNotice(payload: unknown): RelayNotice | null {
  if (!isPlainObject(payload)) return null
  const { f, fi, ti, e, s, a, d } = payload
  if (!isHubName(f) || !isIncarnation(fi) || !isIncarnation(ti) || !isCount(e) || !isCount(s) || !isCount(a)) return null
  const data = chunkOf(d)
  if (data === null || (data === undefined) !== (s === 0)) return null
  return { from: f, fromInc: fi, toInc: ti, epoch: e, seq: s, ack: a, data }
}

/** Parses a `relay-refused` payload (hub → client), or `null`. */
export function parseRelayRefusal(payload: unknown): RelayRefusal | null {
  if (!isPlainObject(payload)) return null
  const { code, message, t } = payload
  if (typeof code !== 'string' || code.length > 64 || typeof message !== 'string' || message.length > 1024) return null
  if (t === undefined) return { code, message, targets: [] }
  const targets = relayTargets(t)
  return targets === null ? null : { code, message, targets }
}
