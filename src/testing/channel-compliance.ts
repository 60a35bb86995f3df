/**
 * The checks every `Channel` must pass, for anyone writing a transport: run them against
 * your own channel pair with any test runner. Each check is a plain async function that
 * throws on failure.
 *
 * @example
 * // vitest, jest, mocha, node:test: map the registrar to your runner's `it`/`test`
 * import { channelCompliance } from 'distribunator/testing'
 * channelCompliance(it, async () => {
 *   const [a, b] = createMemoryChannelPair()
 *   return { a, b }
 * })
 */
import type { Channel } from '../core/index.js'
import type { TimerHandle } from '../core/util/async.js'

/** Two connected ends of a transport, fresh for each check. */
export interface ChannelPair {
  readonly a: Channel
  readonly b: Channel
  /** Releases what the pair holds beyond the two ends (called after each check). */
  dispose?(): void | Promise<void>
}

export interface ChannelComplianceOptions {
  /** Size of the large string and byte messages, in bytes. Default 1 MiB. */
  readonly largeBytes?: number
  /** Longest wait for a check's messages or close events, in ms. Default 10000. */
  readonly timeoutMs?: number
}

/** One named check. */
export interface ChannelCheck {
  readonly name: string
  run(): Promise<void>
}

type Message = string | Uint8Array

class ComplianceError extends Error {
  override name = 'ChannelComplianceError'
}

function fail(message: string): never {
  throw new ComplianceError(message)
}

function describeMessage(m: unknown): string {
  if (typeof m === 'string') return `a string of ${m.length} characters`
  if (m instanceof Uint8Array) return `${m.byteLength} bytes`
  return Object.prototype.toString.call(m)
}

function sameMessage(got: unknown, want: Message): boolean {
  if (typeof want === 'string') return got === want
  if (!(got instanceof Uint8Array) || got.byteLength !== want.byteLength) return false
  for (let i = 0; i < want.byteLength; i++) if (got[i] !== want[i]) return false
  return true
}

/** Resolves once `count` messages came on `channel`, or rejects after `ms`. */
function collect(channel: Channel, count: number, ms: number): Promise<unknown[]> {
  const got: unknown[] = []
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new ComplianceError(`${got.length} of ${count} messages arrived within ${ms} ms`)), ms)
    channel.onMessage((message) => {
      got.push(message)
      if (got.length === count) {
        clearTimeout(timer)
        resolve(got)
      }
    })
  })
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: TimerHandle | undefined
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ComplianceError(`${what} did not happen within ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function bytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

function expectMessages(got: unknown[], want: readonly Message[]): void {
  for (let i = 0; i < want.length; i++) {
    if (!sameMessage(got[i], want[i] as Message)) fail(`message ${i}: sent ${describeMessage(want[i])}, received ${describeMessage(got[i])}`)
  }
}

/**
 * The compliance checks for the channel pairs `setup` makes.
 *
 * @example
 * for (const check of channelComplianceChecks(makePair)) await check.run()
 */
export function channelComplianceChecks(setup: () => ChannelPair | Promise<ChannelPair>, options: ChannelComplianceOptions = {}): ChannelCheck[] {
  const large = options.largeBytes ?? 1024 * 1024
  const ms = options.timeoutMs ?? 10_000
  const withPair = (name: string, body: (pair: ChannelPair) => Promise<void>): ChannelCheck => ({
    name,
    async run() {
      const pair = await setup()
      try {
        await body(pair)
      } finally {
        pair.a.close()
        pair.b.close()
        await pair.dispose?.()
      }
    },
  })
  return [
    withPair('messages arrive whole, in order, strings as strings and bytes as bytes', async ({ a, b }) => {
      const sent: Message[] = []
      for (let i = 0; i < 200; i++) {
        if (i % 3 === 0) sent.push(bytes(i, i + 1))
        else sent.push(i % 5 === 0 ? '' : `message ${i} ✓ 😀`)
      }
      const got = collect(b, sent.length, ms)
      for (const m of sent) a.send(typeof m === 'string' ? m : m.slice())
      expectMessages(await got, sent)
    }),
    withPair('both directions work at once', async ({ a, b }) => {
      const toB = collect(b, 50, ms)
      const toA = collect(a, 50, ms)
      for (let i = 0; i < 50; i++) {
        a.send(`a${i}`)
        b.send(`b${i}`)
      }
      expectMessages(await toB, Array.from({ length: 50 }, (_, i) => `a${i}`))
      expectMessages(await toA, Array.from({ length: 50 }, (_, i) => `b${i}`))
    }),
    withPair(`large messages (${large} bytes) arrive whole`, async ({ a, b }) => {
      const text = 'x'.repeat(large - 4) + 'é😀' // multi-byte characters at the end
      const data = bytes(large, 7)
      const got = collect(b, 3, ms)
      a.send(text)
      a.send(data.slice())
      a.send('after')
      expectMessages(await got, [text, data, 'after'])
    }),
    withPair('bufferedAmount, where reported, is a number that returns to 0 once everything is delivered', async ({ a, b }) => {
      const count = 64
      const got = collect(b, count, ms)
      for (let i = 0; i < count; i++) a.send(bytes(16 * 1024, i + 1))
      const now = a.bufferedAmount
      if (now !== undefined && (typeof now !== 'number' || !(now >= 0))) fail(`bufferedAmount is ${String(now)}`)
      await got
      if (now === undefined) return
      const until = Date.now() + ms
      while ((a.bufferedAmount ?? 0) > 0) {
        if (Date.now() > until) fail(`bufferedAmount is still ${String(a.bufferedAmount)} after everything arrived`)
        await pause(10)
      }
    }),
    withPair('close fires onClose once on both ends; sending after close neither throws nor delivers', async ({ a, b }) => {
      let closedA = 0
      let closedB = 0
      const bothClosed = new Promise<void>((resolve) => {
        const check = (): void => {
          if (closedA > 0 && closedB > 0) resolve()
        }
        a.onClose(() => {
          closedA++
          check()
        })
        b.onClose(() => {
          closedB++
          check()
        })
      })
      const late: unknown[] = []
      b.onMessage((m) => late.push(m))
      a.close()
      a.close() // idempotent
      await within(bothClosed, ms, 'the close events')
      try {
        a.send('after close')
        b.send(new Uint8Array([1]))
      } catch (error) {
        fail(`send after close threw: ${String(error)}`)
      }
      await pause(50)
      if (closedA !== 1 || closedB !== 1) fail(`onClose fired ${closedA} times on a and ${closedB} on b`)
      if (late.length > 0) fail(`${late.length} messages arrived after close`)
    }),
    withPair('what is sent before close arrives before the close event', async ({ a, b }) => {
      const got: unknown[] = []
      const closed = new Promise<void>((resolve) => b.onClose(() => resolve()))
      b.onMessage((m) => got.push(m))
      for (let i = 0; i < 20; i++) a.send(`m${i}`)
      await within(
        (async () => {
          while (got.length < 20) await pause(5)
        })(),
        ms,
        'the messages sent before close',
      )
      a.close()
      await within(closed, ms, 'the close event on the other end')
      expectMessages(got, Array.from({ length: 20 }, (_, i) => `m${i}`))
    }),
  ]
}

/**
 * Registers the compliance checks with a test runner: `register(name, fn)` is your
 * runner's `it` or `test` (or anything that runs `fn` and reports a rejection).
 *
 * @example
 * import { it } from 'vitest'
 * channelCompliance(it, () => { const [a, b] = createMemoryChannelPair(); return { a, b } })
 */
export function channelCompliance(
  register: (name: string, fn: () => Promise<void>) => unknown,
  setup: () => ChannelPair | Promise<ChannelPair>,
  options: ChannelComplianceOptions = {},
): void {
  for (const check of channelComplianceChecks(setup, options)) register(check.name, () => check.run())
}
