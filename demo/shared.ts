/**
 * What the demo's tabs and its Node worker agree on: registered names, the messages they
 * exchange, and parsers for them. Messages arrive from other nodes, so every handler
 * parses what it gets into one of these types or drops it.
 *
 * This file imports nothing, so both the browser bundle and the Node worker can use it.
 */

/** Registered names. Every node joins `presence`; tabs join `chat` and `counter:view`. */
export const Names = {
  /** One process per node: answers `profile` and `ping` calls. */
  presence: 'presence',
  /** The worker's counter process. */
  counter: 'counter',
  /** Every tab's counter display; the worker casts each new value to all of them. */
  counterView: 'counter:view',
  /** Every tab's chat inbox; a tab casts a message to all of them (tab to tab only). */
  chat: 'chat',
  /** Every tab's inbox for rpc progress reports sent by the worker. */
  rpcEvents: 'rpc:events',
} as const

/**
 * Who is who: the demo's hub (demo/hub.ts) admits every member with a role, stamped on it
 * as its claims (`node.claimsOf(id)`): `server` for the Node worker, which joins with the
 * run's server key, `player` for every tab.
 */
export type Role = 'server' | 'player'

/** The role the hub stamped on a member, from its claims. */
export function roleOf(claims: unknown): Role | undefined {
  const role = isRecord(claims) ? claims.role : undefined
  return role === 'server' || role === 'player' ? role : undefined
}

/** Names only a member admitted as the server may hold: a tab cannot take the counter. */
const SERVER_NAMES: ReadonlySet<string> = new Set([Names.counter])

/**
 * Every node's `acceptRegistration`: a registration of a server-only name is taken from
 * the server alone; a tab that registers `counter` is never called by anyone.
 */
export function acceptRegistration(name: string, _node: string, claims: unknown): boolean {
  return !SERVER_NAMES.has(name) || roleOf(claims) === 'server'
}

/** rpc modules the worker exposes. */
export const Modules = {
  /** `square(n, replyTo)`: the rpc shown step by step in the demo. */
  demo: 'Demo',
  /** Lets a tab make the worker call or cast any pid (used by the end-to-end tests). */
  probe: 'Probe',
} as const

export const DEFAULT_CLUSTER = 'demo'
export const DEFAULT_HUB_PORT = 8080
export const WORKER_ID = 'worker'

export type NodeKind = 'tab' | 'node'

export interface Profile {
  readonly id: string
  readonly kind: NodeKind
  /** When the node started, ms since the epoch. */
  readonly since: number
}

export type PresenceCall = { readonly type: 'profile' } | { readonly type: 'ping' }
/** A call to the counter; who sent it comes from the link (`ctx.fromNode`), never from the message. */
export type CounterCall = { readonly type: 'get' } | { readonly type: 'add'; readonly by: number }

export interface CounterUpdate {
  readonly type: 'counter'
  readonly value: number
  readonly by: number
  readonly from: string
}

/** A chat message; its sender comes from the link (`ctx.fromNode`), not from the message. */
export interface ChatMessage {
  readonly type: 'chat'
  readonly text: string
  readonly at: number
}

/** The worker's report that it saw the rpc process of a `Demo.square` call end. */
export interface RpcExitSeen {
  readonly type: 'rpc-exit'
  readonly tag: string
  readonly rpcPid: string
  readonly reason: string
}

export const CHAT_MAX_CHARS = 500
const MAX_COUNTER_STEP = 1000

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const isShortString = (value: unknown, max = 200): value is string => typeof value === 'string' && value.length > 0 && value.length <= max
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

export function parsePresenceCall(msg: unknown): PresenceCall | null {
  if (!isRecord(msg)) return null
  if (msg.type === 'profile') return { type: 'profile' }
  if (msg.type === 'ping') return { type: 'ping' }
  return null
}

export function parseProfile(msg: unknown): Profile | null {
  if (!isRecord(msg) || !isShortString(msg.id) || !isFiniteNumber(msg.since)) return null
  if (msg.kind !== 'tab' && msg.kind !== 'node') return null
  return { id: msg.id, kind: msg.kind, since: msg.since }
}

export function parseCounterCall(msg: unknown): CounterCall | null {
  if (!isRecord(msg)) return null
  if (msg.type === 'get') return { type: 'get' }
  if (msg.type === 'add' && Number.isInteger(msg.by)) {
    const by = Number(msg.by)
    if (Math.abs(by) <= MAX_COUNTER_STEP) return { type: 'add', by }
  }
  return null
}

export function parseCounterUpdate(msg: unknown): CounterUpdate | null {
  if (!isRecord(msg) || msg.type !== 'counter') return null
  if (!Number.isSafeInteger(msg.value) || !Number.isInteger(msg.by) || !isShortString(msg.from)) return null
  return { type: 'counter', value: Number(msg.value), by: Number(msg.by), from: msg.from }
}

export function parseChatMessage(msg: unknown): ChatMessage | null {
  if (!isRecord(msg) || msg.type !== 'chat') return null
  if (!isShortString(msg.text, CHAT_MAX_CHARS) || !isFiniteNumber(msg.at)) return null
  return { type: 'chat', text: msg.text, at: msg.at }
}

export function parseRpcExitSeen(msg: unknown): RpcExitSeen | null {
  if (!isRecord(msg) || msg.type !== 'rpc-exit') return null
  if (!isShortString(msg.tag) || !isShortString(msg.rpcPid) || !isShortString(msg.reason)) return null
  return { type: 'rpc-exit', tag: msg.tag, rpcPid: msg.rpcPid, reason: msg.reason }
}

/** A stable colour per node id, so a node looks the same in every tab. */
export function colorOf(id: string): string {
  let hash = 0
  for (let i = 0; i < id.length; i++) hash = (Math.imul(hash, 31) + id.charCodeAt(i)) >>> 0
  return `hsl(${hash % 360} 65% 45%)`
}
