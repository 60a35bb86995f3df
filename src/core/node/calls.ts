/**
 * `call` and `cast`, the whole life of a pending call in one place: resolve the target
 * (a pid, or a name's first pid), hand the message to a local process's mailbox or send
 * it over the target node's link; deliver calls and casts that come over a link and
 * answer them; settle a pending call on its reply, its timeout, or the loss of its link
 * (the calls waiting on a link are kept in its `PendingTable`, pending.ts).
 */
import { BadArgError, NodeDownError, NoPidError, NoProcError, OverloadedError, TimeoutError, TooLargeError, errorMessage } from '../api/errors.js'
import type { Pid } from '../api/pid.js'
import type { DistNode, ProcessContext } from '../api/types.js'
import { startTimer, type TimerHandle } from '../util/async.js'
import { copyValue, decodeValue, encodeValue, type Payload } from '../wire/codec.js'
import { callErrorFromWire, distributedToWire, thrownToCallError, thrownToWire } from '../wire/error-wire.js'
import { type CallFrame, type CastFrame, type Frame, PROTOCOL_VERSION, type ReplyFrame, type WireError } from '../wire/protocol.js'
import type { LinkedNode } from './linked-node.js'
import type { CallHost, NodeBasics } from './node-core.js'
import type { LocalProcess, Outcome } from './process.js'
import { assertTarget, assertTimeout } from './validate.js'

/** The default `call` timeout, as in GenServer.call. */
export const DEFAULT_CALL_TIMEOUT_MS = 5000

/** Resolves a call/cast target; a name means its first pid. */
function resolveTarget(node: CallHost, to: Pid | string): Pid {
  assertTarget(to)
  if (typeof to !== 'string') return to
  const pid = node.firstOf(to)
  if (pid === undefined) throw new NoPidError(`no pid is registered under "${to}"`)
  return pid
}

/** `call`, with the calling process (if any) as `from`. */
export function callFrom<R>(node: CallHost, from: Pid | undefined, to: Pid | string, msg: unknown, timeoutMs = DEFAULT_CALL_TIMEOUT_MS): Promise<R> {
  let pid: Pid
  let payload: Payload | undefined
  let linked: LinkedNode | undefined
  let process: LocalProcess | undefined
  try {
    node.assertOpen()
    assertTimeout(timeoutMs)
    pid = resolveTarget(node, to)
    if (pid.node !== node.id) {
      linked = node.linked(pid.node)
      if (linked === undefined) throw new NodeDownError(pid.node, `cannot call ${pid.toString()}: node ${pid.node} is not linked`)
      if (pid.incarnation !== linked.incarnation) throw new NoProcError(`${pid.toString()} is not alive: node ${pid.node} is another incarnation now`)
      if (!linked.link.hasRoom()) throw new OverloadedError(pid.node)
      payload = encodeValue(msg, 'msg')
    } else {
      msg = copyValue(msg, 'msg')
      process = node.localProcess(pid)
      if (process === undefined) throw new NoProcError(`${pid.toString()} is not alive`)
    }
  } catch (error) {
    return Promise.reject(error)
  }
  if (process !== undefined) return callLocal(node, process, from, msg, timeoutMs)
  const target: Pid = pid
  const remote = linked as LinkedNode
  return new Promise<R>((resolve, reject) => {
    const ref = node.nextRef()
    const frame: Frame = { v: PROTOCOL_VERSION, t: 'call', ref, to: target.id, msg: payload as Payload }
    if (from !== undefined) frame.from = [from.node, from.id]
    try {
      remote.link.send(frame) // throws too_large for a value the other side would refuse
    } catch (error) {
      return reject(error)
    }
    remote.calls.add(ref, { resolve: resolve as (value: unknown) => void, reject }, timeoutMs, () =>
      reject(new TimeoutError(`call to ${target.toString()} timed out after ${timeoutMs} ms`)),
    )
  })
}

/**
 * A call to a process of this node: the message and the reply are copies, as for another
 * node. Most local calls are answered within the turn (the mailbox is worked off in
 * microtasks), so the timeout's timer is started only for a call the process says may
 * wait (`wait`).
 */
function callLocal<R>(node: CallHost, process: LocalProcess, from: Pid | undefined, msg: unknown, timeoutMs: number): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    let settled = false
    let timer: TimerHandle | undefined
    // methods, not arrow functions: nothing to name per call
    process.post({
      kind: 'call',
      msg,
      from,
      fromNode: node.id,
      reply(outcome) {
        if (settled) return
        settled = true
        if (timer !== undefined) clearTimeout(timer)
        if (!outcome.ok) return reject(thrownToCallError(outcome.error))
        try {
          resolve(copyValue(outcome.value, 'reply') as R)
        } catch (error) {
          unsent(node, `a reply of ${process.pid.toString()}`, error)
          reject(error)
        }
      },
      wait() {
        if (settled || timer !== undefined || timeoutMs === Infinity) return
        timer = startTimer(() => {
          settled = true
          reject(new TimeoutError(`call to ${process.pid.toString()} timed out after ${timeoutMs} ms`))
        }, timeoutMs)
      },
    })
  })
}

/** A reply or an rpc result that cannot travel: the caller gets the error, and this node tells it. */
export function unsent(node: Pick<NodeBasics, 'report'>, what: string, error: unknown): void {
  node.report(undefined, `${what} was not sent: ${errorMessage(error)}`)
}

/** `cast`, with the calling process (if any) as `from`. */
export function castFrom(node: CallHost, from: Pid | undefined, to: Pid | string, msg: unknown): void {
  node.assertOpen()
  const pid = resolveTarget(node, to)
  if (pid.node === node.id) {
    const copy = copyValue(msg, 'msg')
    node.localProcess(pid)?.post({ kind: 'cast', msg: copy, from, fromNode: node.id })
    return
  }
  const payload = encodeValue(msg, 'msg')
  const linked = node.linked(pid.node)
  if (linked === undefined || linked.incarnation !== pid.incarnation) return // dropped, as for a dead process
  if (!linked.link.hasRoom()) throw new OverloadedError(pid.node)
  const frame: Frame = { v: PROTOCOL_VERSION, t: 'cast', to: pid.id, msg: payload }
  if (from !== undefined) frame.from = [from.node, from.id]
  linked.link.send(frame)
}

/** A call or cast from the linked node, for one of this node's processes. */
export function callReceived(node: CallHost, linked: LinkedNode, frame: CallFrame | CastFrame): void {
  let from: Pid | undefined
  if (frame.from !== undefined) {
    from = node.ownPid(linked, frame.from)
    if (from === undefined) {
      if (frame.t === 'call') replyError(linked, frame.ref, distributedToWire(new BadArgError('forged caller pid')))
      return
    }
  }
  // The target first: a message for a process that is not alive is never decoded.
  const process = node.processById(frame.to)
  if (process === undefined) {
    if (frame.t === 'call') replyError(linked, frame.ref, distributedToWire(new NoProcError(`<${node.id}.${frame.to}> is not alive`)))
    return
  }
  let msg: unknown
  try {
    msg = decodeValue(frame.msg, node.options)
  } catch (error) {
    node.report(linked, `undecodable ${frame.t} message: ${String(error)}`)
    if (frame.t === 'call') replyError(linked, frame.ref, distributedToWire(new BadArgError('the message could not be decoded')))
    return
  }
  // the sender is the node at the other end of the link (the id the hub bound), never a field of the message
  const fromNode = linked.id as string
  if (frame.t === 'cast') return process.post({ kind: 'cast', msg, from, fromNode })
  const ref = frame.ref
  process.post({ kind: 'call', msg, from, fromNode, reply: (outcome) => reply(node, linked, ref, outcome, process.pid) })
}

function reply(node: CallHost, linked: LinkedNode, ref: number, outcome: Outcome, pid: Pid): void {
  if (!linked.link.up) return
  if (!outcome.ok) {
    const error = outcome.error
    return replyError(linked, ref, error instanceof NoProcError || error instanceof OverloadedError ? distributedToWire(error) : thrownToWire(error))
  }
  let value: Payload
  try {
    value = encodeValue(outcome.value, 'reply')
  } catch (error) {
    unsent(node, `a reply of ${pid.toString()}`, error)
    return replyError(linked, ref, distributedToWire(error as BadArgError))
  }
  try {
    linked.link.answer({ v: PROTOCOL_VERSION, t: 'reply', ref, ok: true, value })
  } catch (error) {
    // too large for the caller: it gets that error instead
    replyError(linked, ref, error instanceof TooLargeError ? distributedToWire(error) : thrownToWire(error))
  }
}

function replyError(linked: LinkedNode, ref: number, error: WireError): void {
  linked.link.answer({ v: PROTOCOL_VERSION, t: 'reply', ref, ok: false, error })
}

/** The answer to one of this node's calls arrived. */
export function replyReceived(node: CallHost, linked: LinkedNode, frame: ReplyFrame): void {
  const call = linked.calls.take(frame.ref)
  if (call === undefined) return // a late reply to a call that timed out
  if (!frame.ok) return call.reject(callErrorFromWire(frame.error, linked.id as string))
  let value: unknown
  try {
    value = decodeValue(frame.value, node.options)
  } catch (error) {
    node.report(linked, `undecodable reply: ${String(error)}`)
    return call.reject(new BadArgError('the reply could not be decoded'))
  }
  call.resolve(value)
}

/** A link dropped: every call waiting on it fails with `error` (nodedown, or closed when this node is closing). */
export function callsLost(linked: LinkedNode, error: () => Error): void {
  linked.calls.failAll(error)
}

/** What a handler gets as `ctx`: one small object per message, methods shared. */
export class Context implements ProcessContext {
  readonly from?: Pid
  readonly #host: CallHost
  /**
   * @param host what `ctx.call` and `ctx.cast` send through
   * @param node the node as the handler sees it (`ctx.node`)
   */
  constructor(
    host: CallHost,
    readonly node: DistNode,
    readonly self: Pid,
    from: Pid | undefined,
    readonly fromNode: string,
  ) {
    this.#host = host
    if (from !== undefined) this.from = from
  }

  register(name: string): void {
    this.node.register(name, this.self)
  }

  call<R = unknown>(to: Pid | string, msg: unknown, timeoutMs?: number): Promise<R> {
    return callFrom<R>(this.#host, this.self, to, msg, timeoutMs)
  }

  cast(to: Pid | string, msg: unknown): void {
    castFrom(this.#host, this.self, to, msg)
  }
}
