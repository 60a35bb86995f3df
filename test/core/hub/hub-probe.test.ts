// The platform's probe in the Socket.IO signaling (src/core/hub/hub-probe.ts), over a
// stand-in for socket.io-client's `io` whose sockets the test opens, fails or answers: a
// first join ends as soon as the probe has found why for every URL, and not before; the
// probe is asked after a WebSocket error without a reason, or after a connect held open,
// never about what the core can say itself, and never once the node has joined.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { HubUnreachableError } from '../../../src/core/api/errors.js'
import { PROBE_AFTER_MS, type HubProbe } from '../../../src/core/hub/hub-probe.js'
import { createHubSignaling } from '../../../src/core/hub/hub-signaling.js'
import type { HubConnector, HubSocket } from '../../../src/core/hub/signaling-options.js'

/** One socket the signaling opened: its URL and a way to fire its events. */
interface FakeSocket {
  readonly url: string
  fire(event: string, ...args: unknown[]): void
}

/** An `io` whose sockets do nothing until the test fires their events; joins are answered `ok`. */
function fakeIo(): { io: HubConnector; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = []
  const io: HubConnector = (url) => {
    const listeners = new Map<string, Array<(...args: any[]) => void>>()
    const socket: HubSocket = {
      on(event, listener) {
        listeners.set(event, [...(listeners.get(event) ?? []), listener])
      },
      off: () => listeners.clear(),
      emit: ((event: string, payload: unknown, ack?: (reply: unknown) => void) => {
        const { id } = payload as { id: string }
        if (event === 'join' && ack !== undefined) queueMicrotask(() => ack({ ok: true, id, members: [] }))
        return true
      }) as HubSocket['emit'],
      timeout: () => ({
        emit: (_event, payload, ack) => {
          const { id } = payload as { id: string }
          queueMicrotask(() => ack(null, { ok: true, id, members: [] }))
        },
      }),
      disconnect: () => undefined,
    }
    sockets.push({ url, fire: (event, ...args) => listeners.get(event)?.forEach((listener) => listener(...args)) })
    return socket
  }
  return { io, sockets }
}

/** A browser's WebSocket error as socket.io-client hands it over: no reason in it. */
const wsError = (): Error => Object.assign(new Error('websocket error'), { type: 'TransportError', description: { type: 'error' } })

/** A probe that answers from `reasons` (by URL) and records what it was asked. */
function probeOf(reasons: Record<string, string | undefined>): { probe: HubProbe; asked: Array<[string, boolean]> } {
  const asked: Array<[string, boolean]> = []
  return { asked, probe: async (url, failed) => (asked.push([url, failed]), reasons[url]) }
}

const settled = (promise: Promise<unknown>): Promise<unknown> => promise.then((value) => ({ value }), (error: unknown) => ({ error }))
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

afterEach(() => {
  vi.useRealTimers()
})

describe('the probe of a first join', () => {
  it('a WebSocket error without a reason: the probe looks, and its reason ends the join at once, the error as cause', async () => {
    const { io, sockets } = fakeIo()
    const { probe, asked } = probeOf({ 'http://h:1': 'nothing answers at h:1' })
    const signaling = createHubSignaling({ hub: 'http://h:1', cluster: 'c', retryDelayMs: 10_000 }, io, undefined, probe)
    const started = Date.now()
    const joining = settled(signaling.join())
    const error = wsError()
    sockets[0]!.fire('connect_error', error)
    const outcome = (await joining) as { error: HubUnreachableError }
    expect(outcome.error).toBeInstanceOf(HubUnreachableError)
    expect(outcome.error.message).toBe('no hub answered: http://h:1: nothing answers at h:1')
    expect(outcome.error.cause).toBe(error)
    expect(asked).toEqual([['http://h:1', true]])
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('several URLs: the join goes on to the next, and ends once the probe found why for each', async () => {
    const { io, sockets } = fakeIo()
    const { probe } = probeOf({ 'http://a:1': 'nothing answers at a:1', 'https://b:2': 'b:2 answers http only: use http://b:2' })
    const signaling = createHubSignaling({ hub: ['http://a:1', 'https://b:2'], cluster: 'c', retryDelayMs: 1, maxRetryDelayMs: 1 }, io, undefined, probe)
    let done = false
    const joining = settled(signaling.join()).finally(() => (done = true))
    sockets[0]!.fire('connect_error', wsError())
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(done).toBe(false) // b not tried yet
    expect(sockets[1]?.url).toBe('https://b:2')
    sockets[1]!.fire('connect_error', wsError())
    const outcome = (await joining) as { error: Error }
    expect(outcome.error.message).toBe('no hub answered: http://a:1: nothing answers at a:1; https://b:2: b:2 answers http only: use http://b:2')
  })

  it('a probe that finds nothing, or fails: the join keeps trying until joinTimeoutMs, with the reason the error gave', async () => {
    const { io, sockets } = fakeIo()
    const asked: string[] = []
    const probe: HubProbe = async (url) => {
      asked.push(url)
      if (asked.length > 1) throw new Error('no verdict')
      return undefined
    }
    const signaling = createHubSignaling({ hub: 'http://h:1', cluster: 'c', joinTimeoutMs: 300, retryDelayMs: 5, maxRetryDelayMs: 5 }, io, undefined, probe)
    const started = Date.now()
    const joining = settled(signaling.join())
    const fail = setInterval(() => sockets.at(-1)?.fire('connect_error', wsError()), 20)
    const outcome = (await joining) as { error: Error }
    clearInterval(fail)
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
    expect(outcome.error.message).toBe("no hub answered within 300 ms: http://h:1: websocket error, no reason given (a browser's console has it)")
    expect(asked.length).toBeGreaterThan(1)
  })

  it('is not asked about what the core says itself (a URL with a path, a connect timeout)', async () => {
    const { io, sockets } = fakeIo()
    const { probe, asked } = probeOf({})
    const signaling = createHubSignaling({ hub: 'http://h:1/path', cluster: 'c', joinTimeoutMs: 100, retryDelayMs: 10_000 }, io, undefined, probe)
    const joining = settled(signaling.join())
    sockets[0]!.fire('connect_error', Object.assign(new Error('Invalid namespace'), { data: undefined }))
    const outcome = (await joining) as { error: Error }
    expect(outcome.error.message).toBe('no hub answered within 100 ms: http://h:1/path: not a hub, or a URL with a path (a hub listens at the root: http://h:1)')
    expect(asked).toEqual([])
  })

  it(`a connect neither opened nor failed after ${PROBE_AFTER_MS} ms: the probe looks (not failed), and its reason ends the join`, async () => {
    vi.useFakeTimers()
    const { io } = fakeIo()
    const { probe, asked } = probeOf({ 'http://h:1': 'h:1 answers, but not as a hub' })
    const signaling = createHubSignaling({ hub: 'http://h:1', cluster: 'c' }, io, undefined, probe)
    const joining = settled(signaling.join())
    await vi.advanceTimersByTimeAsync(PROBE_AFTER_MS - 1)
    expect(asked).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(asked).toEqual([['http://h:1', false]])
    expect(((await joining) as { error: Error }).error.message).toBe('no hub answered: http://h:1: h:1 answers, but not as a hub')
  })

  it('a connect that opened is not probed, and after the first join nothing is: a hub gone for a while is tried again', async () => {
    vi.useFakeTimers()
    const { io, sockets } = fakeIo()
    const { probe, asked } = probeOf({ 'http://h:1': 'nothing answers at h:1' })
    const signaling = createHubSignaling({ hub: 'http://h:1', cluster: 'c', retryDelayMs: 5, maxRetryDelayMs: 5 }, io, undefined, probe)
    const joining = signaling.join()
    sockets[0]!.fire('connect')
    await expect(joining).resolves.toMatchObject({ members: [] })
    await vi.advanceTimersByTimeAsync(PROBE_AFTER_MS * 2)
    sockets[0]!.fire('disconnect', 'transport close')
    await vi.advanceTimersByTimeAsync(10)
    expect(sockets).toHaveLength(2)
    sockets[1]!.fire('connect_error', wsError())
    await vi.advanceTimersByTimeAsync(PROBE_AFTER_MS * 2)
    expect(asked).toEqual([])
    expect(sockets.length).toBeGreaterThan(2) // still trying
    signaling.close()
  })

  it('without a probe (Node): a WebSocket error waits for joinTimeoutMs as before', async () => {
    const { io, sockets } = fakeIo()
    const signaling = createHubSignaling({ hub: 'http://h:1', cluster: 'c', joinTimeoutMs: 150, retryDelayMs: 10_000 }, io)
    const started = Date.now()
    const joining = settled(signaling.join())
    sockets[0]!.fire('connect_error', wsError())
    await tick()
    const outcome = (await joining) as { error: Error }
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect(outcome.error.message).toMatch(/^no hub answered within 150 ms: http:\/\/h:1: websocket error/)
  })
})
