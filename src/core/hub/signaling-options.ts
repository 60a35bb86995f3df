/**
 * What the Socket.IO signaling (./hub-signaling.ts) takes: its options and their checks,
 * and the part of socket.io-client it uses (handed in by the platform entries).
 */
import { BadArgError } from '../api/errors.js'
import { isIncarnation } from '../api/pid.js'
import { isThenable } from '../util/async.js'
import { optionChecks, showJson } from '../util/options.js'
import { HUB_PROTOCOL_VERSION, HubLimits, isHubName, isJson, type ClientToHubEvents, type HubToClientEvents, type JoinRequest, type Json, type MemberInfo, type Received } from './hub-protocol.js'
import type { ClientToHubRelayEvents, HubToClientRelayEvents } from './relay-protocol.js'

/** What a client sends the hub: the hub protocol's and the relay's events, checked against their maps. */
type Emits = ClientToHubEvents & ClientToHubRelayEvents
/** What a client hears from the hub (every argument unknown until parsed), and the socket's own events. */
type Listens = keyof Received<HubToClientEvents & HubToClientRelayEvents> | 'connect' | 'connect_error' | 'disconnect'

/** The part of a socket.io-client `Socket` the signaling uses, typed by the protocol's event maps. */
export interface HubSocket {
  on(event: Listens, listener: (...args: any[]) => void): unknown
  off(): unknown
  emit<E extends keyof Emits>(event: E, ...args: Parameters<Emits[E]>): unknown
  /** The join, with the ack's timeout: the reply (or the timeout's error) as the hub sent it, unread. */
  timeout(ms: number): { emit(event: 'join', request: JoinRequest, ack: (error: unknown, reply: unknown) => void): unknown }
  disconnect(): unknown
}

/** socket.io-client's `io` (or a wrapper of it): opens one connection to a hub. */
export type HubConnector = (
  url: string,
  options: { forceNew: boolean; reconnection: boolean; transports: string[]; timeout: number; auth: { join: JoinRequest } },
) => HubSocket

/**
 * The signaling's defaults, one table: what each bounds and why that value (docs/api.md
 * lists the options').
 */
export const SIGNALING_DEFAULTS = {
  /** `joinTimeoutMs`: the first `join()` rejects `hub_unreachable` after this long; room to try every hub URL and a slow start. */
  joinTimeoutMs: 10_000,
  /** `ackTimeoutMs`: one hub's answer to a join; past it the client tries again or moves to the next hub. */
  ackTimeoutMs: 5000,
  /** `retryDelayMs`: the first wait between reconnection attempts (jittered, doubling): a quick try after a blip. */
  retryDelayMs: 100,
  /** `maxRetryDelayMs`: the longest wait between reconnection attempts: a hub back from a restart is found within a second. */
  maxRetryDelayMs: 1000,
} as const

/** The checks of the signaling's options (util/options.ts), throwing `BadArgError`. */
const check = optionChecks(BadArgError)

/** The signaling's timings, each given or its default. */
export type SignalingTimings = { readonly [K in keyof typeof SIGNALING_DEFAULTS]: number }

/** A timer's delay: a positive, finite number of milliseconds (a timer given Infinity fires at once). */
const isDelay = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value > 0

/**
 * The timings of `options`, each checked, undefined or null taking its default; throws
 * `BadArgError` (`<name> must be a positive number of milliseconds, got <value>`).
 */
export function signalingTimings(options: SocketIoSignalingOptions): SignalingTimings {
  const timing = (key: keyof typeof SIGNALING_DEFAULTS): number =>
    check.valid(key, options[key] ?? undefined, SIGNALING_DEFAULTS[key], isDelay, 'a positive number of milliseconds')
  return { joinTimeoutMs: timing('joinTimeoutMs'), ackTimeoutMs: timing('ackTimeoutMs'), retryDelayMs: timing('retryDelayMs'), maxRetryDelayMs: timing('maxRetryDelayMs') }
}

/**
 * The options of a signaling with this `id` and `incarnation` resolved: its hub URLs and
 * timings, and what is wrong with them, if anything (its `join()` rejects `BadArgError`
 * with that); the defaults stand in for what is wrong.
 */
export function resolveSignalingOptions(options: SocketIoSignalingOptions, id: string, incarnation: number): { urls: readonly string[]; timings: SignalingTimings; problem: string | undefined } {
  try {
    return { urls: hubUrls(options.hub), timings: signalingTimings(options), problem: optionsProblem(options, id, incarnation) }
  } catch (error) {
    return { urls: [], timings: SIGNALING_DEFAULTS, problem: (error as Error).message }
  }
}

/**
 * Checks a hub option (one URL or a non-empty list) and returns the list, or throws
 * `BadArgError`. A hub URL is `http(s)://` or `ws(s)://`.
 */
export function hubUrls(hub: unknown): readonly string[] {
  return check.required('hub', typeof hub === 'string' ? [hub] : hub, isUrlList, 'an http(s):// or ws(s):// URL or a non-empty list of them', () => showJson(hub, 200))
}

const isUrlList = (urls: unknown): boolean => Array.isArray(urls) && urls.length > 0 && urls.every((url) => typeof url === 'string' && /^(https?|wss?):\/\/[^/]/.test(url))

/** What is wrong with the options of a signaling with this `id` and `incarnation`, or undefined. */
export function optionsProblem(options: SocketIoSignalingOptions, id: string, incarnation: number): string | undefined {
  if (!isHubName(options.cluster)) return 'cluster must be 1..128 characters from A-Z a-z 0-9 _ - . : @'
  if (!isHubName(id)) return 'id must be 1..128 characters from A-Z a-z 0-9 _ - . : @'
  if (!isIncarnation(incarnation)) return 'incarnation must be an integer from 0 to 2^32 - 1'
  const auth = options.auth
  if (auth !== undefined && typeof auth !== 'function' && !isJson(auth, HubLimits.authMaxBytes)) return 'auth must be plain JSON of at most 4 KiB, or a function returning it'
  return undefined
}

/**
 * The `auth` option for one join: the value, or what the function gives now (a promise
 * only when the function returns one); throws (or rejects with) `BadArgError` when that
 * is not plain JSON of at most 4 KiB.
 */
export function authFor(auth: SocketIoSignalingOptions['auth']): Json | undefined | Promise<Json | undefined> {
  const value: unknown = typeof auth === 'function' ? (auth as () => unknown)() : auth
  return isThenable(value) ? Promise.resolve(value).then(checkedAuth) : checkedAuth(value)
}

function checkedAuth(value: unknown): Json | undefined {
  if (value === undefined) return undefined
  if (!isJson(value, HubLimits.authMaxBytes)) throw new BadArgError('auth must be plain JSON of at most 4 KiB')
  return value
}

/** Options of the Socket.IO signaling (`createSocketIoSignaling` in the platform entries). */
export interface SocketIoSignalingOptions {
  /** Hub URL, or several: the client moves to the next when one is unreachable. */
  hub: string | readonly string[]
  /** Cluster to join: 1..128 characters from `A-Z a-z 0-9 _ - . : @`. */
  cluster: string
  /** This node's id (same charset); default a random UUID. */
  id?: string
  /**
   * Handed to the hub's admission (its `authorize` hook, or its JWT check): plain JSON of
   * at most 4 KiB, or a function (sync or async) returning it, called for every join and
   * re-join, so that a token can be refreshed. A hub that refuses a re-join ends the node
   * (the `hub` event tells `refused` with the hub's reason): it does not retry forever.
   */
  auth?: unknown | (() => unknown)
  /** How long the first `join()` may take before it rejects `hub_unreachable`. Default 10000. */
  joinTimeoutMs?: number
  /** How long one hub may take to answer a join. Default 5000. */
  ackTimeoutMs?: number
  /** First and longest delay between reconnection attempts (jittered, doubling). Default 100 and 1000. */
  retryDelayMs?: number
  maxRetryDelayMs?: number
  /** socket.io-client's `io`, to use another copy or a wrapper. Default: the entry's own. */
  io?: HubConnector
  /** `false`: tell the hub (and so the other members) that this node takes no relayed traffic. Default true. */
  relay?: boolean
  /** The node's incarnation (a node restarted under the same id has a new one). Default: a random one. */
  incarnation?: number
}

/** The join request of a node (`id`, its secret `key`, its incarnation `inc`), with `auth` as read for this connection. */
export function joinRequest(options: Pick<SocketIoSignalingOptions, 'cluster' | 'relay'>, id: string, key: string, inc: number, auth: Json | undefined): JoinRequest {
  return {
    v: HUB_PROTOCOL_VERSION,
    cluster: options.cluster,
    id,
    key,
    inc,
    ...(auth !== undefined ? { auth } : {}),
    ...(options.relay === false ? { relay: false as const } : {}),
  }
}

/** The member list of a join reply, with the member events that came while the join was answered (in order), without `self`. */
export function membersAfter(listed: readonly MemberInfo[], events: ReadonlyArray<readonly [kind: 'join' | 'leave', member: MemberInfo]>, self: string): MemberInfo[] {
  const members = new Map<string, MemberInfo>()
  for (const member of listed) members.set(member.id, member)
  for (const [kind, member] of events) {
    if (kind === 'join') members.set(member.id, member)
    else if (members.get(member.id)?.inc === member.inc) members.delete(member.id)
  }
  members.delete(self)
  return [...members.values()]
}
