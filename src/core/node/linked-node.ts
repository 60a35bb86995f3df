/**
 * What a node keeps per linked node: the link itself and every exchange in flight over
 * it (calls, monitors both ways, rpcs both ways), so that a lost link can settle all of
 * them at once: callers get `nodedown`, monitors fire `noconnection`, rpc processes end.
 *
 * Vocabulary: a *linked node* is another node at the end of a link (this file); a
 * *peer* is a WebRTC peer connection (webrtc/). A *frame* is one protocol object
 * (wire/protocol.ts); a *message* is what a channel carries (one frame, a batch of frames,
 * or a binary attachment); a *chunk* is a piece of a message on a data channel.
 */
import type { Pid } from '../api/pid.js'
import type { TimerHandle } from '../util/async.js'
import type { Link } from '../wire/link.js'
import { type PendingRequest, PendingTable } from './pending.js'
import type { LocalProcess } from './process.js'

/** An rpc sent to the linked node: the caller's callback runs with the result. */
export interface PendingRpc extends PendingRequest {
  callback: ((result: unknown, rpcPid: Pid | undefined) => unknown) | null | undefined
}

/** An rpc process this node runs on behalf of the linked node. */
export interface RpcProcess {
  pid: Pid
  /** The result was sent; the process waits for the caller's `rpc-done`. */
  answered: boolean
  /** The caller gave up (timeout) before the function returned. */
  abandoned: boolean
  /** Ends the process if the caller's `rpc-done` does not come (see `rpcDoneTimeoutMs`). */
  timer: TimerHandle | undefined
}

export class LinkedNode {
  /** Calls sent to this node, by ref. */
  readonly calls = new PendingTable<PendingRequest>()
  /** Monitors this side holds on the linked node's pids: ref → callback. */
  readonly monitorsOut = new Map<number, (reason: string) => void>()
  /** Monitors the linked node holds on this side's pids: its ref → the watcher entry. */
  readonly monitorsIn = new Map<number, { process: LocalProcess; monitoredByRef: number }>()
  /** Rpcs sent to this node, by ref. */
  readonly rpcsOut = new PendingTable<PendingRpc>()
  /** Rpc processes running here for the linked node, by its ref. */
  readonly rpcsIn = new Map<number, RpcProcess>()
  /** Its full registry state arrived: the handshake is complete. */
  synced = false
  /** This node's own sync went out on this link (with its hello, when the other end was vouched for; else after the other's hello). */
  syncSent = false
  /** Memberships of this node in the replica (bounded by `maxNamesPerLink`). */
  memberships = 0
  /** Names whose registration by this node the policy refused (reported once each; at most 1024 kept). */
  readonly refusedNames = new Set<string>()
  /** Its incarnation, from its hello: every pid of it named on this link has it. */
  incarnation = 0
  handshake: { resolve(node: string): void; reject(error: Error): void; timer: TimerHandle } | undefined

  /**
   * @param expect the node id the other end must introduce itself as (the id the
   *   signaling vouched for), or undefined to accept any
   */
  constructor(
    readonly link: Link,
    readonly expect?: string,
    /** With `expect`: the incarnation the other end must introduce itself with. */
    readonly expectIncarnation?: number,
  ) {}

  /** The linked node's id, once its hello arrived. */
  get id(): string | undefined {
    return this.link.remote
  }
}
