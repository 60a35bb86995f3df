/**
 * The mesh: a node joins its cluster through a `Signaling` backend and stays linked to
 * every member, always, by the best path available (ARCHITECTURE.md, PROTOCOL.md "Paths"):
 *
 * - **relay first**: a member is linked over the hub's relay as soon as it is known (from
 *   the join reply, a member-join, or its first relay packet), so `connect()` resolves
 *   with the whole registry after about one hub round trip;
 * - **direct in the background**: a WebRTC link opens beside it (direct.ts) and the link
 *   moves onto it without losing, repeating or reordering a message (path-channel.ts);
 *   where WebRTC cannot connect, or the direct-link budget is spent, the pair stays on
 *   the relay and tries again with backoff; idle direct paths give way to busy pairs;
 * - **liveness from the hub**: a member the hub sees leave goes down at once; one whose
 *   hub went away (a leave marked `away`) gets a grace period to come back through
 *   another hub; while this node's own hub is away, relayed links wait for it as long.
 *
 * With `relay: false` no payload ever passes the hub: pairs link only directly (every
 * pair, whatever the budget), as a plain WebRTC mesh.
 *
 * **Incarnations.** A member is one life of a node id (the hub names each with its
 * incarnation). The first word of a new life (a member-join, relay packet or signal
 * stamped with it) supersedes the old one at once: the old link goes down once, and all
 * kept for it (relay channel, direct peer, timers) is dropped; its late traffic too.
 *
 * **`connect()`** resolves once the members present at join are linked, but does not wait
 * for one that has not answered at all within `answerTimeoutMs` (a frozen tab, a hostile
 * client), nor for one it cannot link (`unlinked`). Either is linked later if it can be.
 */
import { LinkLostError } from '../api/channel.js'
import { errorMessage, ProtocolError } from '../api/errors.js'
import type { DistNode } from '../api/types.js'
import { now, startInterval, startTimer, type TimerHandle } from '../util/async.js'
import { logger } from '../util/log.js'
import type { MeshHooks, MeshHost } from '../node/mesh-host.js'
import { createHostedNode } from '../node/node.js'
import type { MemberInfo, Signaling } from '../hub/signaling.js'
import { channelFromPeer } from '../webrtc/data-channel.js'
import type { PeerFactory, PeerLike } from '../webrtc/simple-peer.js'
import { DirectLinks } from './direct.js'
import { MESH_DEFAULTS, type MeshOptions } from './mesh-options.js'
import { type MeshSettings, resolveMeshSettings } from './mesh-settings.js'
import { type Member, Members, waitForMembers } from './members.js'
import { demoteIdle, directPolicy, isBusy, promoteBusy } from './path-budget.js'
import { PathChannel } from './path-channel.js'
import { RelayRouter } from './relay-router.js'

const log = logger('distribunator:mesh')

/**
 * Joins a cluster and keeps this node linked to every member. Resolves with the node.
 *
 * @example
 * const node = await joinMesh({ id: 'tab-1' }, signaling, createPeer)
 */
export async function joinMesh(options: MeshOptions, signaling: Signaling, createPeer: PeerFactory): Promise<DistNode> {
  return (await startMesh(options, signaling, createPeer)).node
}

/** `joinMesh`, resolving also with the node's side of the seam (`MeshHost`), for an entry that reports through it. */
export async function startMesh(options: MeshOptions, signaling: Signaling, createPeer: PeerFactory): Promise<{ node: DistNode; host: MeshHost }> {
  const { node, host, hooks: mesh } = createHostedNode(options, signaling.incarnation, (host) => new Mesh(host, signaling, createPeer, options))
  try {
    await mesh.start()
  } catch (error) {
    await node.close()
    throw error
  }
  return { node, host }
}

class Mesh implements MeshHooks {
  readonly #members = new Members()
  readonly #relay: RelayRouter | undefined
  readonly #direct: DirectLinks
  readonly #settings: MeshSettings
  #hubLost: TimerHandle | undefined
  /** What the hub stamped on this node at its last join. */
  #claims: unknown
  /** The hub connection dropped and has not come back yet (the `hub` event told `lost`). */
  #hubDown = false
  #promoter: TimerHandle | undefined
  #stopped = false
  /** `start()` has resolved (`connect()` with it); `unlinked` events before that wait in `#untold`. */
  #started = false
  readonly #untold: Array<[id: string, reason: string]> = []

  readonly #node: MeshHost
  readonly #signaling: Signaling

  constructor(node: MeshHost, signaling: Signaling, createPeer: PeerFactory, options: MeshOptions) {
    this.#node = node
    this.#signaling = signaling
    const settings = resolveMeshSettings(options, signaling.relay !== undefined, node.maxFrameBytes)
    this.#settings = settings
    this.#direct = new DirectLinks(
      {
        id: node.id,
        isMember: (id) => this.#members.has(id),
        incarnationOf: (id) => this.#members.get(id)?.inc,
        needsDirect: (id) => this.#relay === undefined || this.#members.get(id)?.relay === false,
        allowsDirect: directPolicy(options.direct, (id) => this.claimsOf(id), (message) => node.report(message)),
        unlinked: (id, reason) => {
          log('%s: cannot be linked: %s', id, reason)
          const member = this.#members.get(id)
          if (member !== undefined) member.unlinkable = true // connect() does not wait for it
          // told during connect(): once it has resolved, so that a listener added then hears it
          if (this.#started) node.emit('unlinked', id, reason)
          else this.#untold.push([id, reason])
        },
        opened: (id, peer) => this.#directOpened(id, peer),
        makeRoom: () => demoteIdle(this.#members.values(), settings.directIdleMs),
        crowded: () => this.#crowded(),
        busy: (id) => isBusy(this.#members.get(id)?.path, now()),
        report: (message) => node.report(message),
      },
      signaling,
      createPeer,
      settings.direct,
    )
    if (settings.relay !== undefined && signaling.relay !== undefined) {
      this.#relay = new RelayRouter(signaling.relay, settings.relay, (from, inc) => this.#newRelayLink(from, inc), (message) => node.report(message))
    }
  }

  async start(): Promise<void> {
    this.#signaling.onMemberJoin((member) => this.#present(member, false))
    this.#signaling.onMemberLeave((id, inc, awayMs, kicked) => this.#left(id, inc, awayMs, kicked))
    // The member list at every (re)join, then each change to it, in order (see Signaling).
    this.#signaling.onJoined(({ id, members, claims }) => {
      if (id !== this.#node.id) return
      this.#claims = claims
      this.#joined(members)
    })
    this.#signaling.onStatus?.((status, url = '') => this.#hubStatus(status, url))
    this.#signaling.onEnded?.(({ code, message, url }) => {
      if (this.#stopped) return
      // the hub will not have this node back (kicked, or its admission no longer holds): it ends
      this.#node.emit('hub', code === 'kicked' ? 'kicked' : 'refused', url, message)
      void this.#node.close()
    })
    this.#signaling.onSignal((from, inc, data) => {
      if (this.#stopped || this.#members.isRetired(from, inc)) return // a signal of an earlier life of that member
      const known = this.#members.get(from)
      if (known !== undefined && known.inc !== inc) this.#present({ id: from, inc, ...(known.relay ? {} : { noRelay: true }) }, false) // a new life of it
      const current = this.#members.get(from)
      if (current !== undefined) current.heard = true
      this.#direct.signal(from, inc, data)
    })
    this.#node.onLink('nodedown', (id) => this.#linkLost(id))
    const { id, members } = await this.#signaling.join()
    if (id !== this.#node.id) throw new ProtocolError(`the hub bound id ${id}, expected ${this.#node.id}`)
    if (this.#relay !== undefined) this.#promoter = startInterval(() => promoteBusy(this.#members.values(), this.#direct), MESH_DEFAULTS.promoteEveryMs)
    // waitForMembers reads a link as `linked(id) !== undefined`
    const { isLinked, hasLink, onLink } = this.#node
    await waitForMembers(members.map((member) => member.id), this.#members, { linked: (id) => (isLinked(id) ? id : undefined), hasLink, on: onLink }, {
      timeoutMs: this.#settings.meshTimeoutMs,
      answerTimeoutMs: this.#settings.answerTimeoutMs,
    })
    this.#started = true
    const untold = this.#untold.splice(0)
    if (untold.length > 0) setTimeout(() => untold.forEach(([id, reason]) => this.#node.emit('unlinked', id, reason)), 0)
  }

  /** Each linked member's path, for `node.links()`. */
  paths(): ReadonlyMap<string, 'direct' | 'relay'> {
    const paths = new Map<string, 'direct' | 'relay'>()
    for (const [id, member] of this.#members) if (member.path !== undefined) paths.set(id, member.path.via)
    return paths
  }

  /**
   * The member entry of incarnation `inc` of `id`, made if there is none. A member entry
   * of another incarnation is superseded first: `inc` is a newer life of that id (the
   * caller has checked that it is not a retired one).
   */
  #member(id: string, inc: number): Member {
    const known = this.#members.get(id)
    if (known !== undefined && known.inc !== inc) this.#supersede(known)
    return this.#members.get(id) ?? this.#members.add(id, inc)
  }

  /**
   * A newer incarnation of `member`'s id appeared: the old one is down at once (its link
   * fails with `closed`, once) and everything kept for it goes, sending nothing more.
   */
  #supersede(member: Member): void {
    log('%s: restarted (incarnation %d is over)', member.id, member.inc)
    this.#members.retire(member)
    this.#drop(member, new LinkLostError('closed', `${member.id} restarted`))
  }

  /** Removes `member` and ends its link with `error`; nothing more is sent to it. */
  #drop(member: Member, error: LinkLostError): void {
    this.#members.delete(member.id)
    if (member.away !== undefined) clearTimeout(member.away)
    if (member.retry !== undefined) clearTimeout(member.retry)
    this.#direct.forget(member.id)
    const path = member.path
    member.path = undefined
    path?.fail(error)
    this.#relay?.forget(member.id, error)
  }

  /**
   * A relay packet no open channel takes came from incarnation `inc` of `from`: a member
   * not known yet, a new life of one, or the same life starting a new link (it ended the
   * one this side had). Whatever this side had with that member is over; a fresh relay
   * link takes the packet. Returns undefined to drop it (a superseded incarnation).
   */
  #newRelayLink(from: string, inc: number): ReturnType<RelayRouter['open']> | undefined {
    if (this.#stopped || from === this.#node.id || this.#members.isRetired(from, inc)) return undefined
    const member = this.#member(from, inc)
    const path = member.path
    if (path !== undefined && !path.isClosed) {
      log('%s: started its link over', from)
      member.path = undefined
      this.#direct.forget(from)
      path.fail(new LinkLostError('closed', `${from} started its link over`))
    }
    return this.#relayLink(member) // it relays: it takes relay
  }

  /** What the hub stamped on member `id` (this node included), while it is a member. */
  claimsOf(id: string): unknown {
    return id === this.#node.id ? this.#claims : this.#members.get(id)?.claims
  }

  /**
   * The hub lists a member: link it. `listed`: in this node's join reply, and this node
   * opens the link. Else a member-join: within the direct-link budget this side opens it
   * too, at once, and the two first packets (a hello and registry each) cross, so the
   * newcomer is linked a hub hop sooner, for an acknowledgement each way that may go bare.
   * In a crowd this side lets the newcomer open, and answers its first packet with its
   * own hello and registry in one packet that carries the acknowledgement; should none
   * come in `answerLinkMs`, it opens the link. It opens at once when the newcomer's join
   * reply may not have listed this node (`unlisted`: two joins at once through two hubs).
   */
  #present({ id, inc, noRelay, claims, unlisted }: MemberInfo, listed: boolean): void {
    if (this.#stopped || id === this.#node.id || this.#members.isRetired(id, inc)) return
    const member = this.#member(id, inc)
    member.relay = noRelay !== true
    if (claims !== undefined) member.claims = claims
    if (member.away !== undefined) clearTimeout(member.away)
    member.away = undefined
    if (this.#relay !== undefined && member.relay) {
      if (member.path === undefined && !listed && unlisted !== true && this.#crowded()) {
        member.retry ??= startTimer(() => {
          member.retry = undefined
          if (this.#members.get(id) === member && member.path === undefined) this.#relayLink(member)
        }, MESH_DEFAULTS.answerLinkMs)
      } else if (member.path === undefined || member.path.via === 'relay') this.#relayLink(member)
      // WebRTC follows after the relayed link's first exchange (openLink) or directDelayMs
      this.#direct.considerLater(id, this.#settings.directDelayMs)
      return
    }
    // a member that takes no relay (or this node, without one) must go direct, and either side offers
    this.#direct.consider(id, this.#relay !== undefined)
  }

  /** More members than direct links allowed: only pairs that talk go direct, and newcomers open their relayed links. */
  #crowded(): boolean {
    return this.#members.size > this.#settings.direct.maxDirectLinks
  }

  #joined(members: readonly MemberInfo[]): void {
    if (this.#hubLost !== undefined) clearTimeout(this.#hubLost)
    this.#hubLost = undefined
    const listed = new Set(members.map((member) => member.id))
    // Members not listed now may have left while this node's hub connection was away, or be
    // reconnecting themselves (after a hub restart): each gets the grace period to show up.
    // A link on a direct path is left to its heartbeat. One listed with another
    // incarnation restarted meanwhile: `#present` supersedes it.
    for (const [id, member] of this.#members) {
      if (!listed.has(id) && member.path?.heartbeat !== true) this.#left(id, member.inc, this.#settings.hubLostGraceMs)
    }
    for (const member of members) this.#present(member, true)
    this.#relay?.resendAll()
  }

  /** The hub says life `inc` of `id` left (of another life: ignored); `awayMs`: its hub went away, it may come back; `kicked`: removed. */
  #left(id: string, inc: number, awayMs?: number, kicked?: string): void {
    const member = this.#members.get(id)
    if (member === undefined || member.inc !== inc) return
    if (kicked !== undefined) return this.#drop(member, new LinkLostError('kicked', `the hub removed ${id}: ${kicked}`))
    if (awayMs !== undefined) {
      member.away ??= startTimer(() => this.#left(id, inc, undefined), awayMs)
      return log('%s: gone from the hub, waiting %d ms', id, awayMs)
    }
    log('%s: left the cluster', id)
    this.#drop(member, new LinkLostError('left_cluster', `the hub saw ${id} leave the cluster`))
  }

  /** The hub connection dropped or came back: the `hub` event, and the grace period of relayed links. */
  #hubStatus(status: 'connected' | 'disconnected', url: string): void {
    if (this.#stopped || (status === 'disconnected') === this.#hubDown) return
    this.#hubDown = status === 'disconnected'
    this.#node.emit('hub', this.#hubDown ? 'lost' : 'back', url)
    if (!this.#hubDown || this.#relay === undefined) return
    this.#hubLost ??= startTimer(() => {
      this.#hubLost = undefined
      for (const member of this.#members.values()) {
        if (member.path?.heartbeat === false) member.path.fail(new LinkLostError('transport_error', `the hub that relays this link was unreachable for ${this.#settings.hubLostGraceMs} ms`))
      }
    }, this.#settings.hubLostGraceMs)
  }

  /** Opens the member's link over the relay (if it has none); returns its relay channel. */
  #relayLink(member: Member): ReturnType<RelayRouter['open']> | undefined {
    const router = this.#relay
    if (router === undefined || this.#stopped) return undefined
    const existing = router.get(member.id)
    if (member.path !== undefined && existing !== undefined) return existing
    const relay = router.open(member.id, member.inc)
    this.#openLink(member, new PathChannel({ relay }, this.#pathOptions(member.id)))
    return relay
  }

  #pathOptions(id: string): ConstructorParameters<typeof PathChannel>[1] {
    return {
      maxHeldBytes: this.#node.maxFrameBytes,
      now,
      onPathChange: (path) => {
        log('%s: link moved to %s', id, path)
        if (this.#node.isLinked(id)) this.#node.emit('path', id, path)
      },
    }
  }

  /** Runs the link handshake over `path`; the hub vouches for the member's id. */
  #openLink(member: Member, path: PathChannel): void {
    if (member.retry !== undefined) clearTimeout(member.retry) // a link opens: no other attempt waits
    member.retry = undefined
    member.path = path
    this.#node.link(path, { expect: member.id, incarnation: member.inc }).then(
      () => {
        if (member.path !== path) return
        log('%s: linked over %s', member.id, path.via)
        this.#node.emit('path', member.id, path.via)
        if (path.via !== 'relay') return
        // WebRTC a moment after the link has carried its first exchange (at most 250 ms, or
        // directDelayMs): opening peer connections takes a page's main thread, and a room's
        // first registrations and calls, which follow, should not wait behind it
        path.afterExchange(() => this.#members.get(member.id) === member && this.#direct.considerLater(member.id, Math.min(this.#settings.directDelayMs, MESH_DEFAULTS.afterExchangeMs)))
      },
      (error: unknown) => {
        if (member.path !== path) return
        log('%s: link failed: %s', member.id, errorMessage(error))
        member.path = undefined
        path.close()
        // still a member: try again shortly (a collision with the other side's first packets)
        if (this.#members.get(member.id) === member && !this.#stopped) member.retry ??= startTimer(() => {
          member.retry = undefined
          if (this.#members.get(member.id) === member) this.#relay !== undefined && member.relay ? this.#relayLink(member) : this.#direct.consider(member.id, true)
        }, MESH_DEFAULTS.relinkMs)
      },
    )
  }

  #directOpened(id: string, peer: PeerLike): void {
    const member = this.#members.get(id)
    if (member === undefined || this.#stopped) return peer.destroy()
    const channel = channelFromPeer(peer, { ...this.#settings.transport, onError: (error) => this.#node.report(`transport from ${id}: ${error.message}`) })
    if (member.path !== undefined && this.#relay !== undefined && member.relay) return member.path.attachDirect(channel)
    this.#openLink(member, new PathChannel({ direct: channel }, this.#pathOptions(id)))
  }

  /** A link went down: a member still listed is linked again (a fresh link, a fresh relay channel). */
  #linkLost(id: string): void {
    const member = this.#members.get(id)
    if (member === undefined || this.#stopped) return
    if (member.path !== undefined && !member.path.isClosed) return // an earlier link went; the member has a newer one
    member.path = undefined
    if (this.#relay !== undefined && member.relay) this.#relayLink(member)
    else this.#direct.retryLater(id)
  }

  /** Stops meshing; resolves once the byes of the closing links have left and the signaling is closed. */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    if (this.#hubLost !== undefined) clearTimeout(this.#hubLost)
    if (this.#promoter !== undefined) clearInterval(this.#promoter)
    for (const member of this.#members.values()) {
      if (member.away !== undefined) clearTimeout(member.away)
      if (member.retry !== undefined) clearTimeout(member.retry)
    }
    this.#direct.stop()
    // The node closes its links after this (each says bye first); their last messages go
    // out in microtasks, so the signaling that relays them closes a task later.
    await new Promise((resolve) => setTimeout(resolve, 0))
    this.#relay?.closeAll()
    this.#signaling.close()
  }
}
