/**
 * The registry exchange, after OTP's pg.erl: how the memberships each node owns reach
 * every node it is linked to. A node owns the memberships of its own pids (only they can
 * join or leave from it); every other node keeps a replica of them (registry.ts) that
 * nothing but this exchange changes. Sent and received here, from start to end.
 *
 * Frames (wire/protocol.ts), each from the node that owns the pids to a linked node:
 *
 *   sync   [[name, [pidId, ...]], ...]   Once per link (`sendSync`, from links.ts): right
 *                                        behind the sender's `hello` on a link whose other
 *                                        end was vouched for, else as soon as the other
 *                                        side's `hello` is in. Every membership of the
 *                                        sender's pids, each name's pids in their join
 *                                        order. Both sides send one.
 *   join   name, pid                     One of the sender's pids joined `name`, or left it
 *   leave  name, pid                     (its newest membership there). Sent on every link
 *                                        that has carried the sender's sync
 *                                        (`announceMembership`), so a change made after a
 *                                        sync was taken follows that sync.
 *
 * What the receiver checks:
 *  - `sync` comes after the sender's `hello`, and once; any other (before it, or a second)
 *    is dropped with an error. Until its `sync` is in, links.ts acts on no `join`/`leave`.
 *  - The sender's memberships in the replica are bounded by `maxNamesPerLink` (default
 *    10,000): a `sync` holding more, or a `join` past it, closes the link `system_limit`.
 *  - A `join`/`leave` names a pid of the sender (`node.ownPid`); one of another node is
 *    dropped with an error. A `sync` carries bare pid ids: the sender's by construction.
 *  - Each name passes the `acceptRegistration` policy (`node.accepts`): a refused one stays
 *    out of the replica (reported once per link and name), and its `leave` is dropped quietly.
 *  - A `leave` of a membership the replica does not hold is dropped with an error.
 *
 * The link counts as up (`synced`) from the moment its `sync` is taken, before its names
 * join the replica, so a `join` listener sees that node linked; links.ts then completes
 * the handshake (`link()` resolves, `nodeup`). A link delivers in order, so a node's joins
 * and leaves apply in the order it made them. When the link drops, every pid of that node
 * leaves every name (`membershipsLost`). Views are eventually consistent.
 */
import { Pid } from '../api/pid.js'
import { type JoinFrame, type LeaveFrame, PROTOCOL_VERSION, type SyncFrame } from '../wire/protocol.js'
import type { LinkedNode } from './linked-node.js'
import type { RegistryHost } from './node-core.js'

/** What sends a frame to every link that has carried this node's sync (the link table). */
export interface MembershipBroadcast {
  broadcast(frame: JoinFrame | LeaveFrame): void
}

/** Sends this node's own memberships to `linked` (once: links.ts says when). */
export function sendSync(node: RegistryHost, linked: LinkedNode): void {
  linked.link.send({ v: PROTOCOL_VERSION, t: 'sync', names: node.replica.snapshotOf(node.id) })
}

/**
 * The linked node's memberships arrived. True when they are taken (the link is `synced`
 * and the handshake may complete); false when the frame was dropped or the link closed.
 */
export function syncReceived(node: RegistryHost, linked: LinkedNode, frame: SyncFrame): boolean {
  if (!linked.link.up) {
    node.report(linked, 'sync frame before the handshake')
    return false
  }
  if (linked.synced) {
    node.report(linked, 'second sync frame')
    return false
  }
  const max = node.options.maxNamesPerLink
  let memberships = 0
  for (const [, ids] of frame.names) memberships += ids.length
  if (memberships > max) {
    linked.link.close('system_limit', `its registry holds ${memberships} memberships, over maxNamesPerLink ${max}`)
    return false
  }
  linked.synced = true
  const id = linked.id as string
  for (const [name, ids] of frame.names) {
    if (!node.accepts(linked, name)) continue
    linked.memberships += ids.length
    for (const pid of ids) node.replica.join(name, new Pid(id, pid, linked.incarnation))
  }
  return true
}

/** A membership changed in this node's replica: a pid of this node's is announced to every linked node. */
export function announceMembership(node: Pick<RegistryHost, 'id'>, links: MembershipBroadcast, t: 'join' | 'leave', name: string, pid: Pid): void {
  if (pid.node !== node.id) return // each node speaks for its own pids only
  links.broadcast({ v: PROTOCOL_VERSION, t, name, pid: [pid.node, pid.id] })
}

/** A `join` or `leave` from a linked node whose `sync` is in. */
export function membershipReceived(node: RegistryHost, linked: LinkedNode, frame: JoinFrame | LeaveFrame): void {
  const pid = node.ownPid(linked, frame.pid)
  if (pid === undefined) return
  if (frame.t === 'join') {
    if (!node.accepts(linked, frame.name)) return
    if (linked.memberships >= node.options.maxNamesPerLink) {
      return linked.link.close('system_limit', `over maxNamesPerLink ${node.options.maxNamesPerLink} memberships in this node's registry`)
    }
    linked.memberships++
    node.replica.join(frame.name, pid)
  } else if (node.replica.leave(frame.name, pid)) linked.memberships--
  else if (!linked.refusedNames.has(frame.name)) node.report(linked, `leave of ${pid.toString()} from "${frame.name}", which it had not joined`)
}

/** The link to node `id` dropped: every pid of that node leaves every name here. */
export function membershipsLost(node: Pick<RegistryHost, 'replica'>, id: string): void {
  node.replica.removeNode(id)
}
