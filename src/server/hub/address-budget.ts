/**
 * What one client address may cost the hub: connections held at once
 * (`maxConnectionsPerAddress`) and a token bucket of member notices
 * (`addressNoticeBurst`, refilled at `addressNoticesPerSecond`). A new connection costs
 * {@link CONNECTION_COST}; a join into a cluster of N other members costs 2N + 1 (its
 * member list, its join notice to each, and the leave notice to each that follows it).
 * Past the budget the address's new connections are refused at the upgrade and its joins
 * are answered `overloaded` (a node retries them); other addresses are not affected.
 *
 * The address is the TCP peer's, or what the `clientAddress` option reads (behind a
 * proxy: the last X-Forwarded-For entry, see {@link forwardedFor}). IPv6 addresses share
 * a budget per /64, as one host may hold a whole /64.
 */
import { isIP } from 'node:net'
import { TokenBucket } from './guards.js'
import type { ClientRequest, HubSettings } from './options.js'
import type { TimerHandle } from '../../core/util/async.js'

/** Notices a new connection costs against its address's budget (a handshake's work). */
export const CONNECTION_COST = 10

/** How often addresses without connections and with a full bucket are forgotten. */
const SWEEP_MS = 10_000

/**
 * The address a proxy in front of the hub appended to `X-Forwarded-For` (its last entry),
 * or the TCP peer's when there is none. For `clientAddress` when every client reaches the
 * hub through a proxy that sets the header; never when clients can reach the hub directly
 * (they could name any address).
 */
export function forwardedFor(request: ClientRequest): string {
  const header = request.headers['x-forwarded-for']
  const text = Array.isArray(header) ? header[header.length - 1] : header
  const last = text?.slice(Math.max(0, text.lastIndexOf(',') + 1)).trim()
  return last !== undefined && isIP(last) !== 0 ? last : request.address
}

/** The key a budget is kept under: an IPv4 address (IPv4-mapped included), or an IPv6 /64. */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)
  if (mapped?.[1] !== undefined) return mapped[1]
  if (isIP(address) !== 6) return address
  const bare = address.split('%')[0] ?? address
  const [head = '', tail] = bare.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}

interface AddressState {
  connections: number
  readonly bucket: TokenBucket
}

/** The budgets of every address with connections or an unfilled bucket. */
export class AddressBudgets {
  readonly #settings: HubSettings
  readonly #addresses = new Map<string, AddressState>()
  /** Most addresses remembered; past it those without connections are forgotten early. */
  readonly #maxAddresses: number
  readonly #sweep: TimerHandle

  constructor(settings: HubSettings) {
    this.#settings = settings
    this.#maxAddresses = Math.max(65_536, 2 * settings.maxConnections)
    this.#sweep = setInterval(() => this.#forget(false), SWEEP_MS)
    this.#sweep.unref()
  }

  /** The key of the address a request comes from (`clientAddress`, then {@link addressKey}). */
  keyOf(request: ClientRequest): string {
    return addressKey(this.#settings.clientAddress(request))
  }

  /** Why a new connection from `key` is refused, or undefined when it may open (and is charged). */
  refuseConnection(key: string): string | undefined {
    const state = this.#state(key)
    if (state.connections >= this.#settings.maxConnectionsPerAddress) {
      return `${state.connections} connections from ${key} (maxConnectionsPerAddress ${this.#settings.maxConnectionsPerAddress})`
    }
    if (!state.bucket.take(CONNECTION_COST)) return this.#spent(key)
    return undefined
  }

  opened(key: string): void {
    this.#state(key).connections++
  }

  closed(key: string): void {
    const state = this.#addresses.get(key)
    if (state !== undefined) state.connections = Math.max(0, state.connections - 1)
  }

  /** Charges a join into a cluster of `members` others; why it is refused, or undefined. */
  refuseJoin(key: string, members: number): string | undefined {
    return this.#state(key).bucket.take(2 * members + 1) ? undefined : this.#spent(key)
  }

  stop(): void {
    clearInterval(this.#sweep)
  }

  #spent(key: string): string {
    const { addressNoticeBurst, addressNoticesPerSecond } = this.#settings
    return `${key} spent its budget of member notices (addressNoticeBurst ${addressNoticeBurst}, addressNoticesPerSecond ${addressNoticesPerSecond})`
  }

  #state(key: string): AddressState {
    let state = this.#addresses.get(key)
    if (state === undefined) {
      if (this.#addresses.size >= this.#maxAddresses) this.#forget(true)
      state = { connections: 0, bucket: new TokenBucket(this.#settings.addressNoticeBurst, this.#settings.addressNoticesPerSecond) }
      this.#addresses.set(key, state)
    }
    return state
  }

  /** Forgets addresses without connections whose bucket is full again (any without connections when `all`). */
  #forget(all: boolean): void {
    for (const [key, state] of this.#addresses) {
      if (state.connections === 0 && (all || state.bucket.full())) this.#addresses.delete(key)
    }
  }
}
