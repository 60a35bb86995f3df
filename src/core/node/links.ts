/**
 * A node's links: opening one over a channel, the handshake (both sides send `hello`,
 * then `sync`, which opens the registry exchange of registry-sync.ts; a link counts only
 * once the other side's `sync` is in, and nothing but the handshake is acted on before;
 * a side that knows whom it links to, vouched for by the signaling, sends its `sync`
 * right behind its `hello`, in the same message, instead of waiting for the other's),
 * the heartbeat, and what a lost link settles: pending calls fail, monitors fire, rpc
 * processes end, the linked node's pids leave the registry, then `nodedown`.
 */
import type { Channel } from '../api/channel.js'
import { AlreadyLinkedError, BadArgError, ClosedError, type DistributedError, NodeDownError, ProtocolError, TimeoutError } from '../api/errors.js'
import type { LinkCloseReason } from '../api/types.js'
import { startTimer, type TimerHandle } from '../util/async.js'
import { logger } from '../util/log.js'
import { startHeartbeat } from '../wire/heartbeat.js'
import { Link } from '../wire/link.js'
import { type Frame, PROTOCOL_VERSION } from '../wire/protocol.js'
import { callsLost } from './calls.js'
import { handleFrame } from './dispatch.js'
import { LinkedNode } from './linked-node.js'
import { monitorsLost, monitoredByLost } from './monitors.js'
import type { LinkHost } from './node-core.js'
import { membershipsLost, sendSync, syncReceived } from './registry-sync.js'

const log = logger('distribunator:link')

export class LinkTable {
  /** Linked nodes by id, from their hello on (`synced` once the handshake is complete). */
  readonly #byId = new Map<string, LinkedNode>()
  /** Links whose hello has not come yet. */
  readonly #handshaking = new Set<LinkedNode>()
  #heartbeat: TimerHandle | undefined

  readonly #node: LinkHost

  constructor(node: LinkHost) {
    this.#node = node
  }

  /** Opens a link over `channel`; resolves with the other node's id once the handshake is complete. */
  open(channel: Channel, expect: string | undefined, incarnation?: number): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const link = new Link(channel, this.#node.options, {
        frame: (_, frame) => this.#received(linked, frame),
        invalid: (_, reason) => {
          log('%s: dropped: %s', linked.id ?? '?', reason)
          this.#node.report(linked, reason)
        },
        closed: (_, reason, detail) => this.#closed(linked, reason, detail),
      })
      const linked = new LinkedNode(link, expect, incarnation)
      const timer = startTimer(() => linked.link.close('handshake_timeout', 'no hello and registry in time'), this.#node.options.handshakeTimeoutMs)
      linked.handshake = { resolve, reject, timer }
      this.#handshaking.add(linked)
      this.#startHeartbeat()
      link.send({ v: PROTOCOL_VERSION, t: 'hello', node: this.#node.id, inc: this.#node.incarnation })
      // The other end is vouched for (the hub's member, on the link the mesh opened to it):
      // this node's registry goes with the hello, one message, and the other side's link
      // can count as up on its arrival instead of a round trip later.
      if (expect !== undefined) this.#sendSync(linked)
    })
  }

  /** The linked node `id`, once its handshake is complete. */
  get(id: string): LinkedNode | undefined {
    const linked = this.#byId.get(id)
    return linked?.synced === true ? linked : undefined
  }

  /** Whether a link to `id` is past its hello (complete or about to be). */
  has(id: string): boolean {
    return this.#byId.has(id)
  }

  /** Ids of the nodes whose handshake is complete. */
  ids(): string[] {
    const ids: string[] = []
    for (const [id, linked] of this.#byId) if (linked.synced) ids.push(id)
    return ids
  }

  /** Sends `frame` to every node that has this node's sync (a registry change follows the sync it was not in). */
  broadcast(frame: Frame): void {
    for (const linked of this.#byId.values()) linked.link.send(frame)
    for (const linked of this.#handshaking) if (linked.syncSent) linked.link.send(frame)
  }

  /** Says bye on every link and closes it (the node is closing). */
  closeAll(): void {
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat)
    this.#heartbeat = undefined
    for (const linked of [...this.#byId.values(), ...this.#handshaking]) {
      linked.link.send({ v: PROTOCOL_VERSION, t: 'bye', reason: 'node closed' })
      linked.link.close('shutdown', 'this node closed')
    }
  }

  #received(linked: LinkedNode, frame: Frame): void {
    switch (frame.t) {
      case 'ping':
        return
      case 'bye':
        return linked.link.close('closed', `the peer said bye: ${frame.reason}`)
      case 'hello':
        return this.#helloReceived(linked, frame.node, frame.inc)
      case 'sync':
        if (syncReceived(this.#node, linked, frame)) this.#linkUp(linked)
        return
    }
    // Nothing but the handshake is acted on until it is complete: the other end is known
    // by the id of its hello only once its registry is in.
    if (!linked.synced) return this.#node.report(linked, `${frame.t} frame before the handshake`)
    handleFrame(this.#node, linked, frame)
  }

  /** Ends a handshake with a refusal: the other end is told why, `link()` rejects, the channel closes. */
  #refuse(linked: LinkedNode, reason: string, error: DistributedError): void {
    log('link refused: %s', error.message)
    const handshake = linked.handshake
    linked.handshake = undefined
    if (handshake !== undefined) {
      clearTimeout(handshake.timer)
      handshake.reject(error)
    }
    linked.link.send({ v: PROTOCOL_VERSION, t: 'bye', reason })
    linked.link.close('refused', reason)
  }

  #helloReceived(linked: LinkedNode, id: string, incarnation: number): void {
    if (linked.handshake === undefined || linked.link.up) return this.#node.report(linked, 'hello on a link that is already up')
    if (linked.expect !== undefined && id !== linked.expect) {
      this.#node.report(linked, `introduced itself as ${id} on a link to ${linked.expect}; link closed`)
      return this.#refuse(linked, 'unexpected node id', new ProtocolError(`expected node ${linked.expect}, the peer said it is ${id}`, id))
    }
    if (linked.expectIncarnation !== undefined && incarnation !== linked.expectIncarnation) {
      return this.#refuse(linked, 'unexpected incarnation', new ProtocolError(`expected incarnation ${linked.expectIncarnation} of ${id}, the peer said ${incarnation}`, id))
    }
    if (id === this.#node.id) return this.#refuse(linked, 'same node id', new BadArgError(`cannot link node ${id} to itself`))
    const existing = this.#byId.get(id)
    if (existing !== undefined && linked.expect === id && existing.incarnation !== incarnation && existing.link.up) {
      // a new life of that node, vouched for: the old one is gone (it restarted)
      existing.link.close('closed', `${id} restarted`)
    }
    if (this.#byId.has(id)) return this.#refuse(linked, 'already linked', new AlreadyLinkedError(id))
    this.#handshaking.delete(linked)
    linked.link.remote = id
    linked.incarnation = incarnation
    linked.link.up = true
    this.#byId.set(id, linked)
    if (!linked.syncSent) this.#sendSync(linked)
    // The handshake ends with the other side's sync, which follows its hello.
  }

  #sendSync(linked: LinkedNode): void {
    linked.syncSent = true
    sendSync(this.#node, linked)
  }

  /** Its registry was taken: `link()` resolves and `nodeup` fires only now, so its names resolve at once. */
  #linkUp(linked: LinkedNode): void {
    const id = linked.id as string
    const handshake = linked.handshake
    linked.handshake = undefined
    if (handshake !== undefined) clearTimeout(handshake.timer)
    log('link to %s up', id)
    this.#node.nodeUp(id)
    handshake?.resolve(id)
  }

  #closed(linked: LinkedNode, reason: LinkCloseReason, detail: string): void {
    log('link to %s down: %s (%s)', linked.id ?? linked.expect ?? '?', reason, detail)
    this.#handshaking.delete(linked)
    const handshake = linked.handshake
    if (handshake !== undefined) {
      linked.handshake = undefined
      clearTimeout(handshake.timer)
      handshake.reject(reason === 'handshake_timeout' ? new TimeoutError('link handshake timed out') : new ClosedError(`link closed during handshake: ${detail}`))
    }
    const id = linked.id
    if (id === undefined || this.#byId.get(id) !== linked) return
    this.#byId.delete(id)
    callsLost(linked, () => (this.#node.closed ? new ClosedError(`node ${this.#node.id} closed`) : new NodeDownError(id)))
    monitoredByLost(linked)
    this.#node.rpc.linkLost(linked, id)
    membershipsLost(this.#node, id)
    monitorsLost(this.#node, linked)
    if (linked.synced) this.#node.nodeDown(id, reason === 'handshake_timeout' || reason === 'refused' ? 'closed' : reason, detail)
  }

  #startHeartbeat(): void {
    const { heartbeatIntervalMs, heartbeatTimeoutMs } = this.#node.options
    this.#heartbeat ??= startHeartbeat(() => [...this.#byId.values(), ...this.#handshaking].map((linked) => linked.link), heartbeatIntervalMs, heartbeatTimeoutMs)
  }
}
