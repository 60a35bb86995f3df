/**
 * The options of {@link createHub}, their defaults and their checks. Every bound the hub
 * keeps against what clients send is one of these: a name, a default, and a log line
 * when it acts (see `./hub-guards.ts`).
 */
import { BadArgError } from '../../core/api/errors.js'
import { logger } from '../../core/util/log.js'
import { optionChecks } from '../../core/util/options.js'
import type { AuthorizeRequest, AuthorizeVerdict, JwtOptions } from './authorize.js'
import type { IncomingHttpHeaders } from 'node:http'

/**
 * Where the hub reports what it refuses and what goes wrong. Whatever the logger, the
 * `debug` lines (joins, refusals, leaves, closed connections) also go to the debug log
 * `distribunator:hub` (`DEBUG=distribunator:hub`, or the CLI's `--verbose`), and so do
 * the `info` lines when no logger is given.
 */
export interface HubLogger {
  debug?(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

/**
 * Which web pages may connect, by the `Origin` header of the WebSocket upgrade: `'*'` for
 * any, a list of exact origins (`'https://app.example.com'`; a `'*'` entry allows any), or
 * a function that returns whether an origin may connect.
 */
export type AllowedOrigins = '*' | readonly string[] | ((origin: string) => boolean)

/** What the `clientAddress` hub option sees of a connection's HTTP request. */
export interface ClientRequest {
  /** The TCP peer's address. */
  readonly address: string
  readonly headers: IncomingHttpHeaders
}

/** Options of {@link createHub}. */
export interface HubOptions {
  /** TCP port; `0` picks a free one. Default 8080. */
  port?: number
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string
  /** A Redis server shared by several hub instances (e.g. `redis://127.0.0.1:6379`). */
  redisUrl?: string
  /**
   * Decides whether a client may join `request.cluster` as `request.id`, seeing what it
   * sent as `auth` and its connection (headers, address, origin): `false` refuses, `true`
   * admits, `{ claims }` admits and stamps these claims (plain JSON of at most 4 KiB, e.g.
   * `{ user: 'u-42', role: 'player' }`) on the member, which every member then reads with
   * `claimsOf(id)`. Called for every join and re-join. A throwing, rejecting or slow hook
   * refuses. With `jwt`, it runs after the token is verified and sees its claims.
   *
   * @example
   * authorize: ({ auth, handshake }) => handshake.origin === 'https://game.example.com' && { claims: { role: 'player' } }
   */
  authorize?: (request: AuthorizeRequest) => AuthorizeVerdict | Promise<AuthorizeVerdict>
  /**
   * Verify `auth` as a JWT (with `jose`): HS256 with `secret`, or RS256/ES256 with a PEM
   * `publicKey`. The token's `sub` must be the id, `exp`/`nbf` must hold, a `cluster`
   * claim must be the cluster; its other claims become the member's claims.
   */
  jwt?: JwtOptions
  /** Longest wait for `authorize`, in ms. Default 5000. */
  authorizeTimeoutMs?: number
  /**
   * A connection that is not a member of a cluster this long (ms) after it opened is
   * closed, whatever it sent meanwhile (refused or pending joins included). Default 30000.
   */
  joinDeadlineMs?: number
  /**
   * Web pages allowed to connect, checked on the WebSocket upgrade. Requests without an
   * `Origin` header (Node.js clients, other programs) are always allowed: this guards
   * against pages in a visitor's browser, not against other programs (use `authorize`).
   * Default: pages served from a loopback host (`localhost`, `*.localhost`, `127.x.x.x`,
   * `[::1]`, any port) or from the hub's own `host` when that is a specific address; the
   * `null` origin (local files, sandboxed frames) only when listed.
   * With `'*'` and no `authorize`, the hub warns at start that any web page can join.
   * A refused upgrade is answered HTTP 400 with the reason, and logged.
   */
  allowedOrigins?: AllowedOrigins
  /**
   * Most connections this hub instance holds at once (each hub of a Redis-linked group
   * counts its own). Past it, new connections are refused (HTTP 400 with the reason) and
   * logged. TCP sockets are capped too, at this plus a tenth (at least 16) for requests in
   * flight: a socket past that is closed as it is accepted, and logged. Default 10000.
   */
  maxConnections?: number
  /**
   * Most connections one client address holds at once (an IPv6 address counts by its
   * /64). Past it, the address's new connections are refused (HTTP 400) and logged.
   * Default 1000.
   */
  maxConnectionsPerAddress?: number
  /**
   * What one client address may make the hub send, in member notices: a token bucket of
   * this size, refilled at `addressNoticesPerSecond`. A new connection costs 10; a join
   * into a cluster of N other members (on this hub) costs 2N + 1: its member list, its
   * join notice to each and the leave notice that follows. Past it, the address's new
   * connections are refused and its joins answered `overloaded` (a node retries them),
   * and logged; other addresses are not affected. Default 5000: one address may form a
   * 65-member cluster at once, or join and leave a 300-member one about 8 times at once
   * and then about twice a second. Raise it where many members share one address (a
   * NAT): a 300-member cluster formed from one address costs about 90000.
   */
  addressNoticeBurst?: number
  /** Sustained rate of the same bucket, in member notices per second. Default 1000. */
  addressNoticesPerSecond?: number
  /**
   * The address a connection's budget is kept for. Default: the TCP peer's address.
   * Behind a proxy (TLS in front of the hub), every client has the proxy's address: pass
   * {@link forwardedFor} (the address the proxy appended to `X-Forwarded-For`) when every
   * client comes through the proxy.
   */
  clientAddress?: (request: ClientRequest) => string
  /** How often the hub pings each connection, in ms. Default 2000. */
  pingIntervalMs?: number
  /**
   * How long the hub waits for the answer to a ping (ms) before it drops the connection;
   * a member whose host vanished without closing TCP leaves within
   * `pingIntervalMs + pingTimeoutMs`. Default 3000.
   */
  pingTimeoutMs?: number
  /**
   * Messages (of any event) one connection may send at once, above its sustained rate: a
   * token bucket of this size, refilled at `maxMessagesPerSecond`. Each 4 KiB of signal
   * data counts as one more message. A message past the bucket is refused (ack
   * `protocol`, "rate limit") and counts as a strike. The default, 10000, lets a node
   * joining a cluster of a few hundred members send an offer and dozens of ICE candidates
   * to each at once.
   */
  maxMessageBurst?: number
  /** Sustained rate of the same bucket, in messages per second. Default 1000. */
  maxMessagesPerSecond?: number
  /**
   * Malformed, refused, out-of-order or over-rate messages a connection may send; at this
   * count it is closed and logged. Repeating a join on a joined connection counts, and so
   * does every refused join (`unauthorized`, `duplicate_id`). Default 100.
   */
  maxStrikes?: number
  /**
   * Most bytes of signal data from one connection waiting to be relayed (the relay keeps
   * one sender's signals in order). A signal past it is refused and counts as a strike.
   * Default 4 MiB.
   */
  maxPendingSignalBytes?: number
  /**
   * Most bytes the hub holds for sending to one connection (engine.io's queue plus the
   * WebSocket's buffer, beyond what the kernel took). A connection past it does not read
   * what it is sent (a slow consumer): it is closed at once and logged, and its cluster
   * is told it left. Default 4 MiB.
   */
  maxBufferedBytes?: number
  /**
   * Whether the hub relays link traffic between members that have no WebRTC link (the
   * relay path). Relayed messages pass through the hub, readable by its operator; members
   * that must never send payload through a server connect with `relay: false`. Default true.
   */
  relay?: boolean
  /** Relay bytes one connection may send per second (a token bucket). Default 8 MiB. */
  maxRelayBytesPerSecond?: number
  /** Relay bytes one connection may send at once, above its sustained rate. Default 16 MiB. */
  maxRelayBurstBytes?: number
  /**
   * How long members of another hub wait for a member of a hub that closed to come back
   * (through another hub) before they count it gone; sent with its leave notice. Default 10000.
   */
  awayGraceMs?: number
  /** Default: warnings and errors to the console, the rest to the debug log `distribunator:hub`. */
  logger?: HubLogger
}

/** The options with every default filled in. */
export interface HubSettings {
  readonly port: number
  readonly host: string
  readonly authorizeTimeoutMs: number
  readonly joinDeadlineMs: number
  readonly allowedOrigins: AllowedOrigins | undefined
  readonly maxConnections: number
  readonly maxConnectionsPerAddress: number
  readonly addressNoticeBurst: number
  readonly addressNoticesPerSecond: number
  readonly clientAddress: (request: ClientRequest) => string
  readonly pingIntervalMs: number
  readonly pingTimeoutMs: number
  readonly maxMessageBurst: number
  readonly maxMessagesPerSecond: number
  readonly maxStrikes: number
  readonly maxPendingSignalBytes: number
  readonly maxBufferedBytes: number
  readonly relay: boolean
  readonly maxRelayBytesPerSecond: number
  readonly maxRelayBurstBytes: number
  readonly awayGraceMs: number
  readonly log: Required<HubLogger>
}

/** The defaults, as documented on {@link HubOptions}. */
export const HUB_DEFAULTS = {
  port: 8080,
  host: '127.0.0.1',
  authorizeTimeoutMs: 5000,
  joinDeadlineMs: 30_000,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 1000,
  addressNoticeBurst: 5000,
  addressNoticesPerSecond: 1000,
  pingIntervalMs: 2000,
  pingTimeoutMs: 3000,
  maxMessageBurst: 10_000,
  maxMessagesPerSecond: 1000,
  maxStrikes: 100,
  maxPendingSignalBytes: 4 * 1024 * 1024,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxRelayBytesPerSecond: 8 * 1024 * 1024,
  maxRelayBurstBytes: 16 * 1024 * 1024,
  awayGraceMs: 10_000,
} as const

const debugLog = logger('distribunator:hub')

const consoleLogger: HubLogger = {
  info: (m) => debugLog('%s', m),
  warn: (m) => console.warn(`[distribunator hub] ${m}`),
  error: (m) => console.error(`[distribunator hub] ${m}`),
}

/** The logger the hub writes to: `log`, with its `debug` lines in the debug log too. */
function withDebugLog(log: HubLogger): Required<HubLogger> {
  return {
    debug: (m) => {
      debugLog('%s', m)
      log.debug?.(m)
    },
    info: (m) => log.info(m),
    warn: (m) => log.warn(m),
    error: (m) => log.error(m),
  }
}

/** The shared checks of options (core/util/options.ts), throwing `BadArgError`. */
const check = optionChecks(BadArgError)

/** A hub option that is a positive, finite number (a count, a rate, a time); `fallback` when not given. */
function positive(name: string, value: number | undefined, fallback: number): number {
  return check.valid(`hub option ${name}`, value, fallback, (v) => typeof v === 'number' && Number.isFinite(v) && v > 0, 'a positive number')
}

/** Fills in the defaults and checks every number; throws `BadArgError` for a bad value. */
export function resolveHubOptions(options: HubOptions): HubSettings {
  const origins = options.allowedOrigins
  if (origins !== undefined && origins !== '*' && typeof origins !== 'function') {
    if (!Array.isArray(origins) || !origins.every((o) => typeof o === 'string')) {
      throw new BadArgError("hub option allowedOrigins must be '*', a list of origins or a function")
    }
  }
  const clientAddress = options.clientAddress ?? ((request: ClientRequest): string => request.address)
  if (typeof clientAddress !== 'function') throw new BadArgError('hub option clientAddress must be a function')
  const port = options.port ?? HUB_DEFAULTS.port
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new BadArgError(`hub option port must be 0..65535, got ${String(port)}`)
  return {
    port,
    host: options.host ?? HUB_DEFAULTS.host,
    authorizeTimeoutMs: positive('authorizeTimeoutMs', options.authorizeTimeoutMs, HUB_DEFAULTS.authorizeTimeoutMs),
    joinDeadlineMs: positive('joinDeadlineMs', options.joinDeadlineMs, HUB_DEFAULTS.joinDeadlineMs),
    allowedOrigins: origins,
    maxConnections: positive('maxConnections', options.maxConnections, HUB_DEFAULTS.maxConnections),
    maxConnectionsPerAddress: positive('maxConnectionsPerAddress', options.maxConnectionsPerAddress, HUB_DEFAULTS.maxConnectionsPerAddress),
    addressNoticeBurst: positive('addressNoticeBurst', options.addressNoticeBurst, HUB_DEFAULTS.addressNoticeBurst),
    addressNoticesPerSecond: positive('addressNoticesPerSecond', options.addressNoticesPerSecond, HUB_DEFAULTS.addressNoticesPerSecond),
    clientAddress,
    pingIntervalMs: positive('pingIntervalMs', options.pingIntervalMs, HUB_DEFAULTS.pingIntervalMs),
    pingTimeoutMs: positive('pingTimeoutMs', options.pingTimeoutMs, HUB_DEFAULTS.pingTimeoutMs),
    maxMessageBurst: positive('maxMessageBurst', options.maxMessageBurst, HUB_DEFAULTS.maxMessageBurst),
    maxMessagesPerSecond: positive('maxMessagesPerSecond', options.maxMessagesPerSecond, HUB_DEFAULTS.maxMessagesPerSecond),
    maxStrikes: positive('maxStrikes', options.maxStrikes, HUB_DEFAULTS.maxStrikes),
    maxPendingSignalBytes: positive('maxPendingSignalBytes', options.maxPendingSignalBytes, HUB_DEFAULTS.maxPendingSignalBytes),
    maxBufferedBytes: positive('maxBufferedBytes', options.maxBufferedBytes, HUB_DEFAULTS.maxBufferedBytes),
    relay: options.relay ?? true,
    maxRelayBytesPerSecond: positive('maxRelayBytesPerSecond', options.maxRelayBytesPerSecond, HUB_DEFAULTS.maxRelayBytesPerSecond),
    maxRelayBurstBytes: positive('maxRelayBurstBytes', options.maxRelayBurstBytes, HUB_DEFAULTS.maxRelayBurstBytes),
    awayGraceMs: positive('awayGraceMs', options.awayGraceMs, HUB_DEFAULTS.awayGraceMs),
    log: withDebugLog(options.logger ?? consoleLogger),
  }
}
