/**
 * The stream simple-peer's browser build extends (scripts/simple-peer/duplex.ts) against
 * the one simple-peer's prebundled file carried, readable-stream 3: each scenario runs on
 * both, the way simple-peer drives a stream, and the event traces must be the same.
 */
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { Duplex } from '../../scripts/simple-peer/duplex.js'

interface StreamLike {
  readonly _readableState: { length: number; ended: boolean }
  readonly _writableState: { finished: boolean }
  on(type: string, listener: (...args: any[]) => void): unknown
  once(type: string, listener: (...args: any[]) => void): unknown
  removeListener(type: string, listener: (...args: any[]) => void): unknown
  emit(type: string, ...args: unknown[]): boolean
  push(chunk: string | Uint8Array | null): boolean
  pause(): unknown
  resume(): unknown
  write(chunk: string | Uint8Array, callback?: (error?: Error | null) => void): boolean
  end(): unknown
}
type StreamClass = new (options?: { allowHalfOpen?: boolean }) => StreamLike

// readable-stream as simple-peer resolves it (a dependency of simple-peer, not of ours).
const fromSimplePeer = createRequire(createRequire(import.meta.url).resolve('simple-peer'))
const reference = fromSimplePeer('readable-stream') as { Duplex: StreamClass }

type Trace = unknown[]

/** A stream of `Base` set up like simple-peer's Peer: no-op `_read`, `_write` completing after `delay` ms. */
function make(Base: StreamClass, trace: Trace, options: { allowHalfOpen?: boolean; writeDelayMs?: number } = {}): StreamLike {
  class Peerish extends Base {
    _read(): void {}
    _write(chunk: Uint8Array, _encoding: string, callback: (error?: Error | null) => void): void {
      trace.push(['_write', Array.from(chunk)])
      if (options.writeDelayMs === undefined) callback()
      else setTimeout(() => callback(), options.writeDelayMs)
    }
  }
  const stream = new Peerish({ allowHalfOpen: options.allowHalfOpen ?? false })
  for (const type of ['end', 'prefinish', 'finish', 'drain', 'pause']) stream.on(type, () => trace.push(type))
  return stream
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20))
const bytes = (data: unknown): unknown => (data instanceof Uint8Array ? ['bytes', ...data] : data)

/** Runs `scenario` on the stand-in and on readable-stream; returns both traces. */
async function both(scenario: (Base: StreamClass, trace: Trace) => Promise<void>): Promise<{ ours: Trace; theirs: Trace }> {
  const ours: Trace = []
  const theirs: Trace = []
  await scenario(Duplex as unknown as StreamClass, ours)
  await scenario(reference.Duplex, theirs)
  return { ours, theirs }
}

describe('the stream of simple-peer for browsers, against readable-stream 3', () => {
  it('holds what is pushed before anyone reads, counts its bytes, then flows it in order from a later tick', async () => {
    const { ours, theirs } = await both(async (Base, trace) => {
      const s = make(Base, trace)
      s.push('a')
      s.push(new Uint8Array([1, 2, 3]))
      s.push('') // dropped in byte mode
      s.push(new Uint8Array(0))
      s.push('héllo')
      trace.push(['held', s._readableState.length])
      s.on('data', (data: unknown) => trace.push(['data', bytes(data), s._readableState.length]))
      trace.push('listening')
      await settle()
      s.push('now') // flowing and empty: at once
      trace.push('pushed')
      s.push(null)
      trace.push(['ended', s._readableState.ended])
      await settle()
      trace.push(['finished', s._writableState.finished])
    })
    expect(ours).toEqual(theirs)
    expect(ours).toContainEqual(['held', 10])
    expect(ours).toContain('end')
  })

  it('holds while paused and flows again on resume', async () => {
    const { ours, theirs } = await both(async (Base, trace) => {
      const s = make(Base, trace)
      s.on('data', (data: unknown) => trace.push(['data', bytes(data)]))
      await settle()
      s.pause()
      s.push('x')
      s.push('y')
      trace.push(['held', s._readableState.length])
      s.resume()
      await settle()
      trace.push(['held', s._readableState.length])
    })
    expect(ours).toEqual(theirs)
  })

  for (const writeDelayMs of [undefined, 1]) {
    it(`writes one chunk at a time, in order, strings as bytes; drain after a full buffer; finish after the last write (${writeDelayMs === undefined ? 'synchronous' : 'later'} write callbacks)`, async () => {
      const { ours, theirs } = await both(async (Base, trace) => {
        const s = make(Base, trace, writeDelayMs === undefined ? {} : { writeDelayMs })
        trace.push(['write', s.write('ab', () => trace.push('cb 1'))])
        trace.push(['write', s.write(new Uint8Array([7, 7]), () => trace.push('cb 2'))])
        trace.push(['write', s.write(new Uint8Array(16_384), () => trace.push('cb 3'))])
        await settle()
        s.end()
        trace.push(['finished', s._writableState.finished])
        await settle()
      })
      // The 16 KiB chunk is traced as its bytes; compare lengths there.
      const short = (trace: Trace): Trace => trace.map((e) => (Array.isArray(e) && e[0] === '_write' ? ['_write', (e[1] as number[]).length] : e))
      expect(short(ours)).toEqual(short(theirs))
      expect(ours).toContain('drain')
    })
  }

  it('without half-open, ends its writable side once the readable side has ended', async () => {
    const { ours, theirs } = await both(async (Base, trace) => {
      const s = make(Base, trace, { allowHalfOpen: false })
      s.on('data', () => trace.push('data'))
      s.push(null)
      await settle()
      trace.push(['finished', s._writableState.finished])
    })
    expect(ours).toEqual(theirs)
    expect(ours).toEqual(['end', 'prefinish', 'finish', ['finished', true]])
  })

  it('once, removeListener of a once listener, and an error nobody listens to', async () => {
    const { ours, theirs } = await both(async (Base, trace) => {
      const s = make(Base, trace)
      const never = (): number => trace.push('never')
      s.once('finish', never)
      s.removeListener('finish', never)
      s.once('ping', (n: number) => trace.push(['ping', n]))
      s.emit('ping', 1)
      s.emit('ping', 2)
      s.end()
      await settle()
      try {
        s.emit('error', new Error('boom'))
      } catch (error) {
        trace.push(['thrown', (error as Error).message])
      }
      s.on('error', (error: Error & { code?: string }) => trace.push(['error', error.code]))
      s.push(null)
      s.push('late')
    })
    expect(ours).toEqual(theirs)
    expect(ours).toContainEqual(['thrown', 'boom'])
    expect(ours).toContainEqual(['error', 'ERR_STREAM_PUSH_AFTER_EOF'])
  })
})
