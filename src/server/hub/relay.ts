/**
 * The relay path through the hub: link traffic between two members of one cluster over
 * their Socket.IO connections, for pairs that have no WebRTC link (yet, or ever). The hub
 * forwards a packet only to confirmed members of the sender's cluster, with the sender
 * set by the hub from its connection, and across hubs through the adapter (room emits
 * reach every hub sharing a Redis). It never reads the chunks it carries.
 *
 * Each connection has a relay budget of its own (bytes per second, a token bucket) apart
 * from its message budget: a packet past it is refused (the sender keeps it and tries
 * again), as flow control, not a strike; the hub's memory per receiver stays bounded by
 * `maxBufferedBytes`, past which a receiver that does not read is closed.
 */
import { hubError, type HubErrorReply, type JoinRequest } from '../../core/hub/hub-protocol.js'
import { parseRelayRequest, RELAY_EVENT, RELAY_REFUSED_EVENT, type RelayDelivery, type RelayTarget } from '../../core/hub/relay-protocol.js'
import type { Ack, HubServer, HubSocket } from './events.js'
import { TokenBucket } from './guards.js'
import type { HubSettings } from './options.js'

/** The room of one confirmed member (claims that have not won their id are never in it). */
export const memberRoom = (cluster: string, id: string): string => `m/${cluster}/${id}`

/** What a relay packet costs beyond its bytes: per event (parsing, the ack) and per target (the emit). */
const COST_PER_EVENT = 1024
const COST_PER_TARGET = 64

export interface RelayState {
  readonly bucket: TokenBucket
}

/** A connection's relay budget. */
export function relayState(settings: HubSettings): RelayState {
  return { bucket: new TokenBucket(settings.maxRelayBurstBytes, settings.maxRelayBytesPerSecond) }
}

/** What the relay needs of the connection a packet came from (a `HubConnection`). */
export interface RelaySender {
  readonly socket: HubSocket
  readonly join: JoinRequest | undefined
  readonly member: boolean
  readonly relay: RelayState
  /** The connection in log lines. */
  readonly name: string
  /** Refuses a message with a strike (./connection.ts). */
  refuse(ack: ((reply: HubErrorReply) => void) | undefined, reply: HubErrorReply, what: string): void
}

/**
 * Refuses a relay packet: through the ack when the sender asked for one, else by a
 * `relay-refused` event naming the packet's targets; a strike unless `strike` is false
 * (a packet over the budget is flow control, not misbehaviour).
 */
function refuse(settings: HubSettings, sender: RelaySender, ack: Ack<'relay'> | undefined, reply: HubErrorReply, strike = true, targets?: readonly RelayTarget[]): void {
  const tell = ack ?? ((r: HubErrorReply): void => void sender.socket.emit(RELAY_REFUSED_EVENT, targets === undefined ? r : { ...r, t: targets }))
  if (strike) return sender.refuse(tell, reply, 'relay')
  settings.log.debug(`relay packet from ${sender.name} refused: ${reply.message}`)
  tell(reply)
}

/**
 * Handles one `relay` event from a connection: checks it, charges the sender's budget and
 * forwards the chunk to each target.
 */
export function handleRelay(io: HubServer, settings: HubSettings, sender: RelaySender, payload: unknown, ack: Ack<'relay'> | undefined): void {
  const join = sender.join
  if (!settings.relay) return refuse(settings, sender, ack, hubError('protocol', 'this hub does not relay'))
  if (!sender.member || join === undefined) return refuse(settings, sender, ack, hubError('protocol', 'join a cluster before relaying'))
  const request = parseRelayRequest(payload)
  if (request === null) return refuse(settings, sender, ack, hubError('badarg', 'malformed relay: expected {t: [[to, ti, epoch, seq, ack], ...], d?} within the limits'))
  const { data, targets } = request
  const bytes = data === undefined ? 0 : typeof data === 'string' ? data.length : data.byteLength
  if (!sender.relay.bucket.take(COST_PER_EVENT + bytes + COST_PER_TARGET * targets.length)) {
    const limit = `${settings.maxRelayBytesPerSecond} bytes per second, ${settings.maxRelayBurstBytes} at once`
    return refuse(settings, sender, ack, hubError('protocol', `relay rate limit: at most ${limit} (maxRelayBytesPerSecond, maxRelayBurstBytes)`), false, targets)
  }
  const local = io.sockets.adapter.rooms
  for (const [to, ti, epoch, seq, ack] of targets) {
    if (to === join.id) continue
    // the sender's id and incarnation come from its join, never from the packet
    const notice: RelayDelivery = data === undefined ? { f: join.id, fi: join.inc, ti, e: epoch, s: seq, a: ack } : { f: join.id, fi: join.inc, ti, e: epoch, s: seq, a: ack, d: data }
    const room = memberRoom(join.cluster, to)
    // A confirmed member is in one hub's room at a time: on this hub, straight to its
    // socket (no broadcast, nothing through Redis); elsewhere, through the adapter.
    const here = local.get(room)
    const socket = here?.size === 1 ? io.sockets.sockets.get(here.values().next().value as string) : undefined
    if (socket !== undefined) socket.emit(RELAY_EVENT, notice)
    else io.to(room).emit(RELAY_EVENT, notice)
  }
  ack?.({ ok: true })
}
