/**
 * One client connection as the hub keeps it, process-local (never consulted for
 * membership, which lives in the adapter's view: ./claims.ts): where it stands in the
 * join exchange, its message and relay budgets, its queue of signals, and its strikes.
 * A refused message is answered here, and the connection closed at `maxStrikes`.
 */
import type { HubErrorReply, JoinRequest, Json } from '../../core/hub/hub-protocol.js'
import type { HubSocket } from './events.js'
import { TokenBucket } from './guards.js'
import type { HubSettings } from './options.js'
import { relayState, type RelayState } from './relay.js'

/** Codes that answer a request without blaming the client (no strike). */
const BLAMELESS = new Set<string>(['no_node', 'overloaded'])

export class HubConnection {
  readonly socket: HubSocket
  /** The key of its address's budget (./address-budget.ts). */
  readonly address: string
  state: 'idle' | 'joining' | 'member' | 'gone' = 'idle'
  join: JoinRequest | undefined
  /** What admission stamped on it. */
  claims: Json | undefined
  /** This connection won the id: it announces the leave when it goes. */
  owner = false
  /** Its signals waiting to be relayed, in order (./signals.ts). */
  signals: Promise<void> = Promise.resolve()
  /** Bytes of signal data waiting in `signals`, bounded by `maxPendingSignalBytes`. */
  pendingBytes = 0
  /** Malformed, refused, out-of-order or over-rate messages so far; at `maxStrikes` the connection is closed. */
  strikes = 0
  /** Its message budget. */
  readonly bucket: TokenBucket
  readonly relay: RelayState
  readonly #settings: HubSettings
  readonly #warn: (kind: string, message: string) => void

  constructor(socket: HubSocket, address: string, settings: HubSettings, warn: (kind: string, message: string) => void) {
    this.socket = socket
    this.address = address
    this.bucket = new TokenBucket(settings.maxMessageBurst, settings.maxMessagesPerSecond)
    this.relay = relayState(settings)
    this.#settings = settings
    this.#warn = warn
  }

  /** Whether it is a confirmed member of a cluster. */
  get member(): boolean {
    return this.state === 'member'
  }

  /** The connection in log lines: its socket id, and `(cluster/id)` once it claimed one. */
  get name(): string {
    return this.join === undefined ? this.socket.id : `${this.socket.id} (${this.join.cluster}/${this.join.id})`
  }

  /**
   * Refuses a message (`what`: join, signal, relay, message) with `reply`: through its ack,
   * or in the log when it asked for none. A refusal other than `no_node` or `overloaded`
   * is a strike; the `maxStrikes`th closes the connection.
   */
  refuse(ack: ((reply: HubErrorReply) => void) | undefined, reply: HubErrorReply, what: string): void {
    const { log, maxStrikes } = this.#settings
    log.debug(`refused ${what} from ${this.socket.id}: ${reply.code}: ${reply.message}`)
    if (ack !== undefined) ack(reply)
    else this.#warn(`dropped ${what}`, `dropped ${what} from ${this.socket.id}: ${reply.message}`)
    if (BLAMELESS.has(reply.code)) return
    this.strikes++
    if (this.strikes === maxStrikes) {
      this.#warn('strikes', `closing ${this.name}: ${maxStrikes} malformed, refused or over-rate messages (maxStrikes)`)
      this.socket.disconnect(true)
    }
  }
}
