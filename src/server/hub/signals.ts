/**
 * The signal relay: a member's `signal` to another member of its cluster, found through
 * the cluster view (./claims.ts) on any hub, with the sender's id and incarnation stamped
 * from its join. A connection's signals leave in the order they came (an offer before its
 * candidates), one queue each, with the bytes waiting bounded by `maxPendingSignalBytes`;
 * every 4 KiB of signal data costs one more message of the rate limit.
 */
import { errorMessage } from '../../core/api/errors.js'
import { HubEvents, HubLimits, hubError, jsonSize, parseSignalRequest, type SignalRequest } from '../../core/hub/hub-protocol.js'
import { type ClaimHandle, type ClaimsIn, idRoom, isOlder } from './claims.js'
import type { HubConnection } from './connection.js'
import type { Ack } from './events.js'
import type { HubSettings } from './options.js'

/** Bytes of signal data that cost one more message of the rate limit. */
const SIGNAL_BYTES_PER_MESSAGE = 4096

export class SignalRelay {
  readonly #settings: HubSettings
  readonly #warn: (kind: string, message: string) => void
  readonly #claimsIn: ClaimsIn

  constructor(settings: HubSettings, warn: (kind: string, message: string) => void, claimsIn: ClaimsIn) {
    this.#settings = settings
    this.#warn = warn
    this.#claimsIn = claimsIn
  }

  /** Takes one `signal` event of `conn`: parses it, charges its size, and queues it behind the connection's earlier signals. */
  receive(conn: HubConnection, payload: unknown, ack: Ack<'signal'> | undefined): void {
    const request = parseSignalRequest(payload)
    if (request === null) {
      return conn.refuse(ack, hubError('badarg', 'malformed signal: expected {to, data} with data ≤ 64 KiB of plain JSON'), 'signal')
    }
    const { maxPendingSignalBytes, log } = this.#settings
    const size = Math.max(0, jsonSize(request.data, HubLimits.signalMaxBytes))
    conn.bucket.charge(Math.floor(size / SIGNAL_BYTES_PER_MESSAGE))
    if (conn.pendingBytes + size > maxPendingSignalBytes) {
      this.#warn('pending', `${conn.name} has more than ${maxPendingSignalBytes} bytes of signals waiting (maxPendingSignalBytes); refusing more`)
      return conn.refuse(ack, hubError('badarg', 'too many signals in flight'), 'signal')
    }
    // One queue per connection keeps a sender's signals in order (offer before candidates).
    conn.pendingBytes += size
    conn.signals = conn.signals
      .then(() => this.#forward(conn, request, ack))
      .catch((error: unknown) => log.error(`signal relay failed: ${errorMessage(error)}`))
      .finally(() => {
        conn.pendingBytes -= size
      })
  }

  /** Forwards a signal to the oldest confirmed member with the target id, or answers `no_node`. */
  async #forward(conn: HubConnection, request: SignalRequest, ack: Ack<'signal'> | undefined): Promise<void> {
    const join = conn.join
    if (!conn.member || join === undefined) {
      return conn.refuse(ack, hubError('protocol', 'join a cluster before sending signals'), 'signal')
    }
    if (request.to === join.id) return conn.refuse(ack, hubError('badarg', 'cannot signal yourself'), 'signal')
    const targets = (await this.#claimsIn(idRoom(join.cluster, request.to))).filter(
      (c) => c.state === 'member' && c.cluster === join.cluster && c.id === request.to,
    )
    const target = targets.reduce<ClaimHandle | undefined>((best, c) => (best === undefined || isOlder(best, c) ? c : best), undefined)
    if (target === undefined) {
      if (ack !== undefined) ack(hubError('no_node', `no member ${request.to} in cluster ${join.cluster}`))
      else this.#settings.log.debug(`signal from ${join.cluster}/${join.id} to unknown ${request.to} dropped`)
      return
    }
    // the sender's id and incarnation come from its join; `ti` lets the receiver drop what
    // was meant for an earlier life of itself
    target.emit(HubEvents.signal, { from: join.id, fi: join.inc, ti: request.ti, data: request.data })
    ack?.({ ok: true })
  }
}
