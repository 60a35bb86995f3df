/**
 * The hub's typed Socket.IO server: the events it takes and sends (the hub protocol's maps
 * with the relay's, from `core/hub`), what a connection publishes in `socket.data`,
 * and how an incoming event's arguments split into a payload and an acknowledgement.
 *
 * Emits are checked against the maps; what arrives is declared `unknown` (`Received`) and
 * parsed by the part that handles the event, since every client is untrusted.
 */
import type { Server, Socket } from 'socket.io'
import type { AckReply, ClientToHubEvents, HubToClientEvents, Json, Received } from '../../core/hub/hub-protocol.js'
import type { ClientToHubRelayEvents, HubToClientRelayEvents } from '../../core/hub/relay-protocol.js'

/** Every event a client may send the hub. */
export type ClientEvents = ClientToHubEvents & ClientToHubRelayEvents
/** Every event the hub sends a client. */
export type HubEmits = HubToClientEvents & HubToClientRelayEvents
export type ClientEvent = keyof ClientEvents

/** The events a client may send, by name: a name outside it is refused (./guards.ts). */
const CLIENT_EVENTS: { readonly [E in ClientEvent]: true } = { join: true, signal: true, relay: true }

/** Whether `name` is an event the hub handles. */
export const isClientEvent = (name: unknown): name is ClientEvent => typeof name === 'string' && Object.hasOwn(CLIENT_EVENTS, name)

/**
 * What a connection publishes in `socket.data` once it claims an id (nothing before):
 * other hubs read it through the adapter (./claims.ts).
 */
export interface PublishedClaim {
  readonly cluster: string
  readonly id: string
  readonly key: string
  readonly stamp: number
  readonly state: 'claim' | 'member'
  /** The member takes relayed traffic (false: it links only directly). */
  readonly relay: boolean
  /** The member's incarnation (a new one each time the node starts). */
  readonly inc: number
  /** What admission stamped on it. */
  readonly claims?: Json | undefined
}

/** Hubs sharing a Redis send each other nothing of their own (the adapter's requests aside). */
type NoServerEvents = Record<string, never>

/** The hub's Socket.IO server. */
export type HubServer = Server<Received<ClientEvents>, HubEmits, NoServerEvents, Partial<PublishedClaim>>
/** One client's connection to it. */
export type HubSocket = Socket<Received<ClientEvents>, HubEmits, NoServerEvents, Partial<PublishedClaim>>

/** A Socket.IO acknowledgement callback, with the reply of event `E` (any refusal fits every event). */
export type Ack<E extends ClientEvent> = (reply: AckReply<ClientEvents, E>) => void

/** An event's arguments: its payload, and the acknowledgement callback when the client asked for one (the last argument). */
export function splitAck<E extends ClientEvent>(args: readonly unknown[]): { payload: unknown; ack: Ack<E> | undefined } {
  const last = args[args.length - 1]
  if (typeof last === 'function') {
    const ack: Ack<E> = (reply) => {
      Reflect.apply(last, undefined, [reply])
    }
    return { payload: args.length > 1 ? args[0] : undefined, ack }
  }
  return { payload: args[0], ack: undefined }
}

/**
 * The join a client sent with its connection (Socket.IO's handshake `auth: { join }`),
 * still unread (the membership parses it as it parses a `join` event); undefined for none.
 */
export function joinInHandshake(auth: unknown): unknown {
  return typeof auth === 'object' && auth !== null && Object.hasOwn(auth, 'join') ? Reflect.get(auth, 'join') : undefined
}

/** Whether two unread joins carry the same string `key` (the same client's join, sent twice). */
export function sameJoinKey(a: unknown, b: unknown): boolean {
  const key = (join: unknown): unknown => (typeof join === 'object' && join !== null ? Reflect.get(join, 'key') : undefined)
  const first = key(a)
  return typeof first === 'string' && first === key(b)
}
