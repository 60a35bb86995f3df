/**
 * What test/support/remote-nodes.ts (the driver) and test/fixtures/suite-host.ts (a process hosting
 * nodes) say to each other. See test/support/remote-nodes.ts for the whole picture.
 */
import { ATTACHMENTS } from '../../src/core/wire/codec.js'
import { decodeValue, encodeValue, type NodeEvents, type Payload, type Pid } from '../../src/core/index.js'

export interface WireFailure {
  readonly name: string
  readonly message: string
  readonly code?: string
  readonly reason?: string
  readonly node?: string
  readonly remoteName?: string
}

/** Requests from the driver (request FIFO). `fn` numbers name functions kept by the driver. */
export type HostRequest =
  | { op: 'create'; id: string }
  | { op: 'sync'; node: string; method: SyncMethod; args: unknown[] }
  | { op: 'start'; opId: number; node: string; method: AsyncMethod; args: unknown[]; callback?: number }
  | { op: 'spawn'; node: string; call?: number; cast?: number; terminate?: number }
  | { op: 'expose'; node: string; mod: string; fns: Record<string, number> }
  | { op: 'monitor'; node: string; pid: Pid; fn: number }
  | { op: 'on'; node: string; event: keyof NodeEvents; fn: number }
  | { op: 'watch'; node: string; name?: string; fn: number }
  | { op: 'cancel'; fn: number }
  | { op: 'ctx'; self: Pid; method: 'cast'; args: unknown[] }
  | { op: 'ctx'; opId: number; self: Pid; method: 'call'; args: unknown[] }
  | { op: 'peer'; opId: number; node: string; link: number; initiator: boolean }
  | { op: 'signal'; link: number; data: unknown }
  | { op: 'drop'; link: number }
  | { op: 'resolve'; inv: number; ok: boolean; value?: unknown; error?: WireFailure }
  | { op: 'drain' }

type WithoutOpId<T> = T extends unknown ? Omit<T, 'opId'> : never
/** A request starting an operation the host settles later, before its `opId` is set. */
export type StartRequest = WithoutOpId<Extract<HostRequest, { opId: number }>>

/** Messages to the driver (IPC). */
/**
 * What a host reports, in the order it happened. Reports ride on the responses to the
 * driver's requests (`HostResponse.reports`); when there is no request coming, a `poke`
 * over IPC makes the driver ask (`drain`). One ordered path: a report made before a
 * response is handled before that response's value is used, as a local node's events
 * fire before its method returns.
 */
export type HostMessage =
  | { t: 'settle'; opId: number; ok: boolean; value?: unknown; error?: WireFailure }
  | { t: 'invoke'; inv: number; fn: number; args: unknown[]; self?: { caller: Pid | undefined; callerNode: string } }
  | { t: 'event'; fn: number; args: unknown[] }
  | { t: 'signal'; link: number; data: unknown }

export type HostResponse = ({ ok: true; value: unknown } | { ok: false; error: WireFailure }) & { reports: HostMessage[] }

export const SYNC_METHODS = ['nodes', 'links', 'claimsOf', 'stop', 'isAlive', 'register', 'unregister', 'allPidsOf', 'allNodesOf', 'pidOf', 'registry', 'cast'] as const
export type SyncMethod = (typeof SYNC_METHODS)[number]
export type AsyncMethod = 'call' | 'doNodeRpc' | 'nodeRpc' | 'close'

/** Any thrown value as plain data, keeping what the library's error classes carry. */
export function failureOf(error: unknown): WireFailure {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) }
  const extra = error as Error & { code?: unknown; reason?: unknown; node?: unknown; remoteName?: unknown }
  return {
    name: error.name,
    message: error.message,
    ...(typeof extra.code === 'string' ? { code: extra.code } : {}),
    ...(typeof extra.reason === 'string' ? { reason: extra.reason } : {}),
    ...(typeof extra.node === 'string' ? { node: extra.node } : {}),
    ...(typeof extra.remoteName === 'string' ? { remoteName: extra.remoteName } : {}),
  }
}

/**
 * A value as plain JSON-able data, for the FIFOs and the IPC channel: the library's own
 * payload encoding, its attachments beside it (byte arrays in base64, long strings as
 * they are).
 */
export function toWire(value: unknown): WirePayload {
  const payload = encodeValue(value)
  const attachments = payload[ATTACHMENTS]
  return attachments ? { ...payload, attached: attachments.map((item) => (typeof item === 'string' ? { text: item } : { base64: Buffer.from(item).toString('base64') })) } : payload
}

export function fromWire(wire: WirePayload): unknown {
  const { attached, ...payload } = wire
  if (attached) (payload as Payload)[ATTACHMENTS] = attached.map((item) => ('text' in item ? item.text : new Uint8Array(Buffer.from(item.base64, 'base64'))))
  return decodeValue(payload)
}

export type WirePayload = Payload & { attached?: Array<{ text: string } | { base64: string }> }

/** Frames on the FIFOs: a 4-byte big-endian length, then the value's `toWire` form as JSON. */
export function frame(value: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(toWire(value)))
  const out = Buffer.allocUnsafe(4 + body.length)
  out.writeUInt32BE(body.length, 0)
  body.copy(out, 4)
  return out
}

export function unframe(body: Buffer): unknown {
  return fromWire(JSON.parse(body.toString('utf8')) as WirePayload)
}
