/**
 * rpc with a callback, after the seed's `do_node_rpc`: the target runs `mod.fn(...args)`
 * inside a short-lived rpc process whose pid the function sees as `this.caller` (and may
 * monitor); the caller's callback runs with the result while that process is alive; only
 * when the callback has returned does the caller send `rpc-done`, and the target stops
 * the process (so the target's monitors fire after the callback). A local rpc runs the
 * function directly, with no intermediate process, as in the seed.
 */
import { copyValue, decodeValue, encodeValue, type Payload } from '../wire/codec.js'
import { describeThrown, rpcErrorFromWire } from '../wire/error-wire.js'
import { BadArgError, BadRpcError, ClosedError, errorMessage, OverloadedError, toError } from '../api/errors.js'
import { unsent } from './calls.js'
import type { RpcHandlers, RpcHost } from './node-core.js'
import type { LinkedNode, RpcProcess } from './linked-node.js'
import { Pid } from '../api/pid.js'
import { PROTOCOL_VERSION, type RpcErrorFrame, type RpcFrame, type RpcResultFrame } from '../wire/protocol.js'
import { isThenable, startTimer } from '../util/async.js'
import type { RpcCallback, RpcContext, RpcFunction, RpcOptions } from '../api/types.js'
import { assertArray, assertFunction, assertName, assertOptionalCallback, assertTimeout, describe } from './validate.js'

export const DEFAULT_RPC_TIMEOUT_MS = 5000

export class RpcService implements RpcHandlers {
  readonly #modules = new Map<string, Map<string, RpcFunction>>()

  readonly #node: RpcHost

  constructor(node: RpcHost) {
    this.#node = node
  }

  expose(mod: string, fns: Record<string, RpcFunction>): void {
    assertName(mod, 'module name')
    if (typeof fns !== 'object' || fns === null || Array.isArray(fns)) throw new BadArgError(`fns must be an object of functions, got ${describe(fns)}`)
    const entries = Object.entries(fns)
    for (const [name, fn] of entries) {
      assertName(name, 'function name')
      assertFunction(fn, `${mod}.${name}`)
    }
    const table = this.#modules.get(mod) ?? new Map<string, RpcFunction>()
    for (const [name, fn] of entries) table.set(name, fn)
    this.#modules.set(mod, table)
  }

  #lookup(mod: string, fn: string): RpcFunction | undefined {
    return this.#modules.get(mod)?.get(fn)
  }

  async call<R>(target: string, mod: string, fn: string, args: unknown[], callback?: RpcCallback<R>, options: RpcOptions = {}): Promise<R> {
    assertName(target, 'node')
    assertName(mod, 'module name')
    assertName(fn, 'function name')
    assertArray(args, 'args')
    assertOptionalCallback(callback)
    if (typeof options !== 'object' || options === null) throw new BadArgError(`options must be an object, got ${describe(options)}`)
    const timeoutMs = options.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS
    assertTimeout(timeoutMs)
    if (this.#node.closed) throw new ClosedError(`node ${this.#node.id} is closed`)
    if (target === this.#node.id) return this.#callLocal<R>(mod, fn, args, callback)
    const linked = this.#node.linked(target)
    if (linked === undefined) throw new BadRpcError('nodedown', `badrpc: node ${target} is not linked`)
    if (!linked.link.hasRoom()) throw new OverloadedError(target)
    const payload = encodeValue(args, 'args')
    const ref = this.#node.nextRef()
    const result = await new Promise<unknown>((resolve, reject) => {
      try {
        linked.link.send({ v: PROTOCOL_VERSION, t: 'rpc', ref, mod, fn, args: payload }) // throws too_large for oversized args
      } catch (error) {
        return reject(error)
      }
      linked.rpcsOut.add(ref, { resolve, reject, callback: callback as RpcCallback<unknown> }, timeoutMs, () => {
        linked.link.send({ v: PROTOCOL_VERSION, t: 'rpc-done', ref })
        reject(new BadRpcError('timeout', `badrpc: ${mod}.${fn} on ${target} gave no result within ${timeoutMs} ms`))
      })
    })
    return result as R
  }

  /** A local rpc: the arguments and the result are copies, as for another node. */
  async #callLocal<R>(mod: string, fn: string, args: unknown[], callback: RpcCallback<R>): Promise<R> {
    args = copyValue(args, 'args') as unknown[]
    const f = this.#lookup(mod, fn)
    if (f === undefined) throw new BadRpcError('undef', `badrpc: undef ${mod}.${fn}`)
    const context: RpcContext = { caller: undefined, callerNode: this.#node.id, fromNode: this.#node.id, node: this.#node.public }
    let result: unknown
    try {
      result = f.apply(context, args)
      if (isThenable(result)) result = await result
    } catch (error) {
      const { name, message } = describeThrown(error)
      throw new BadRpcError(message, `badrpc: ${name}: ${message}`, { cause: error })
    }
    try {
      result = copyValue(result, 'result')
    } catch (error) {
      unsent(this.#node, `a result of ${mod}.${fn}`, error)
      throw new BadRpcError('badarg', errorMessage(error), { cause: error })
    }
    if (typeof callback === 'function') {
      const back = callback(result as R, undefined)
      if (isThenable(back)) await back
    }
    return result as R
  }

  /** The caller's side: a result or an error came back. */
  answered(linked: LinkedNode, frame: RpcResultFrame | RpcErrorFrame): void {
    const pending = linked.rpcsOut.take(frame.ref)
    if (pending === undefined) return // timed out meanwhile; rpc-done was sent then
    const done = (): void => linked.link.send({ v: PROTOCOL_VERSION, t: 'rpc-done', ref: frame.ref })
    if (frame.t === 'rpc-err') return pending.reject(rpcErrorFromWire(frame.error))
    let value: unknown
    try {
      value = decodeValue(frame.value, this.#node.options)
    } catch (error) {
      done()
      this.#node.report(linked, `undecodable rpc result: ${String(error)}`)
      return pending.reject(new BadRpcError('badarg', 'badrpc: the result could not be decoded'))
    }
    const callback = pending.callback
    if (typeof callback !== 'function') {
      done()
      return pending.resolve(value)
    }
    const rpcPid = new Pid(linked.link.remote as string, frame.pid, linked.incarnation)
    let back: unknown
    try {
      back = callback(value, rpcPid)
    } catch (error) {
      done()
      return pending.reject(toError(error))
    }
    if (!isThenable(back)) {
      done()
      return pending.resolve(value)
    }
    back.then(
      () => {
        done()
        pending.resolve(value)
      },
      (error: unknown) => {
        done()
        pending.reject(toError(error))
      },
    )
  }

  /** The target's side: run the function in a fresh rpc process. */
  incoming(linked: LinkedNode, frame: RpcFrame): void {
    const ref = frame.ref
    const fail = (reason: string, name: string, message: string): void =>
      void linked.link.answer({ v: PROTOCOL_VERSION, t: 'rpc-err', ref, error: { code: 'badrpc', name, message, reason } })
    if (linked.rpcsIn.has(ref)) return this.#node.report(linked, `duplicate rpc ref ${ref}`)
    if (linked.rpcsIn.size >= this.#node.options.maxRpcsPerLink) {
      this.#node.report(linked, `has ${linked.rpcsIn.size} rpc processes running already (maxRpcsPerLink); rpc ${ref} refused`)
      return fail('system_limit', 'BadRpcError', `too many rpcs in flight from node ${String(linked.link.remote)}`)
    }
    const f = this.#lookup(frame.mod, frame.fn)
    if (f === undefined) return fail('undef', 'BadRpcError', `undef ${frame.mod}.${frame.fn}`)
    let args: unknown
    try {
      args = decodeValue(frame.args, this.#node.options)
    } catch {
      return fail('badarg', 'BadArgError', 'the args could not be decoded')
    }
    if (!Array.isArray(args)) return fail('badarg', 'BadArgError', 'args is not an array')
    const pid = this.#node.spawnRpcProcess()
    const entry: RpcProcess = { pid, answered: false, abandoned: false, timer: undefined }
    linked.rpcsIn.set(ref, entry)
    const callerNode = linked.link.remote as string
    const context: RpcContext = { caller: pid, callerNode, fromNode: callerNode, node: this.#node.public }
    const finish = (ok: boolean, value: unknown): void => {
      if (entry.abandoned || !linked.link.up) {
        linked.rpcsIn.delete(ref)
        return this.#stopQuietly(pid, ok ? 'normal' : 'error')
      }
      if (ok) {
        let payload: Payload
        try {
          payload = encodeValue(value, 'result')
        } catch (error) {
          linked.rpcsIn.delete(ref)
          this.#stopQuietly(pid, 'error')
          unsent(this.#node, `a result of ${frame.mod}.${frame.fn}`, error)
          return fail('badarg', 'BadArgError', errorMessage(error))
        }
        try {
          if (!linked.link.answer({ v: PROTOCOL_VERSION, t: 'rpc-ok', ref, pid: pid.id, value: payload })) {
            linked.rpcsIn.delete(ref)
            return this.#stopQuietly(pid, 'normal')
          }
          entry.answered = true
          // The caller's rpc-done ends the process; a caller that never sends it cannot keep it.
          entry.timer = startTimer(() => {
            if (linked.rpcsIn.get(ref) !== entry) return
            linked.rpcsIn.delete(ref)
            this.#stopQuietly(pid, 'timeout')
          }, this.#node.options.rpcDoneTimeoutMs)
          return
        } catch (error) {
          value = error // too large to send: the caller gets that error instead
        }
      }
      linked.rpcsIn.delete(ref)
      this.#stopQuietly(pid, 'error')
      const { name, message } = describeThrown(value)
      linked.link.answer({ v: PROTOCOL_VERSION, t: 'rpc-err', ref, error: { code: 'remote', name, message } })
    }
    let result: unknown
    try {
      result = f.apply(context, args)
    } catch (error) {
      return finish(false, error)
    }
    if (isThenable(result)) result.then((r) => finish(true, r), (e: unknown) => finish(false, e))
    else finish(true, result)
  }

  /** The target's side: the caller's callback has returned; end the rpc process. */
  done(linked: LinkedNode, ref: number): void {
    const entry = linked.rpcsIn.get(ref)
    if (entry === undefined) return
    if (!entry.answered) {
      entry.abandoned = true
      return
    }
    linked.rpcsIn.delete(ref)
    if (entry.timer !== undefined) clearTimeout(entry.timer)
    this.#stopQuietly(entry.pid, 'normal')
  }

  /** A link dropped: fail this node's rpcs to it and end the rpc processes run for it. */
  linkLost(linked: LinkedNode, node: string): void {
    linked.rpcsOut.failAll(() => new BadRpcError('nodedown', `badrpc: node ${node} went down`))
    for (const entry of linked.rpcsIn.values()) {
      if (entry.timer !== undefined) clearTimeout(entry.timer)
      this.#stopQuietly(entry.pid, 'noconnection')
    }
    linked.rpcsIn.clear()
  }

  #stopQuietly(pid: Pid, reason: string): void {
    if (this.#node.localProcess(pid) !== undefined) this.#node.stop(pid, reason)
  }
}
