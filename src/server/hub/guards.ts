/**
 * The hub's gates on clients: who may open a connection (origin, count), how long a
 * connection may stay without joining, how fast it may send (a token bucket), which
 * events it may send, and how much may wait for it to read; and logging of what these
 * refuse without letting a flood of refusals flood the log.
 */
import type { IncomingMessage } from 'node:http'
import { errorMessage } from '../../core/api/errors.js'
import { hubError, type HubErrorReply } from '../../core/hub/hub-protocol.js'
import { RELAY_EVENT } from '../../core/hub/relay-protocol.js'
import { terminate, watchOutgoing } from './engine-socket.js'
import { type HubSocket, isClientEvent, splitAck } from './events.js'
import type { AllowedOrigins, HubLogger, HubSettings } from './options.js'

/** How often one kind of refusal is logged at most; the rest are counted into the next line. */
const LOG_INTERVAL_MS = 10_000

/**
 * Returns a logger of refusals that writes the first of each kind, then at most one line
 * per kind every 10 s, saying how many it left out meanwhile.
 */
export function throttledWarn(log: HubLogger): (kind: string, message: string) => void {
  const kinds = new Map<string, { until: number; skipped: number }>()
  return (kind, message) => {
    const now = Date.now()
    const state = kinds.get(kind)
    if (state !== undefined && now < state.until) {
      state.skipped++
      return
    }
    const skipped = state === undefined || state.skipped === 0 ? '' : ` (and ${state.skipped} more like it in the ${LOG_INTERVAL_MS / 1000} s before)`
    log.warn(`${message}${skipped}`)
    kinds.set(kind, { until: now + LOG_INTERVAL_MS, skipped: 0 })
  }
}

/**
 * A token bucket: `burst` tokens, refilled at `perSecond`. A message is admitted while at
 * least one token is left; its cost may take the bucket below zero, so a large message
 * delays the ones after it instead of being refused itself.
 */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    now = performance.now(),
  ) {
    this.tokens = burst
    this.last = now
  }

  /** Admits one message of `cost` tokens, or refuses it (and takes nothing). */
  take(cost = 1, now = performance.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000)
    this.last = now
    if (this.tokens < 1) return false
    this.tokens -= cost
    return true
  }

  /** Whether the bucket has refilled to its burst. */
  full(now = performance.now()): boolean {
    return this.tokens + ((now - this.last) * this.perSecond) / 1000 >= this.burst
  }

  /** Charges more for a message already admitted, once its size is known. */
  charge(cost: number): void {
    this.tokens -= cost
  }
}

const LOOPBACK_HOST = /^(localhost|[a-z0-9.-]+\.localhost|127(\.\d{1,3}){3}|\[::1\])$/
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', ''])

function hostnameOf(origin: string): string | undefined {
  try {
    const url = new URL(origin)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.hostname.toLowerCase() : undefined
  } catch {
    return undefined
  }
}

/** Whether an origin may connect; `open` when any may (so the hub can warn). */
export interface OriginPolicy {
  readonly open: boolean
  readonly describe: string
  allows(origin: string): boolean
}

/** Builds the check of the `allowedOrigins` hub option, default included. */
export function originPolicy(allowed: AllowedOrigins | undefined, host: string): OriginPolicy {
  if (allowed === '*' || (Array.isArray(allowed) && allowed.includes('*'))) {
    return { open: true, describe: 'any origin', allows: () => true }
  }
  if (typeof allowed === 'function') return { open: false, describe: 'the allowedOrigins function', allows: allowed }
  if (allowed !== undefined) {
    const list = new Set(allowed.map((o) => o.toLowerCase().replace(/\/+$/, '')))
    return { open: false, describe: `the allowedOrigins list (${[...list].join(', ')})`, allows: (origin) => list.has(origin.toLowerCase()) }
  }
  const own = host.toLowerCase()
  const ownHost = WILDCARD_HOSTS.has(own) ? undefined : own.includes(':') && !own.startsWith('[') ? `[${own}]` : own
  return {
    open: false,
    describe: `pages on loopback hosts${ownHost === undefined ? '' : ` or on ${ownHost}`} (set allowedOrigins to admit others)`,
    allows: (origin) => {
      const name = hostnameOf(origin)
      return name !== undefined && (LOOPBACK_HOST.test(name) || name === ownHost)
    },
  }
}

/** What engine.io asks before it accepts a new connection. */
export type AllowRequest = (req: IncomingMessage, answer: (error: string | null | undefined, success: boolean) => void) => void

/**
 * The `allowRequest` of the engine.io server: refuses a new connection past
 * `maxConnections`, past its address's budget (./address-budget.ts) or from a page whose
 * origin the policy refuses, with a log line.
 * Requests without an `Origin` header are not from a web page and pass the origin check.
 */
export function admission(
  settings: HubSettings,
  policy: OriginPolicy,
  connections: () => number,
  /** Why the request's address may open no more connections now, or undefined. */
  overBudget: (req: IncomingMessage) => string | undefined,
  warn: (kind: string, message: string) => void,
): AllowRequest {
  return (req, answer) => {
    const origin = req.headers.origin
    let allowed = true
    if (origin !== undefined) {
      try {
        allowed = policy.allows(origin) === true
      } catch (error) {
        settings.log.error(`allowedOrigins threw for ${JSON.stringify(origin).slice(0, 200)}: ${error instanceof Error ? error.message : String(error)}`)
        allowed = false
      }
    }
    if (!allowed) {
      warn('origin', `refused a connection from origin ${JSON.stringify(origin).slice(0, 200)}: not among ${policy.describe}`)
      return answer('origin not allowed', false)
    }
    if (connections() >= settings.maxConnections) {
      warn('connections', `refused a connection: maxConnections (${settings.maxConnections}) reached`)
      return answer('too many connections', false)
    }
    const refusal = overBudget(req)
    if (refusal !== undefined) {
      warn('address', `refused a connection: ${refusal}`)
      return answer('too many connections from this address', false)
    }
    answer(null, true)
  }
}

/**
 * Starts the bounds of one connection that need no message to act: the join deadline
 * (closed if not a member by then) and the outgoing queue (closed at once past
 * `maxBufferedBytes`). `stop` when the connection is gone.
 */
export function guardConnection(
  socket: HubSocket,
  settings: HubSettings,
  warn: (kind: string, message: string) => void,
  name: () => string,
  isMember: () => boolean,
): { stop(): void } {
  const deadline = setTimeout(() => {
    if (isMember() || socket.disconnected) return
    warn('deadline', `closing ${name()}: not a member ${settings.joinDeadlineMs} ms after connecting (joinDeadlineMs, the join deadline)`)
    socket.disconnect(true)
  }, settings.joinDeadlineMs)
  deadline.unref()
  let slow = false
  watchOutgoing(socket.conn, (bytes) => {
    if (slow || bytes <= settings.maxBufferedBytes) return
    slow = true
    warn('slow', `closing ${name()}: slow consumer, ${bytes} bytes queued for it (maxBufferedBytes ${settings.maxBufferedBytes})`)
    // Not inside the emit that queued the packet (it may be a broadcast walking a room).
    queueMicrotask(() => terminate(socket.conn))
  })
  return { stop: () => clearTimeout(deadline) }
}

/** What the event guard needs of a connection (a `HubConnection`). */
export interface GuardedConnection {
  /** Its message budget. */
  readonly bucket: TokenBucket
  /** The connection in log lines. */
  readonly name: string
  /** Refuses a message with a strike (./connection.ts). */
  refuse(ack: ((reply: HubErrorReply) => void) | undefined, reply: HubErrorReply, what: string): void
}

/**
 * The Socket.IO middleware (`socket.use`) that sees every event a connection sends before
 * any handler: an event past the connection's message budget (`relay` aside, which has a
 * byte budget of its own: ./relay.ts) or one the hub does not handle is refused with a
 * strike and goes no further.
 */
export function guardEvents(
  conn: GuardedConnection,
  settings: HubSettings,
  warn: (kind: string, message: string) => void,
): (event: unknown[], next: (error?: Error) => void) => void {
  const limits = `${settings.maxMessageBurst} at once, ${settings.maxMessagesPerSecond} per second`
  return (event, next) => {
    try {
      const name = event[0]
      if (name === RELAY_EVENT) return next()
      if (!conn.bucket.take()) {
        warn('rate', `${conn.name} is over the rate limit (${limits}: maxMessageBurst, maxMessagesPerSecond); refusing its messages`)
        return conn.refuse(splitAck(event.slice(1)).ack, hubError('protocol', `rate limit: at most ${limits}`), 'message')
      }
      if (!isClientEvent(name)) {
        return conn.refuse(splitAck(event.slice(1)).ack, hubError('protocol', `unknown event ${JSON.stringify(String(name)).slice(0, 80)}`), 'message')
      }
      next()
    } catch (error) {
      settings.log.error(`message handling failed: ${errorMessage(error)}`)
    }
  }
}
