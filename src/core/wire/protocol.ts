/**
 * The node-to-node wire protocol: every frame is one member of the `Frame` union below,
 * with `v: PROTOCOL_VERSION`. A channel message carries one frame as JSON text, or a
 * JSON array of frames (frames coalesced in one tick). `parseFrame` turns untrusted input
 * into a `Frame` or a reason to drop it; nothing else in the core reads wire data.
 * PROTOCOL.md describes the same format in prose.
 */
import { isPayload, type Payload } from './codec.js'
import { isIncarnation } from '../api/pid.js'

export const PROTOCOL_VERSION = 2 as const

/** A pid of the sender on the wire: `[node, id]`; its incarnation is the sender's, from its hello. */
export type WirePid = [node: string, id: number]

/** An error on the wire. `reason` is set for `badrpc`. */
export interface WireError {
  code: string
  name: string
  message: string
  reason?: string
}

type V = { v: typeof PROTOCOL_VERSION }

/** `inc`: the sender's incarnation; every pid of the sender named on this link belongs to it. */
export type HelloFrame = V & { t: 'hello'; node: string; inc: number }
export type ByeFrame = V & { t: 'bye'; reason: string }
/** The sender's own memberships: `[name, [pidId, ...]]`, pids in the sender's join order. */
export type SyncFrame = V & { t: 'sync'; names: Array<[string, number[]]> }
export type JoinFrame = V & { t: 'join'; name: string; pid: WirePid }
export type LeaveFrame = V & { t: 'leave'; name: string; pid: WirePid }
export type CallFrame = V & { t: 'call'; ref: number; to: number; from?: WirePid; msg: Payload }
export type ReplyFrame = V & { t: 'reply'; ref: number } & ({ ok: true; value: Payload } | { ok: false; error: WireError })
export type CastFrame = V & { t: 'cast'; to: number; from?: WirePid; msg: Payload }
export type MonitorFrame = V & { t: 'mon'; ref: number; pid: number }
export type DemonitorFrame = V & { t: 'demon'; ref: number }
export type DownFrame = V & { t: 'down'; ref: number; reason: string }
export type RpcFrame = V & { t: 'rpc'; ref: number; mod: string; fn: string; args: Payload }
export type RpcResultFrame = V & { t: 'rpc-ok'; ref: number; pid: number; value: Payload }
export type RpcErrorFrame = V & { t: 'rpc-err'; ref: number; error: WireError }
export type RpcDoneFrame = V & { t: 'rpc-done'; ref: number }
export type PingFrame = V & { t: 'ping' }

export type Frame =
  | HelloFrame
  | ByeFrame
  | SyncFrame
  | JoinFrame
  | LeaveFrame
  | CallFrame
  | ReplyFrame
  | CastFrame
  | MonitorFrame
  | DemonitorFrame
  | DownFrame
  | RpcFrame
  | RpcResultFrame
  | RpcErrorFrame
  | RpcDoneFrame
  | PingFrame

/**
 * The frames that are application messages (calls, casts, their replies, rpc), as opposed
 * to the link's own (handshake, registry, monitors, heartbeat): the ones a link tells its
 * channel of (`Channel.used`), which decides which pairs are busy enough to go direct.
 */
export const APPLICATION_FRAMES: ReadonlySet<Frame['t']> = new Set<Frame['t']>(['call', 'reply', 'cast', 'rpc', 'rpc-ok', 'rpc-err', 'rpc-done'])

/** The one payload a frame carries, if any (a call's or cast's message, a value, rpc args). */
export function payloadOf(frame: Frame): Payload | undefined {
  switch (frame.t) {
    case 'call':
    case 'cast':
      return frame.msg
    case 'reply':
      return frame.ok ? frame.value : undefined
    case 'rpc-ok':
      return frame.value
    case 'rpc':
      return frame.args
    default:
      return undefined
  }
}

/** Longest name, node id, module or function name accepted from a peer. */
export const MAX_NAME_LENGTH = 1024
/** Longest reason or error text accepted from a peer. */
export const MAX_TEXT_LENGTH = 8192

/** The result of parsing: a frame, or why the input was dropped. */
export type ParseResult = { ok: true; frame: Frame } | { ok: false; error: string }

type Obj = Record<string, unknown>

const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x)
const isRef = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0
const isName = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= MAX_NAME_LENGTH
const isText = (x: unknown): x is string => typeof x === 'string' && x.length <= MAX_TEXT_LENGTH

function wirePid(x: unknown): WirePid | null {
  if (!Array.isArray(x) || x.length !== 2) return null
  const [node, id] = x as unknown[]
  return isName(node) && isRef(id) ? [node, id] : null
}

function wireError(x: unknown): WireError | null {
  if (!isObj(x)) return null
  const { code, name, message, reason } = x
  if (!isName(code) || !isName(name) || !isText(message)) return null
  if (reason === undefined) return { code, name, message }
  return isText(reason) ? { code, name, message, reason } : null
}

function syncNames(x: unknown): Array<[string, number[]]> | null {
  if (!Array.isArray(x)) return null
  const out: Array<[string, number[]]> = []
  for (const entry of x as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2) return null
    const [name, ids] = entry as unknown[]
    if (!isName(name) || !Array.isArray(ids) || ids.length === 0) return null
    if (!(ids as unknown[]).every(isRef)) return null
    out.push([name, ids as number[]])
  }
  return out
}

const fail = (error: string): ParseResult => ({ ok: false, error })
const ok = (frame: Frame): ParseResult => ({ ok: true, frame })

const v: typeof PROTOCOL_VERSION = PROTOCOL_VERSION

/** A call's or cast's `from`, when it names one: the pid, undefined for none, null for a bad one. */
function fromOf(x: Obj): WirePid | undefined | null {
  return x.from === undefined ? undefined : wirePid(x.from)
}

// A call and a cast each have their own parser (not one for both): what each sees stays
// one kind of input. Plain literals, no spreads: these are the hot path of every message.
function parseCall(x: Obj): ParseResult {
  if (!isRef(x.ref) || !isRef(x.to) || !isPayload(x.msg)) return fail('call: bad fields')
  const from = fromOf(x)
  if (from === null) return fail('call: bad from')
  const frame: CallFrame = { v, t: 'call', ref: x.ref, to: x.to, msg: x.msg }
  if (from !== undefined) frame.from = from
  return ok(frame)
}

function parseCast(x: Obj): ParseResult {
  if (!isRef(x.to) || !isPayload(x.msg)) return fail('cast: bad fields')
  const from = fromOf(x)
  if (from === null) return fail('cast: bad from')
  const frame: CastFrame = { v, t: 'cast', to: x.to, msg: x.msg }
  if (from !== undefined) frame.from = from
  return ok(frame)
}

function joinOrLeave(x: Obj, t: 'join' | 'leave'): ParseResult {
  const pid = wirePid(x.pid)
  if (!isName(x.name) || pid === null) return fail(`${t}: bad name or pid`)
  return ok({ v, t, name: x.name, pid })
}

function refOnly(x: Obj, t: 'demon' | 'rpc-done'): ParseResult {
  return isRef(x.ref) ? ok({ v, t, ref: x.ref }) : fail(`${t}: bad ref`)
}

/**
 * One parser per frame type, each small and seeing one kind of input: a frame type the
 * optimiser has not met yet (a cast after thousands of calls, a monitor) reaches a parser
 * of its own instead of sending the one every call runs through back to the interpreter.
 */
const PARSER_TABLE: { readonly [T in Frame['t']]: (x: Obj) => ParseResult } = {
  hello: (x) => (isName(x.node) && isIncarnation(x.inc) ? ok({ v, t: 'hello', node: x.node, inc: x.inc }) : fail('hello: bad node id or incarnation')),
  bye: (x) => (isText(x.reason) ? ok({ v, t: 'bye', reason: x.reason }) : fail('bye: bad reason')),
  ping: () => ok({ v, t: 'ping' }),
  sync: (x) => {
    const names = syncNames(x.names)
    return names ? ok({ v, t: 'sync', names }) : fail('sync: bad names')
  },
  join: (x) => joinOrLeave(x, 'join'),
  leave: (x) => joinOrLeave(x, 'leave'),
  call: parseCall,
  cast: parseCast,
  reply: (x) => {
    if (!isRef(x.ref)) return fail('reply: bad ref')
    if (x.ok === true) return isPayload(x.value) ? ok({ v, t: 'reply', ref: x.ref, ok: true, value: x.value }) : fail('reply: bad value')
    const error = x.ok === false ? wireError(x.error) : null
    return error ? ok({ v, t: 'reply', ref: x.ref, ok: false, error }) : fail('reply: bad error')
  },
  mon: (x) => (isRef(x.ref) && isRef(x.pid) ? ok({ v, t: 'mon', ref: x.ref, pid: x.pid }) : fail('mon: bad fields')),
  demon: (x) => refOnly(x, 'demon'),
  'rpc-done': (x) => refOnly(x, 'rpc-done'),
  down: (x) => (isRef(x.ref) && isText(x.reason) ? ok({ v, t: 'down', ref: x.ref, reason: x.reason }) : fail('down: bad fields')),
  rpc: (x) => {
    if (!isRef(x.ref) || !isName(x.mod) || !isName(x.fn) || !isPayload(x.args)) return fail('rpc: bad fields')
    return ok({ v, t: 'rpc', ref: x.ref, mod: x.mod, fn: x.fn, args: x.args })
  },
  'rpc-ok': (x) => {
    if (!isRef(x.ref) || !isRef(x.pid) || !isPayload(x.value)) return fail('rpc-ok: bad fields')
    return ok({ v, t: 'rpc-ok', ref: x.ref, pid: x.pid, value: x.value })
  },
  'rpc-err': (x) => {
    const error = wireError(x.error)
    return isRef(x.ref) && error ? ok({ v, t: 'rpc-err', ref: x.ref, error }) : fail('rpc-err: bad fields')
  },
}
/** The same by type, for a lookup that no key of a hostile frame (`__proto__`, `constructor`) can fool. */
const PARSERS: ReadonlyMap<string, (x: Obj) => ParseResult> = new Map(Object.entries(PARSER_TABLE))

/** Parses one decoded JSON value (untrusted) into a frame. */
export function parseFrame(x: unknown): ParseResult {
  if (!isObj(x)) return fail('frame is not an object')
  if (x.v !== PROTOCOL_VERSION) return fail(`unsupported protocol version ${String(x.v)}`)
  const t = x.t
  const parser = typeof t === 'string' ? PARSERS.get(t) : undefined
  if (parser === undefined) return fail(`unknown frame type ${typeof t === 'string' ? JSON.stringify(t.slice(0, 32)) : typeof t}`)
  return parser(x)
}
