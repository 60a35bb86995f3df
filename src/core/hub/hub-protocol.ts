/**
 * The messages between a node and the signaling hub (Socket.IO events), and the parsers
 * both sides run on everything they receive. Each parser turns an unknown payload into a
 * typed value or `null`; a `null` is dropped (or answered with an error ack) and never
 * reaches the rest of the code.
 *
 * Events, client → hub (each may carry a Socket.IO acknowledgement callback):
 * - `join` {@link JoinRequest}, answered by a {@link JoinReply}
 * - `signal` {@link SignalRequest}, answered (when an ack is asked for) by a {@link HubAck}
 *
 * Events, hub → client:
 * - `member-join` {@link MemberJoin}, `member-leave` {@link MemberLeave} (both read by {@link parseMemberNotice})
 * - `signal` {@link SignalNotice} (`from` is set by the hub, never by the sender)
 * - `kicked` {@link KickedNotice}
 *
 * The same events as Socket.IO typed event maps: {@link ClientToHubEvents} and
 * {@link HubToClientEvents} (the relay's in `./relay-protocol.ts`). A sender's emits are
 * checked against them; a receiver declares them through {@link Received}, every argument
 * `unknown` until one of the parsers below reads it.
 *
 * Every member is named with its **incarnation** (`inc`, a random 32-bit number the node
 * picks when it starts, part of each of its pids): a node restarted under the same id (a
 * server restart, a tab reload) joins with a new one. The hub stamps the sender's
 * incarnation on what it forwards (`fi`) as it stamps its id, and a sender names the
 * incarnation it means to reach (`ti`): a node drops what was meant for another life of
 * itself, so nothing sent to a member before it restarted reaches its new life.
 *
 * `member-join` may repeat for an id already known (the node rejoined, or hubs re-announce
 * their members after their shared Redis view came back): treat it as "present". A
 * `member-join` with a new incarnation of a known id says the old one is gone; a
 * `member-leave` names the incarnation that left (a late leave of an old life is ignored).
 *
 * Limits: node ids and cluster names are 1..128 characters from `A-Z a-z 0-9 _ - . : @`
 * (the same set everywhere, so a name never needs escaping and can be part of a room
 * name); a join key is 16..128 characters of the same set; `auth` is at most 4 KiB and a
 * signal's `data` at most 64 KiB as UTF-8 JSON. Payloads are plain JSON: objects with a
 * `__proto__`, `constructor` or `prototype` key, binary attachments, class instances,
 * non-finite numbers and nesting deeper than 32 levels are refused.
 */
import type { ErrorCode } from '../api/errors.js'
import { isIncarnation } from '../api/pid.js'
import { FORBIDDEN_KEYS, isPlainObject } from '../util/untrusted-json.js'
import { utf8Length } from '../util/utf8.js'

/** Version of the client ↔ hub protocol, sent in every `join`. */
export const HUB_PROTOCOL_VERSION = 2

/** Socket.IO event names. */
export const HubEvents = {
  join: 'join',
  joined: 'joined',
  signal: 'signal',
  memberJoin: 'member-join',
  memberLeave: 'member-leave',
  kicked: 'kicked',
} as const satisfies Record<string, keyof ClientToHubEvents | keyof HubToClientEvents>

/** Size limits enforced by both sides. */
export const HubLimits = {
  /** Longest node id or cluster name, in characters. */
  nameMaxLength: 128,
  /** Shortest and longest join key, in characters. */
  keyMinLength: 16,
  keyMaxLength: 128,
  /** Largest `auth` value, as UTF-8 JSON bytes. */
  authMaxBytes: 4 * 1024,
  /** Largest claims the hub stamps on a member, as UTF-8 JSON bytes. */
  claimsMaxBytes: 4 * 1024,
  /** Largest signal `data`, as UTF-8 JSON bytes. */
  signalMaxBytes: 64 * 1024,
  /** Deepest nesting of objects and arrays in a payload. */
  maxDepth: 32,
} as const

/** A JSON value as it crosses the wire. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** The error codes a hub answers with (a subset of the library's `ErrorCode`). */
export type HubErrorCode = Extract<ErrorCode, 'badarg' | 'protocol' | 'duplicate_id' | 'unauthorized' | 'no_node' | 'overloaded'>

const HUB_ERROR_CODES: readonly HubErrorCode[] = ['badarg', 'protocol', 'duplicate_id', 'unauthorized', 'no_node', 'overloaded']

/** `join`, client → hub. `key` is a secret chosen once per client instance; the hub never relays it. */
export interface JoinRequest {
  readonly v: typeof HUB_PROTOCOL_VERSION
  readonly cluster: string
  readonly id: string
  readonly key: string
  /** The node's incarnation (see the module comment). */
  readonly inc: number
  readonly auth?: Json
  /** `false`: this member takes no relayed link traffic (it links only directly). */
  readonly relay?: false
}

/** `signal`, client → hub: `ti` is the incarnation of `to` it is meant for. Any other field (such as a forged `from`) is ignored. */
export interface SignalRequest {
  readonly to: string
  readonly ti: number
  readonly data: Json
}

/** A refusal, as the ack of any request. */
export interface HubErrorReply {
  readonly ok: false
  readonly code: HubErrorCode
  readonly message: string
}

/** A member as the hub names it: its id, its incarnation, and whether it takes relayed traffic. */
export interface MemberInfo {
  readonly id: string
  readonly inc: number
  /** The member takes no relayed traffic (it links only directly). */
  readonly noRelay?: true
  /** What the hub's admission stamped on the member (plain JSON of at most 4 KiB), if anything. */
  readonly claims?: Json
  /**
   * Set by the signaling on a member-join: the member's join reply may not have listed
   * this node (its hub read the members before this node's join was confirmed), so it may
   * not open their link; this node does, at once.
   */
  readonly unlisted?: true
}

/**
 * The ack of `join`: the id bound to the connection, its own claims, the other members
 * present, and `at`, when the hub confirmed the join (its clock, ms), to compare with the
 * `la` of later member-joins.
 */
export type JoinReply = { readonly ok: true; readonly id: string; readonly members: readonly MemberInfo[]; readonly claims?: Json; readonly at?: number } | HubErrorReply

/**
 * `member-join` as the hub sends it: `la` is when the member's hub read the cluster for
 * the member's join reply (its clock, ms); members confirmed after that were not listed
 * to it.
 */
export type MemberJoin = MemberInfo & { readonly la?: number }

/** The ack of `signal`. */
export type HubAck = { readonly ok: true } | HubErrorReply

/**
 * `member-join` / `member-leave`, hub → client. A leave with `away` (milliseconds) says
 * the member's hub went away, not the member: it may come back through another hub within
 * that time, and counts as gone only after it.
 */
export interface MemberNotice extends MemberInfo {
  readonly la?: number
  readonly away?: number
  /** On a leave: the hub removed the member (`kick`), for this reason. */
  readonly kicked?: string
}

/** `signal`, hub → client: `fi` is the sender's incarnation (stamped by the hub), `ti` the one it was meant for. */
export interface SignalNotice {
  readonly from: string
  readonly fi: number
  readonly ti: number
  readonly data: Json
}

/** `member-leave`, hub → client, as the hub sends it: the incarnation that left (see {@link MemberNotice} for `away` and `kicked`). */
export interface MemberLeave {
  readonly id: string
  readonly inc: number
  readonly away?: number
  readonly kicked?: string
}

/** `kicked`, hub → client: the hub removes this member, for `reason`; its connection closes next. */
export interface KickedNotice {
  readonly reason: string
}

/** Events a client sends the hub, as a Socket.IO typed event map (the client's emits; the hub acks with these replies). */
export interface ClientToHubEvents {
  join: (request: JoinRequest, ack: (reply: JoinReply) => void) => void
  signal: (request: SignalRequest, ack?: (reply: HubAck) => void) => void
}

/** Events the hub sends a client, as a Socket.IO typed event map. */
export interface HubToClientEvents {
  /** The reply to a join the client sent with its connection (`auth: { join }` of Socket.IO's handshake). */
  joined: (reply: JoinReply) => void
  'member-join': (member: MemberJoin) => void
  'member-leave': (notice: MemberLeave) => void
  signal: (notice: SignalNotice) => void
  kicked: (notice: KickedNotice) => void
}

/**
 * The receiving end of an event map: the same events, every argument `unknown` (a payload,
 * then the ack callback when the sender asked for one) until a parser reads it. What a
 * peer sends is never trusted to match the sender's map.
 */
export type Received<Events> = { [Event in keyof Events]: (...args: unknown[]) => void }

/** The reply the acknowledgement of event `E` of map `Events` carries (`never` for an event without an ack). */
export type AckReply<Events, E extends keyof Events> = Events[E] extends (...args: infer A) => void
  ? NonNullable<A[1]> extends (reply: infer R) => void
    ? R
    : never
  : never

const NAME_PATTERN = /^[A-Za-z0-9_.:@-]+$/

/** A node id or cluster name: 1..128 characters from `A-Z a-z 0-9 _ - . : @`. */
export function isHubName(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= HubLimits.nameMaxLength && NAME_PATTERN.test(value)
}

/** A join key: 16..128 characters from the same set as names. */
export function isJoinKey(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length >= HubLimits.keyMinLength &&
    value.length <= HubLimits.keyMaxLength &&
    NAME_PATTERN.test(value)
  )
}

/** A plain object (prototype `Object.prototype` or `null`) with none of the forbidden keys. */
function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false
  for (const key of Object.keys(value)) if (FORBIDDEN_KEYS.has(key)) return false
  return true
}

/** Bytes of a string once JSON-quoted (an upper bound: escapes are counted as 6 bytes). */
function jsonStringLength(text: string): number {
  let escapes = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c === 0x22 || c === 0x5c) escapes++
  }
  return utf8Length(text) + 2 + escapes * 5
}

/**
 * Walks a value and returns its size as UTF-8 JSON (escapes counted generously), or `-1`
 * when it is not plain JSON, holds a forbidden key, nests deeper than 32 levels or
 * exceeds `budget` bytes. Stops as soon as the budget is exceeded.
 */
export function jsonSize(value: unknown, budget: number): number {
  let total = 0
  const walk = (v: unknown, depth: number): boolean => {
    if (depth > HubLimits.maxDepth) return false
    if (v === null) total += 4
    else if (typeof v === 'boolean') total += 5
    else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return false
      total += String(v).length
    } else if (typeof v === 'string') total += jsonStringLength(v)
    else if (Array.isArray(v)) {
      total += 2
      for (const item of v) {
        total += 1
        if (total > budget || !walk(item, depth + 1)) return false
      }
    } else if (isPlainRecord(v)) {
      total += 2
      for (const [key, item] of Object.entries(v)) {
        total += jsonStringLength(key) + 2
        if (total > budget || !walk(item, depth + 1)) return false
      }
    } else return false
    return total <= budget
  }
  return walk(value, 0) ? total : -1
}

/** Whether `value` is plain JSON of at most `budget` bytes (see {@link jsonSize}). */
export function isJson(value: unknown, budget: number): value is Json {
  return jsonSize(value, budget) >= 0
}

/** Reads the protocol version of a `join` payload, or `undefined` when there is none. */
export function joinVersion(payload: unknown): unknown {
  return isPlainRecord(payload) ? payload['v'] : undefined
}

/** Parses a `join` payload (client → hub). */
export function parseJoinRequest(payload: unknown): JoinRequest | null {
  if (!isPlainRecord(payload)) return null
  const { v, cluster, id, key, inc, auth, relay } = payload
  if (v !== HUB_PROTOCOL_VERSION || !isHubName(cluster) || !isHubName(id) || !isJoinKey(key) || !isIncarnation(inc)) return null
  if (relay !== undefined && relay !== false) return null
  const request: { -readonly [K in keyof JoinRequest]: JoinRequest[K] } = { v, cluster, id, key, inc }
  if (relay === false) request.relay = false
  if (auth === undefined) return request
  if (!isJson(auth, HubLimits.authMaxBytes)) return null
  request.auth = auth
  return request
}

/** Parses a `signal` payload (client → hub). */
export function parseSignalRequest(payload: unknown): SignalRequest | null {
  if (!isPlainRecord(payload)) return null
  const { to, ti, data } = payload
  if (!isHubName(to) || !isIncarnation(ti) || !isJson(data, HubLimits.signalMaxBytes)) return null
  return { to, ti, data }
}

function parseErrorReply(payload: Record<string, unknown>): HubErrorReply | null {
  const { ok, code, message } = payload
  if (ok !== false || typeof message !== 'string' || message.length > 1024) return null
  const known = HUB_ERROR_CODES.find((c) => c === code)
  return known === undefined ? null : { ok, code: known, message }
}

/** Reads `{id, inc, noRelay?}` (the fields a member list and a member notice share), or `null`. */
function memberInfo(value: Record<string, unknown>): MemberInfo | null {
  const { id, inc, noRelay, claims } = value
  if (!isHubName(id) || !isIncarnation(inc) || (noRelay !== undefined && noRelay !== true)) return null
  if (claims !== undefined && !isJson(claims, HubLimits.claimsMaxBytes)) return null
  return { id, inc, ...(noRelay === true ? { noRelay } : {}), ...(claims === undefined ? {} : { claims }) }
}

/** Parses the ack of `join` (hub → client). */
export function parseJoinReply(payload: unknown): JoinReply | null {
  if (!isPlainRecord(payload)) return null
  if (payload['ok'] !== true) return parseErrorReply(payload)
  const { id, members, claims, at } = payload
  if (!isHubName(id) || !Array.isArray(members) || !isStamp(at)) return null
  if (claims !== undefined && !isJson(claims, HubLimits.claimsMaxBytes)) return null
  const list: MemberInfo[] = []
  for (const item of members as unknown[]) {
    const member = isPlainRecord(item) ? memberInfo(item) : null
    if (member === null) return null
    list.push(member)
  }
  return { ok: true, id, members: list, ...(claims === undefined ? {} : { claims }), ...(at === undefined ? {} : { at }) }
}

/** A hub's time stamp (`at`, `la`): absent, or a finite number of milliseconds. */
const isStamp = (x: unknown): x is number | undefined => x === undefined || (typeof x === 'number' && Number.isFinite(x))

/** Parses the ack of `signal` (hub → client). */
export function parseHubAck(payload: unknown): HubAck | null {
  if (!isPlainRecord(payload)) return null
  return payload['ok'] === true ? { ok: true } : parseErrorReply(payload)
}

/** Parses `member-join` / `member-leave` (hub → client). */
export function parseMemberNotice(payload: unknown): MemberNotice | null {
  if (!isPlainRecord(payload)) return null
  const member = memberInfo(payload)
  const { away, kicked, la } = payload
  if (member === null || !isStamp(la)) return null
  if (la !== undefined) return away === undefined && kicked === undefined ? { ...member, la } : null
  if (kicked !== undefined) return typeof kicked === 'string' && kicked.length <= 1024 && away === undefined ? { ...member, kicked } : null
  if (away === undefined) return member
  if (member.noRelay === true) return null // a leave says nothing of the relay
  return typeof away === 'number' && Number.isFinite(away) && away > 0 && away <= 300_000 ? { ...member, away } : null
}

/** Parses `signal` (hub → client). */
export function parseSignalNotice(payload: unknown): SignalNotice | null {
  if (!isPlainRecord(payload)) return null
  const { from, fi, ti, data } = payload
  if (!isHubName(from) || !isIncarnation(fi) || !isIncarnation(ti) || !isJson(data, HubLimits.signalMaxBytes)) return null
  return { from, fi, ti, data }
}

/** Builds an error reply. */
export function hubError(code: HubErrorCode, message: string): HubErrorReply {
  return { ok: false, code, message }
}
