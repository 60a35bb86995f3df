/**
 * What the hub keeps of one client connection, process-local (never consulted for
 * membership, which lives in the adapter's view: claims.ts), and how an event's payload
 * and acknowledgement are told apart.
 */
import type { Socket } from 'socket.io'
import type { JoinRequest, Json } from '../../core/signaling/hub-protocol.js'
import { TokenBucket } from './guards.js'
import type { HubSettings } from './options.js'
import { relayState, type RelayState } from './relay.js'

/** A Socket.IO acknowledgement callback. */
export type Ack = (reply: unknown) => void

export interface Connection {
  readonly socket: Socket
  /** The key of its address's budget (./address-budget.ts). */
  readonly address: string
  state: 'idle' | 'joining' | 'member' | 'gone'
  join: JoinRequest | undefined
  /** What admission stamped on it. */
  claims: Json | undefined
  /** This connection won the id: it announces the leave when it goes. */
  owner: boolean
  signals: Promise<void>
  /** Bytes of signal data waiting in `signals`, bounded by `maxPendingSignalBytes`. */
  pendingBytes: number
  /** Malformed, refused, out-of-order or over-rate messages so far; at `maxStrikes` the connection is closed. */
  strikes: number
  readonly bucket: TokenBucket
  readonly relay: RelayState
}

/** A new connection's bookkeeping, with its message and relay budgets. */
export function newConnection(socket: Socket, settings: HubSettings, address: string): Connection {
  return {
    socket,
    address,
    state: 'idle',
    join: undefined,
    claims: undefined,
    owner: false,
    signals: Promise.resolve(),
    pendingBytes: 0,
    strikes: 0,
    bucket: new TokenBucket(settings.maxMessageBurst, settings.maxMessagesPerSecond),
    relay: relayState(settings),
  }
}

/** An event's arguments: its payload, and the acknowledgement callback when the client asked for one (the last argument). */
export function splitAck(args: unknown[]): { payload: unknown; ack: Ack | undefined } {
  const last = args[args.length - 1]
  if (typeof last === 'function') {
    const ack: Ack = (reply) => {
      Reflect.apply(last, undefined, [reply])
    }
    return { payload: args.length > 1 ? args[0] : undefined, ack }
  }
  return { payload: args[0], ack: undefined }
}
