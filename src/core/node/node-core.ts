/**
 * What a node's collaborators (links, calls, monitors, rpc, the registry exchange, frame
 * dispatch) need of the node: a small internal interface the node implements, so that
 * none of them imports the class that imports them. The public surface is `DistNode`
 * (api/types.ts).
 */
import type { Pid } from '../api/pid.js'
import type { DistNode, NodeEvents } from '../api/types.js'
import type { Emitter } from '../util/emitter.js'
import type { RpcErrorFrame, RpcFrame, RpcResultFrame, WirePid } from '../wire/protocol.js'
import type { LinkedNode } from './linked-node.js'
import type { ResolvedNodeOptions } from './node-options.js'
import type { LocalProcess } from './process.js'
import type { Registry } from './registry.js'

/** The rpc protocol's entry points for frames from a linked node (implemented in rpc.ts). */
export interface RpcHandlers {
  incoming(linked: LinkedNode, frame: RpcFrame): void
  answered(linked: LinkedNode, frame: RpcResultFrame | RpcErrorFrame): void
  done(linked: LinkedNode, ref: number): void
  /** A link dropped: fail this node's rpcs to it and end the rpc processes run for it. */
  linkLost(linked: LinkedNode, node: string): void
}

/** The node as its collaborators see it. */
export interface NodeCore extends DistNode {
  readonly options: ResolvedNodeOptions
  readonly closed: boolean
  readonly events: Emitter<NodeEvents>
  readonly registryReplica: Registry
  readonly rpc: RpcHandlers
  /** The linked node `node`, once its handshake is complete. */
  linked(node: string): LinkedNode | undefined
  /** The live local process `pid` names (this node's id and incarnation), if any. */
  localProcess(pid: Pid): LocalProcess | undefined
  /** A local process by its number, whatever pid named it (frames from a link carry bare numbers). */
  processById(id: number): LocalProcess | undefined
  /** A pid named in a frame from `linked`, which may only speak for its own pids; undefined (reported) otherwise. */
  ownPid(linked: LinkedNode, wire: WirePid): Pid | undefined
  nextRef(): number
  /**
   * Whether the `acceptRegistration` policy takes `name` registered by `linked` into the
   * replica; a refusal is reported once per link and name.
   */
  accepts(linked: LinkedNode, name: string): boolean
  /** Reports a misbehaving linked node or a dropped frame through the `error` event. */
  report(linked: LinkedNode | undefined, message: string): void
  /** Runs user code (a monitor callback) so that what it throws becomes an `error` event. */
  safely(fn: () => void): void
  assertOpen(): void
  callFrom<R>(from: Pid | undefined, to: Pid | string, msg: unknown, timeoutMs?: number): Promise<R>
  castFrom(from: Pid | undefined, to: Pid | string, msg: unknown): void
}
