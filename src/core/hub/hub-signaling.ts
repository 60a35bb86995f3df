/**
 * `Signaling` over a Socket.IO hub (see `src/server/hub/hub.ts` and `./hub-protocol.ts`).
 * Runs in browsers and in Node alike. It imports no transport: the platform entries hand
 * in socket.io-client's `io` (a `HubConnector`), so the core stays free of it.
 *
 * The client owns its reconnection (socket.io's own is turned off) so that it can move
 * between hub URLs: a lost connection is retried on the same URL, a failed connect or an
 * unanswered join moves to the next one, with a jittered exponential backoff. Every
 * connection joins with the same id and the same secret `key`, which lets the hub
 * replace this client's stale connection instead of refusing the id as a duplicate.
 */
import { BadArgError, ClosedError, DistributedError, errorMessage, HubUnreachableError } from '../api/errors.js'
import { isIncarnation, newIncarnation } from '../api/pid.js'
import { type TimerHandle, unref } from '../util/async.js'
import { logger } from '../util/log.js'
import { randomUuid } from '../util/uuid.js'
import { type ConnectErrorExplainer, type ConnectFailure, explainConnectError } from './connect-failure.js'
import { HubEvents, HubLimits, isHubName, isJson, parseJoinReply, parseMemberNotice, parseSignalNotice } from './hub-protocol.js'
import type { Json, MemberInfo } from './hub-protocol.js'
import { type HubProbe, PROBE_AFTER_MS } from './hub-probe.js'
import { parseRelayNotice, parseRelayRefusal, RELAY_EVENT, RELAY_REFUSED_EVENT, type RelayNotice, type RelayRefusal } from './relay-protocol.js'
import type { JoinResult, RelayTransport, Signaling, SignalingEnd } from './signaling.js'

import { authFor, type HubConnector, type HubSocket, hubUrls, joinRequest, membersAfter, resolveSignalingOptions, type SignalingTimings, type SocketIoSignalingOptions } from './signaling-options.js'

export { hubUrls }
export type { HubConnector, HubSocket, SocketIoSignalingOptions }

type Timer = TimerHandle

const REFUSALS = new Set(['duplicate_id', 'unauthorized', 'badarg', 'protocol'])
const log = logger('distribunator:signaling')

class SocketIoSignaling implements Signaling {
  readonly id: string
  readonly incarnation: number
  readonly #key = randomUuid()
  readonly #urls: readonly string[]
  readonly #problem: string | undefined
  #socket: HubSocket | undefined
  /** The URL of `socket`. */
  #url = ''
  #urlIndex = 0
  #attempts = 0
  #joined = false
  #everJoined = false
  #closed = false
  /** Member events that arrived while a join was awaiting its reply, applied to its member list. */
  #buffered: Array<[kind: 'join' | 'leave', member: MemberInfo]> | undefined
  #retryTimer: Timer | undefined
  /** Set when a connection opens: its join must be answered by then. */
  #replyTimer: Timer | undefined
  /** Counts connection attempts, so that an `auth` value read for an earlier one is not used. */
  #attempt = 0
  #deadline: Timer | undefined
  #joinPromise: Promise<JoinResult> | undefined
  #settle: { resolve: (r: JoinResult) => void; reject: (e: Error) => void } | undefined
  #memberJoinHandler: (member: MemberInfo) => void = () => {}
  #memberLeaveHandler: (id: string, inc: number, awayMs?: number, kicked?: string) => void = () => {}
  #relayHandler: (notice: RelayNotice) => void = () => {}
  #relayRefusedHandler: (refusal: RelayRefusal) => void = () => {}
  #signalHandler: (from: string, inc: number, data: unknown) => void = () => {}
  #joinedHandler: (result: JoinResult) => void = () => {}
  /** When the hub confirmed the current connection's join (its `at`; -Infinity from a hub that does not say: no member-join is then taken as unlisted). */
  #confirmedAt = -Infinity
  #statusHandler: (status: 'connected' | 'disconnected', url?: string) => void = () => {}
  #endedHandler: (end: SignalingEnd) => void = () => {}
  /** Why each hub URL failed last (for the error of a first join that never completes). */
  readonly #failures = new Map<string, ConnectFailure>()
  /** Why the platform's probe found no hub at a URL, during a first join: once every URL has a reason, that join fails. */
  readonly #found = new Map<string, string>()
  readonly #options: SocketIoSignalingOptions
  /** `joinTimeoutMs`, `ackTimeoutMs`, `retryDelayMs`, `maxRetryDelayMs`, given or their defaults. */
  readonly #timings: SignalingTimings
  readonly #connect: HubConnector
  readonly #explain: ConnectErrorExplainer | undefined
  readonly #probe: HubProbe | undefined

  constructor(options: SocketIoSignalingOptions, connect: HubConnector, explain: ConnectErrorExplainer | undefined, probe: HubProbe | undefined) {
    this.#options = options
    this.#connect = connect
    this.#explain = explain
    this.#probe = probe
    this.id = options.id ?? randomUuid()
    this.incarnation = options.incarnation ?? newIncarnation()
    const resolved = resolveSignalingOptions(options, this.id, this.incarnation)
    this.#urls = resolved.urls
    this.#timings = resolved.timings
    this.#problem = resolved.problem
  }

  join(): Promise<JoinResult> {
    this.#joinPromise ??= new Promise<JoinResult>((resolve, reject) => {
      if (this.#closed) return reject(new ClosedError('signaling is closed'))
      if (this.#problem !== undefined) return reject(new BadArgError(this.#problem))
      this.#settle = { resolve, reject }
      const ms = this.#timings.joinTimeoutMs
      this.#deadline = setTimeout(() => this.#fail(this.#unreachable(ms)), ms)
      unref(this.#deadline)
      this.#open()
    })
    return this.#joinPromise
  }

  onMemberJoin(handler: (member: MemberInfo) => void): void {
    this.#memberJoinHandler = handler
  }

  onMemberLeave(handler: (id: string, inc: number, awayMs?: number, kicked?: string) => void): void {
    this.#memberLeaveHandler = handler
  }

  onSignal(handler: (from: string, inc: number, data: unknown) => void): void {
    this.#signalHandler = handler
  }

  onJoined(handler: (result: JoinResult) => void): void {
    this.#joinedHandler = handler
  }

  onStatus(handler: (status: 'connected' | 'disconnected', url?: string) => void): void {
    this.#statusHandler = handler
  }

  onEnded(handler: (end: SignalingEnd) => void): void {
    this.#endedHandler = handler
  }

  /**
   * Relays `data` to incarnation `inc` of member `to`; dropped while not joined. Throws
   * `BadArgError` for an invalid id or incarnation, or for data that is not plain JSON of
   * at most 64 KiB (the hub would refuse it).
   */
  sendSignal(to: string, inc: number, data: unknown): void {
    if (!isHubName(to)) throw new BadArgError(`invalid member id ${JSON.stringify(String(to)).slice(0, 140)}`)
    if (!isIncarnation(inc)) throw new BadArgError(`invalid incarnation ${String(inc).slice(0, 40)}`)
    if (!isJson(data, HubLimits.signalMaxBytes)) throw new BadArgError('signal data must be plain JSON of at most 64 KiB')
    const socket = this.#socket
    if (this.#joined && socket !== undefined) socket.emit(HubEvents.signal, { to, ti: inc, data })
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#retryTimer)
    this.#drop()
    this.#fail(new ClosedError('signaling was closed before the join completed'))
  }

  /** The error of a first join: not complete in `ms`, or (no `ms`) no hub anywhere, as the probe found; the last failure as `cause`. */
  #unreachable(ms?: number): DistributedError {
    const why = this.#urls.map((url) => `${url}: ${this.#found.get(url) ?? this.#failures.get(url)?.reason ?? (this.#socket !== undefined && url === this.#url ? 'no answer yet' : 'not tried yet')}`)
    const last = [...this.#failures.values()].pop()
    return new HubUnreachableError(`no hub answered${ms === undefined ? '' : ` within ${ms} ms`}: ${why.join('; ')}`, last === undefined ? undefined : { cause: last.cause })
  }

  /** Asks the platform's probe (./hub-probe.ts) about `url`, whose WebSocket `failed` or has not opened yet: a first join only. */
  #look(url: string, failed: boolean): void {
    if (this.#everJoined) return
    this.#probe?.(url, failed).then((reason) => {
      if (reason === undefined || this.#everJoined) return
      this.#found.set(url, reason)
      if (this.#urls.every((each) => this.#found.has(each))) this.#fail(this.#unreachable())
    }, () => {})
  }

  /** Notes why `url` failed, for the logs and the error of a first join that never completes. */
  #failed(url: string, failure: ConnectFailure): void {
    this.#failures.delete(url)
    this.#failures.set(url, failure)
    log('%s: %s', url, failure.reason)
  }

  /** Rejects a pending first join and stops for good. */
  #fail(error: DistributedError): void {
    clearTimeout(this.#deadline)
    const settle = this.#settle
    this.#settle = undefined
    if (settle === undefined) return
    this.#closed = true
    clearTimeout(this.#retryTimer)
    this.#drop()
    settle.reject(error)
  }

  /** Connects to the next hub URL; the join rides in the connection (handshake `auth`), answered one round trip sooner. */
  #open(): void {
    if (this.#closed) return
    const url = this.#urls[this.#urlIndex % this.#urls.length] ?? ''
    this.#url = url
    const attempt = ++this.#attempt
    log('connecting to %s', url)
    let auth: ReturnType<typeof authFor>
    try {
      auth = authFor(this.#options.auth) // a value at once; a function's promise (a token fetched) later
    } catch (error) {
      return this.#authFailed(url, error)
    }
    if (!(auth instanceof Promise)) return this.#connectTo(url, auth)
    const still = (): boolean => attempt === this.#attempt && !this.#closed
    auth.then((value) => void (still() && this.#connectTo(url, value)), (error: unknown) => void (still() && this.#authFailed(url, error)))
  }

  #authFailed(url: string, error: unknown): void {
    if (error instanceof BadArgError && !this.#everJoined) return this.#fail(error)
    this.#failed(url, { reason: `the auth function failed: ${errorMessage(error)}`, cause: error })
    this.#retry(false)
  }

  #connectTo(url: string, auth: Json | undefined): void {
    const request = joinRequest(this.#options, this.id, this.#key, this.incarnation, auth)
    const socket = (this.#options.io ?? this.#connect)(url, {
      forceNew: true,
      reconnection: false,
      transports: ['websocket'],
      timeout: this.#timings.ackTimeoutMs,
      auth: { join: request },
    })
    this.#socket = socket
    // member events that come before the join's reply apply to its member list
    this.#buffered = []
    const current = (): boolean => this.#socket === socket && !this.#closed
    let opened = false
    // a first connect that neither opens nor fails for a while (a server that holds WebSockets): the probe looks
    if (!this.#everJoined) unref(setTimeout(() => current() && !opened && this.#look(url, false), PROBE_AFTER_MS))
    socket.on('connect', () => {
      if (!current()) return
      opened = true
      log('connected to %s', url)
      const ackMs = this.#timings.ackTimeoutMs
      this.#replyTimer = setTimeout(() => {
        if (!current() || this.#joined) return
        this.#failed(url, { reason: `connected, but the join got no answer in ${ackMs} ms`, cause: undefined })
        this.#retry(true)
      }, ackMs)
      unref(this.#replyTimer)
      socket.emit(HubEvents.join, request, answered) // for a hub that read none from the handshake (older, or auth dropped)
    })
    const answered = (payload: unknown): void => {
      if (!current() || this.#joined) return
      clearTimeout(this.#replyTimer)
      this.#joinReply(url, payload)
    }
    socket.on(HubEvents.joined, answered)
    socket.on('connect_error', (error: unknown) => {
      if (!current()) return
      const failure = explainConnectError(error, url, this.#explain)
      this.#failed(url, failure)
      if (failure.unexplained) this.#look(url, true)
      this.#retry(true)
    })
    socket.on('disconnect', (reason: unknown) => {
      if (!current()) return
      const wasJoined = this.#joined
      if (!wasJoined) this.#failed(url, { reason: `closed before the join was answered (${String(reason).slice(0, 80)})`, cause: undefined })
      else log('%s: connection lost (%s)', url, reason)
      this.#retry(false)
      if (wasJoined) this.#statusHandler('disconnected', url)
    })
    socket.on(HubEvents.memberJoin, (payload: unknown) => {
      const notice = parseMemberNotice(payload)
      if (!current() || notice === null || notice.id === this.id) return
      log('member %s joined', notice.id)
      const { away: _away, kicked: _kicked, la, ...member } = notice
      // before the reply: in its member list, which this node opens links to
      if (this.#buffered !== undefined) this.#buffered.push(['join', member])
      else if (this.#joined) this.#memberJoinHandler(la !== undefined && la <= this.#confirmedAt ? { ...member, unlisted: true } : member)
    })
    socket.on(HubEvents.memberLeave, (payload: unknown) => {
      const notice = parseMemberNotice(payload)
      if (!current() || notice === null || notice.id === this.id) return
      if (this.#buffered !== undefined) this.#buffered.push(['leave', notice])
      else if (this.#joined) this.#memberLeaveHandler(notice.id, notice.inc, notice.away, notice.kicked)
    })
    // What was meant for another incarnation of this node (its earlier life) is dropped here.
    socket.on(HubEvents.signal, (payload: unknown) => {
      const notice = parseSignalNotice(payload)
      if (current() && this.#joined && notice !== null && notice.ti === this.incarnation) this.#signalHandler(notice.from, notice.fi, notice.data)
    })
    socket.on(RELAY_EVENT, (payload: unknown) => {
      const notice = parseRelayNotice(payload)
      if (current() && this.#joined && notice !== null && notice.from !== this.id && notice.toInc === this.incarnation) this.#relayHandler(notice)
    })
    socket.on(HubEvents.kicked, (payload: unknown) => {
      const reason: unknown = typeof payload === 'object' && payload !== null ? Reflect.get(payload, 'reason') : undefined
      if (current() && this.#joined) this.#end('kicked', typeof reason === 'string' ? reason.slice(0, 1024) : 'removed by the hub', url)
    })
    socket.on(RELAY_REFUSED_EVENT, (payload: unknown) => {
      const refusal = parseRelayRefusal(payload)
      if (current() && refusal !== null) this.#relayRefusedHandler(refusal)
    })
  }

  readonly relay: RelayTransport = {
    send: (targets, data) => {
      const socket = this.#socket
      if (!this.#joined || socket === undefined) return false
      socket.emit(RELAY_EVENT, data === undefined ? { t: targets } : { t: targets, d: data })
      return true
    },
    onPacket: (handler) => {
      this.#relayHandler = handler
    },
    onRefused: (handler) => {
      this.#relayRefusedHandler = handler
    },
  }

  /** The hub answered the join of the current connection. */
  #joinReply(url: string, payload: unknown): void {
    const reply = parseJoinReply(payload)
    if (reply === null) return this.#refused(url, 'protocol', 'the hub sent a malformed join reply')
    if (!reply.ok) return this.#refused(url, reply.code, reply.message)
    const members = membersAfter(reply.members, this.#buffered ?? [], this.id)
    this.#buffered = undefined
    this.#confirmedAt = reply.at ?? -Infinity
    this.#joined = true
    this.#attempts = 0
    this.#failures.clear()
    const result: JoinResult = { id: this.id, members, ...(reply.claims === undefined ? {} : { claims: reply.claims }) }
    const settle = this.#settle
    this.#settle = undefined
    clearTimeout(this.#deadline)
    this.#everJoined = true
    log('joined %s as %s via %s: %d members', this.#options.cluster, this.id, url, result.members.length)
    // Before any member event that follows this reply, and before join() resolves:
    // handlers see the member list, then each change to it, in order.
    this.#joinedHandler(result)
    settle?.resolve(result)
    this.#statusHandler('connected', url)
  }

  #refused(url: string, code: string, message: string): void {
    log('%s refused the join: %s: %s', url, code, message)
    if (!this.#everJoined && REFUSALS.has(code)) {
      const known = code === 'duplicate_id' || code === 'unauthorized' || code === 'badarg' ? code : 'protocol'
      return this.#fail(new DistributedError(known, `hub refused the join: ${message}`))
    }
    // Part of the cluster before: an admission that no longer holds ends the node (no
    // endless retry); anything else is tried again (the id may free up).
    if (code === 'unauthorized') return this.#end('unauthorized', message, url)
    this.#retry(false)
  }

  /** The hub will not have this node back: stop for good, and say why. */
  #end(code: SignalingEnd['code'], message: string, url: string): void {
    if (this.#closed) return
    log('%s: %s: %s; not reconnecting', url, code, message)
    this.#closed = true
    clearTimeout(this.#retryTimer)
    this.#drop()
    this.#endedHandler({ code, message, url })
  }

  /** Closes the current connection and schedules the next attempt. */
  #retry(nextUrl: boolean): void {
    this.#drop()
    if (this.#closed) return
    if (nextUrl) this.#urlIndex = (this.#urlIndex + 1) % this.#urls.length
    const { retryDelayMs, maxRetryDelayMs } = this.#timings
    const delay = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** Math.min(this.#attempts, 16)) * (0.5 + Math.random() / 2)
    this.#attempts++
    log('next attempt in %d ms', Math.round(delay))
    clearTimeout(this.#retryTimer)
    this.#retryTimer = setTimeout(() => this.#open(), delay)
  }

  #drop(): void {
    const socket = this.#socket
    this.#socket = undefined
    this.#attempt++
    clearTimeout(this.#replyTimer)
    this.#joined = false
    this.#buffered = undefined
    if (socket === undefined) return
    socket.off()
    socket.disconnect()
  }
}

/**
 * Creates a `Signaling` backend that joins `cluster` on a Socket.IO hub through
 * `connect` (socket.io-client's `io`), with the platform's `explain` for why a connection
 * failed and its `probe` (a page's, which can end a first join early: ./hub-probe.ts).
 * `distribunator/browser` and `distribunator/server` export
 * `createSocketIoSignaling(options)`, which hands in their own copy of `io`.
 *
 * @example
 * // `io`: socket.io-client's, as the entries hand it in
 * const signaling = createHubSignaling({ hub: 'http://127.0.0.1:8080', cluster: 'demo' }, io)
 * signaling.onJoined(({ members }) => console.log('present', members))
 * signaling.onMemberJoin((id) => console.log('joined', id))
 * await signaling.join()
 */
export function createHubSignaling(options: SocketIoSignalingOptions, connect: HubConnector, explain?: ConnectErrorExplainer, probe?: HubProbe): Signaling & { readonly id: string } {
  return new SocketIoSignaling(options, connect, explain, probe)
}
