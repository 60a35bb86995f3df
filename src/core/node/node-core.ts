/**
 * What a node's collaborators may call of it: one small interface per role, each holding
 * only what that file uses, so that none of them imports the class that imports them and
 * none sees the public surface (`DistNode`, api/types.ts) or the node's own state. The node
 * (node.ts) builds one object meeting them all (`NodeHost`); the mesh gets another seam
 * (`MeshHost`, mesh-host.ts).
 *
 * | role            | file             | adds to `NodeBasics`                                        |
 * |-----------------|------------------|-------------------------------------------------------------|
 * | `CallHost`      | calls.ts         | lookups, the name's first pid, `ownPid`, `assertOpen`       |
 * | `MonitorHost`   | monitors.ts      | lookups, `safely`                                           |
 * | `RegistryHost`  | registry-sync.ts | the replica's writes, `ownPid`, `accepts`                   |
 * | `RpcHost`       | rpc.ts           | lookups, the public node, `spawn` and `stop` of rpc processes |
 * | `LinkHost`      | links.ts, dispatch.ts | all of the above a frame may reach, `rpc`, `nodeUp`, `nodeDown` |
 */
import type { Pid } from '../api/pid.js'
import type { DistNode, NodeDownReason } from '../api/types.js'
import type { RpcErrorFrame, RpcFrame, RpcResultFrame, WirePid } from '../wire/protocol.js'
import type { LinkedNode } from './linked-node.js'
import type { ResolvedNodeOptions } from './node-options.js'
import type { LocalProcess } from './process.js'
import type { Registry } from './registry.js'

/** What every collaborator reads: who the node is, its limits, whether it closed; refs; where to report. */
export interface NodeBasics {
  readonly id: string
  readonly incarnation: number
  readonly options: ResolvedNodeOptions
  /** Whether `close()` has begun (only the node sets it). */
  readonly closed: boolean
  nextRef(): number
  /** Reports a misbehaving linked node or a dropped frame through the `error` event. */
  report(linked: LinkedNode | undefined, message: string): void
}

/** The node's local processes and complete links, looked up. */
export interface NodeLookups {
  /** The linked node `node`, once its handshake is complete. */
  linked(node: string): LinkedNode | undefined
  /** The live local process `pid` names (this node's id and incarnation), if any. */
  localProcess(pid: Pid): LocalProcess | undefined
  /** A local process by its number, whatever pid named it (frames from a link carry bare numbers). */
  processById(id: number): LocalProcess | undefined
}

/** What a frame from a linked node is checked against. */
export interface PeerChecks {
  /** A pid named in a frame from `linked`, which may only speak for its own pids; undefined (reported) otherwise. */
  ownPid(linked: LinkedNode, wire: WirePid): Pid | undefined
}

/** calls.ts: call and cast. */
export interface CallHost extends NodeBasics, NodeLookups, PeerChecks {
  /** The first pid of `name` in the replica (a call by name goes to it). */
  firstOf(name: string): Pid | undefined
  /** Throws `ClosedError` once the node is closed. */
  assertOpen(): void
}

/** monitors.ts: monitors both ways. */
export interface MonitorHost extends NodeBasics, NodeLookups {
  /** Runs user code (a monitor callback) so that what it throws becomes an `error` event. */
  safely(fn: () => void): void
}

/** The registry replica as the exchange writes it: nothing else changes it. */
export type ReplicaWrites = Pick<Registry, 'join' | 'leave' | 'removeNode' | 'snapshotOf'>

/** registry-sync.ts: the registry exchange. */
export interface RegistryHost extends NodeBasics, PeerChecks {
  readonly replica: ReplicaWrites
  /**
   * Whether the `acceptRegistration` policy takes `name` registered by `linked` into the
   * replica; a refusal is reported once per link and name.
   */
  accepts(linked: LinkedNode, name: string): boolean
}

/** rpc.ts: the rpc service. */
export interface RpcHost extends NodeBasics, NodeLookups {
  /** The node as rpc functions see it (`this.node`). */
  readonly public: DistNode
  /** Starts an rpc process (no behaviour: it answers nothing, it stands for the caller). */
  spawnRpcProcess(): Pid
  stop(pid: Pid, reason: string): void
}

/** The rpc protocol's entry points for frames from a linked node (implemented in rpc.ts). */
export interface RpcHandlers {
  incoming(linked: LinkedNode, frame: RpcFrame): void
  answered(linked: LinkedNode, frame: RpcResultFrame | RpcErrorFrame): void
  done(linked: LinkedNode, ref: number): void
  /** A link dropped: fail this node's rpcs to it and end the rpc processes run for it. */
  linkLost(linked: LinkedNode, node: string): void
}

/** links.ts and dispatch.ts: the link table and the frames it passes on, each to its exchange. */
export interface LinkHost extends CallHost, MonitorHost, RegistryHost {
  readonly rpc: RpcHandlers
  /** A link completed its handshake (the `nodeup` event). */
  nodeUp(node: string): void
  /** A complete link is gone, after all kept for it was settled (the `nodedown` event). */
  nodeDown(node: string, reason: NodeDownReason, detail: string): void
}

/** What the node hands its collaborators: every role above, in one object that is not the node. */
export type NodeHost = LinkHost & RpcHost
