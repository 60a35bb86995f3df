/**
 * What a node keeps per linked node: the link itself and every exchange in flight over
 * it (calls, monitors both ways, rpcs both ways), so that a lost link can settle all of
 * them at once: callers get `nodedown`, monitors fire `noconnection`, rpc processes end.
 */
import type { Link } from '../wire/link.js'
import type { LocalProcess } from './process.js'
import type { Pid } from '../api/pid.js'
import type { TimerHandle } from '../util/async.js'

export interface PendingCall {
  resolve(value: unknown): void
  reject(error: Error): void
  timer: TimerHandle | undefined
}

export interface PendingRpc {
  resolve(value: unknown): void
  reject(error: Error): void
  callback: ((result: unknown, rpcPid: Pid | undefined) => unknown) | null | undefined
  timer: TimerHandle | undefined
}

/** An rpc process this node runs on behalf of the peer. */
export interface RpcProcess {
  pid: Pid
  /** The result was sent; the process waits for the caller's `rpc-done`. */
  answered: boolean
  /** The caller gave up (timeout) before the function returned. */
  abandoned: boolean
  /** Ends the process if the caller's `rpc-done` does not come (see `rpcDoneTimeoutMs`). */
  timer: TimerHandle | undefined
}

export class PeerState {
  /** Calls sent to this peer, by ref. */
  readonly calls = new Map<number, PendingCall>()
  /** Monitors this node holds on the peer's pids: ref → callback. */
  readonly monitorsOut = new Map<number, (reason: string) => void>()
  /** Monitors the peer holds on this node's pids: the peer's ref → the watcher entry. */
  readonly monitorsIn = new Map<number, { process: LocalProcess; watcherRef: number }>()
  /** Rpcs sent to this peer, by ref. */
  readonly rpcsOut = new Map<number, PendingRpc>()
  /** Rpc processes running here for the peer, by the peer's ref. */
  readonly rpcsIn = new Map<number, RpcProcess>()
  /** The peer's full state arrived. */
  synced = false
  /** The peer's incarnation, from its hello: every pid of the peer named on this link has it. */
  incarnation = 0
  handshake:
    | { resolve(node: string): void; reject(error: Error): void; timer: TimerHandle }
    | undefined

  /**
   * @param expect the node id the peer must introduce itself as (the id the signaling
   *   vouched for), or undefined to accept any
   */
  constructor(
    readonly link: Link,
    readonly expect?: string,
  ) {}
}
