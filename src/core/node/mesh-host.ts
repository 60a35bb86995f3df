/**
 * The seam between a node and the transport that links it to a cluster (the mesh,
 * mesh/mesh.ts), both ways, as a strategy is in trystero or a transport in birpc:
 *
 * - `MeshHost`, what the node lets the mesh do: link a channel, read whether a link is up
 *   or under way, hear links come and go, tell the events only a mesh knows (`path`,
 *   `hub`, `unlinked`), report, close the node;
 * - `MeshHooks`, what the mesh tells the node back: each link's path (`node.links()`),
 *   each member's claims (`node.claimsOf`), and how to stop when the node closes.
 *
 * The node builds the host (`createHostedNode`, node.ts); the mesh never sees the node's
 * class, its emitter or its state.
 */
import type { Channel } from '../api/channel.js'
import type { LinkOpenOptions, LinkPath, NodeEvents } from '../api/types.js'

/** The events a mesh tells through its node; the node tells the others itself. */
export type MeshEvent = 'path' | 'hub' | 'unlinked'

/** What the mesh may call of its node. */
export interface MeshHost {
  readonly id: string
  readonly incarnation: number
  /** The largest message a link carries (`maxFrameBytes`): a relay or path channel holds no more. */
  readonly maxFrameBytes: number
  /** `node.link(channel, options)`: resolves with the other node's id once the handshake is complete. */
  link(channel: Channel, options: LinkOpenOptions): Promise<string>
  /** Whether the link to `node` has completed its handshake. */
  isLinked(node: string): boolean
  /** Whether a link to `node` is open or being opened (past its hello). */
  hasLink(node: string): boolean
  /** Hears each link that comes up or goes down (the `nodeup` and `nodedown` events), by node id. */
  onLink(event: 'nodeup' | 'nodedown', listener: (node: string) => void): () => void
  /** Tells one of the mesh's events to the node's listeners. */
  emit<K extends MeshEvent>(event: K, ...args: NodeEvents[K]): void
  /** Reports what went wrong through the `error` event. */
  report(message: string): void
  /** Closes the node (the hub will not have it back). */
  close(): Promise<void>
}

/** What the mesh tells its node. */
export interface MeshHooks {
  /** Each linked member's path (a node not listed is direct). */
  paths(): ReadonlyMap<string, LinkPath>
  /** What the hub stamped on member `id` (this node included), while it is a member. */
  claimsOf(id: string): unknown
  /** Runs at the start of `close()`; the node's close resolves once it has settled. */
  stop(): void | Promise<void>
}
