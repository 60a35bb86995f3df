/**
 * The seed's `__MODULE__` macros (`register()`, `my_pid()`, `all_pids_of()`, ...) as a
 * handle bound to one name.
 *
 * @example
 * const Counter = node.module('Counter')
 * Counter.register(node.spawn({ handleCall: () => ++count }))
 * await Counter.call('increment')
 */
import { NoPidError } from '../api/errors.js'
import type { Pid } from '../api/pid.js'
import type { DistNode, ModuleHandle, RpcCallback, RpcOptions } from '../api/types.js'

export function createModuleHandle(node: DistNode, name: string): ModuleHandle {
  return Object.freeze({
    name,
    register: (pid: Pid) => node.register(name, pid),
    myPid: (): Pid => {
      const first = node.allPidsOf(name)[0]
      if (first === undefined) throw new NoPidError(`no pid is registered under "${name}"`)
      return first
    },
    allPidsOf: () => node.allPidsOf(name),
    allNodesOf: () => node.allNodesOf(name),
    // the reply type is ModuleHandle's to give (the name's, or the caller's `call<R>`): untyped here
    call: (msg: unknown, timeoutMs?: number) => node.call<any>(name, msg, timeoutMs),
    cast: (msg: unknown) => node.cast(name, msg),
    nodeRpc: <R = unknown>(mod: string, fn: string, args: unknown[], callback?: RpcCallback<R>, options?: RpcOptions) =>
      node.nodeRpc<R>(name, mod, fn, args, callback, options),
  })
}
