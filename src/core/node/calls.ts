/**
 * `call` and `cast`: resolve the target (a pid, or a name's first pid), then hand the
 * message to a local process's mailbox or send it over the target node's link.
 */
import { encodeValue, type Payload } from '../wire/codec.js'
import { BadArgError, NodeDownError, NoPidError, NoProcError, OverloadedError, TimeoutError } from '../api/errors.js'
import { thrownToCallError } from '../wire/error-wire.js'
import type { NodeRuntime } from './node.js'
import type { PeerState } from './linked-node.js'
import type { Pid } from '../api/pid.js'
import type { ProcessContext } from './process.js'
import { type Frame, PROTOCOL_VERSION } from '../wire/protocol.js'
import { startTimer } from '../util/async.js'
import { assertTarget, assertTimeout } from './validate.js'

/** The default `call` timeout, as in GenServer.call. */
export const DEFAULT_CALL_TIMEOUT_MS = 5000

/** Resolves a call/cast target; a name means its first pid. */
function resolveTarget(node: NodeRuntime, to: Pid | string): Pid {
  assertTarget(to)
  if (typeof to !== 'string') return to
  const pid = node.registryReplica.first(to)
  if (pid === undefined) throw new NoPidError(`no pid is registered under "${to}"`)
  return pid
}

/** `call`, with the calling process (if any) as `from`. */
export function callFrom<R>(node: NodeRuntime, from: Pid | undefined, to: Pid | string, msg: unknown, timeoutMs = DEFAULT_CALL_TIMEOUT_MS): Promise<R> {
  let pid: Pid
  let payload: Payload | undefined
  let peer: PeerState | undefined
  try {
    node.assertOpen()
    assertTimeout(timeoutMs)
    pid = resolveTarget(node, to)
    if (pid.node !== node.id) {
      peer = node.linked(pid.node)
      if (peer === undefined) throw new NodeDownError(pid.node, `cannot call ${pid.toString()}: node ${pid.node} is not linked`)
      if (pid.incarnation !== peer.incarnation) throw new NoProcError(`${pid.toString()} is not alive: node ${pid.node} is another incarnation now`)
      if (!peer.link.hasRoom()) throw new OverloadedError(pid.node)
      payload = encodeOrThrow(msg)
    } else if (node.localProcess(pid) === undefined) throw new NoProcError(`${pid.toString()} is not alive`)
  } catch (error) {
    return Promise.reject(error)
  }
  const target: Pid = pid
  return new Promise<R>((resolve, reject) => {
    const ref = node.nextRef()
    let settled = false
    const timer =
      timeoutMs === Infinity
        ? undefined
        : startTimer(() => {
            if (peer !== undefined) peer.calls.delete(ref)
            else settled = true
            reject(new TimeoutError(`call to ${target.toString()} timed out after ${timeoutMs} ms`))
          }, timeoutMs)
    if (peer !== undefined && payload !== undefined) {
      const frame: Frame = { v: PROTOCOL_VERSION, t: 'call', ref, to: target.id, msg: payload }
      if (from !== undefined) frame.from = [from.node, from.id]
      try {
        peer.link.send(frame) // throws too_large for a value the other side would refuse
      } catch (error) {
        if (timer !== undefined) clearTimeout(timer)
        return reject(error)
      }
      peer.calls.set(ref, { resolve: resolve as (v: unknown) => void, reject, timer })
      return
    }
    const process = node.localProcess(target)
    if (process === undefined) return reject(new NoProcError(`${target.toString()} is not alive`))
    process.post({
      kind: 'call',
      msg,
      from,
      reply: (outcome) => {
        if (settled) return
        settled = true
        if (timer !== undefined) clearTimeout(timer)
        if (outcome.ok) resolve(outcome.value as R)
        else reject(thrownToCallError(outcome.error))
      },
    })
  })
}

/** `cast`, with the calling process (if any) as `from`. */
export function castFrom(node: NodeRuntime, from: Pid | undefined, to: Pid | string, msg: unknown): void {
  node.assertOpen()
  const pid = resolveTarget(node, to)
  if (pid.node === node.id) {
    node.localProcess(pid)?.post({ kind: 'cast', msg, from })
    return
  }
  const payload = encodeOrThrow(msg)
  const peer = node.linked(pid.node)
  if (peer === undefined || peer.incarnation !== pid.incarnation) return // dropped, as for a dead process
  if (!peer.link.hasRoom()) throw new OverloadedError(pid.node)
  const frame: Frame = { v: PROTOCOL_VERSION, t: 'cast', to: pid.id, msg: payload }
  if (from !== undefined) frame.from = [from.node, from.id]
  peer.link.send(frame)
}

/** What a handler gets as `ctx`: one small object per message, methods shared. */
export class Context implements ProcessContext {
  readonly from?: Pid
  constructor(
    readonly node: NodeRuntime,
    readonly self: Pid,
    from: Pid | undefined,
  ) {
    if (from !== undefined) this.from = from
  }

  register(name: string): void {
    this.node.register(name, this.self)
  }

  call<R = unknown>(to: Pid | string, msg: unknown, timeoutMs?: number): Promise<R> {
    return this.node.callFrom<R>(this.self, to, msg, timeoutMs)
  }

  cast(to: Pid | string, msg: unknown): void {
    this.node.castFrom(this.self, to, msg)
  }
}

function encodeOrThrow(value: unknown): Payload {
  try {
    return encodeValue(value)
  } catch (error) {
    throw new BadArgError(`message cannot be encoded: ${error instanceof Error ? error.message : String(error)}`)
  }
}
