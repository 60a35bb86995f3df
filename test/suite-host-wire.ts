/**
 * What test/remote-nodes.ts (the driver) and test/fixtures/suite-host.ts (a process hosting
 * nodes) say to each other. See test/remote-nodes.ts for the whole picture.
 */
import { decodeValue, encodeValue, type NodeEvents, type Payload, type Pid } from '../src/core/index.js'

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
  | { op: 'cancel'; fn: number }
  | { op: 'ctx'; self: Pid; method: 'cast'; args: unknown[] }
  | { op: 'ctx'; opId: number; self: Pid; method: 'call'; args: unknown[] }
  | { op: 'peer'; opId: number; node: string; link: number; initiator: boolean }
  | { op: 'signal'; link: number; data: unknown }
  | { op: 'resolve'; inv: number; ok: boolean; value?: unknown; error?: WireFailure }

type WithoutOpId<T> = T extends unknown ? Omit<T, 'opId'> : never
/** A request starting an operation the host settles later, before its `opId` is set. */
export type StartRequest = WithoutOpId<Extract<HostRequest, { opId: number }>>

/** Messages to the driver (IPC). */
export type HostMessage =
  | { t: 'ready' }
  | { t: 'settle'; opId: number; ok: boolean; value?: unknown; error?: WireFailure }
  | { t: 'invoke'; inv: number; fn: number; args: unknown[]; self?: { caller: Pid | undefined; callerNode: string } }
  | { t: 'event'; fn: number; args: unknown[] }
  | { t: 'signal'; link: number; data: unknown }

export const SYNC_METHODS = ['nodes', 'stop', 'isAlive', 'register', 'unregister', 'allPidsOf', 'allNodesOf', 'pidOf', 'registry', 'cast'] as const
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

/** Frames on the FIFOs: a 4-byte big-endian length, then the encoded value as JSON. */
export function frame(value: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(encodeValue(value)))
  const out = Buffer.allocUnsafe(4 + body.length)
  out.writeUInt32BE(body.length, 0)
  body.copy(out, 4)
  return out
}

export function unframe(body: Buffer): unknown {
  return decodeValue(JSON.parse(body.toString('utf8')) as Payload)
}
