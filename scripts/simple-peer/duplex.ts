/**
 * The part of Node's `stream.Duplex` (as readable-stream 3 implements it) that simple-peer
 * 9.11 builds its `Peer` on, for simple-peer's browser build (`./build.mjs`, which writes
 * src/vendor/simple-peer/simple-peer.js). It stands in for readable-stream, `events` and their
 * Buffer and process shims, which made most of simple-peer's prebundled file.
 *
 * Kept as readable-stream does it, because simple-peer or this library rely on it:
 * - events: `on`, `once`, `off`, `emit`…, with listeners called in order on a copy of
 *   the list, and an 'error' with no listener thrown;
 * - reading, in byte mode: `push(chunk)` hands a chunk to the 'data' listeners when the
 *   stream flows and holds it otherwise; a 'data' listener makes it flow from the next
 *   microtask, held chunks first, one 'data' event each, in order;
 *   `_readableState.length` counts the bytes held and drops before each 'data' event
 *   (src/core/webrtc/simple-peer.ts reads it); a string arrives as its UTF-8 bytes, an empty
 *   chunk is dropped; `push(null)` ends it: 'end' once it has flowed dry, then the
 *   writable side ends unless `allowHalfOpen`;
 * - writing: `write` hands chunks to `_write` one at a time, in order, strings as UTF-8
 *   bytes, with 'drain' after a write that returned false; `end()` emits 'finish' once
 *   the writes are done; `_writableState.finished`.
 * Left out (simple-peer does not use them): pipe, object mode, encodings, `read(n)` and
 * 'readable', cork, async iteration, stream `destroy()` (simple-peer has its own).
 */

/** Listeners take whatever is emitted, as Node's do. */
type Listener = (...args: any[]) => void
type Wrapped = Listener & { listener?: Listener }
type Callback = (error?: Error | null) => void

/** Node's default highWaterMark for byte streams. */
const HIGH_WATER_MARK = 16 * 1024
const encoder = new TextEncoder()

const bytesOf = (chunk: string | Uint8Array): Uint8Array => (typeof chunk === 'string' ? encoder.encode(chunk) : chunk)

/** Node's EventEmitter, as far as simple-peer and its users call it. */
export class EventEmitter {
  readonly #events = new Map<string | symbol, Wrapped[]>()

  on(type: string | symbol, listener: Listener): this {
    const list = this.#events.get(type)
    if (list === undefined) this.#events.set(type, [listener])
    else list.push(listener)
    return this
  }

  addListener(type: string | symbol, listener: Listener): this {
    return this.on(type, listener)
  }

  prependListener(type: string | symbol, listener: Listener): this {
    this.#events.set(type, [listener, ...(this.#events.get(type) ?? [])])
    return this
  }

  once(type: string | symbol, listener: Listener): this {
    const wrapper: Wrapped = (...args) => {
      this.removeListener(type, wrapper)
      listener.apply(this, args)
    }
    wrapper.listener = listener
    return this.on(type, wrapper)
  }

  removeListener(type: string | symbol, listener: Listener): this {
    const list = this.#events.get(type)
    if (list === undefined) return this
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i] === listener || list[i]?.listener === listener) {
        list.splice(i, 1)
        break
      }
    }
    if (list.length === 0) this.#events.delete(type)
    return this
  }

  off(type: string | symbol, listener: Listener): this {
    return this.removeListener(type, listener)
  }

  removeAllListeners(type?: string | symbol): this {
    if (type === undefined) this.#events.clear()
    else this.#events.delete(type)
    return this
  }

  listeners(type: string | symbol): Listener[] {
    return (this.#events.get(type) ?? []).map((l) => l.listener ?? l)
  }

  listenerCount(type: string | symbol): number {
    return this.#events.get(type)?.length ?? 0
  }

  emit(type: string | symbol, ...args: unknown[]): boolean {
    const list = this.#events.get(type)
    if (list === undefined) {
      if (type !== 'error') return false
      const error = args[0]
      throw error instanceof Error ? error : new Error(`Unhandled error. (${String(error)})`)
    }
    for (const listener of [...list]) listener.apply(this, args)
    return true
  }
}

/** readable-stream's `_readableState`, the fields kept. */
interface ReadableState {
  /** Bytes held, not yet handed to a 'data' listener. */
  length: number
  readonly buffer: Uint8Array[]
  /** null: nobody asked yet; true: flowing; false: paused by `pause()`. */
  flowing: boolean | null
  resumeScheduled: boolean
  /** `push(null)` was called. */
  ended: boolean
  endEmitted: boolean
}

/** readable-stream's `_writableState`, the fields kept. */
interface WritableState {
  /** Bytes given to `write` and not written yet. */
  length: number
  readonly queue: Array<[Uint8Array, Callback | undefined]>
  writing: boolean
  needDrain: boolean
  /** `end()` was called. */
  ended: boolean
  /** 'finish' was emitted. */
  finished: boolean
}

export interface DuplexOptions {
  /** When false, the writable side ends once the readable side has. Default true. */
  allowHalfOpen?: boolean
}

/** The Duplex stream simple-peer's `Peer` extends. */
export abstract class Duplex extends EventEmitter {
  readonly _readableState: ReadableState = { length: 0, buffer: [], flowing: null, resumeScheduled: false, ended: false, endEmitted: false }
  readonly _writableState: WritableState = { length: 0, queue: [], writing: false, needDrain: false, ended: false, finished: false }
  readable = true
  writable = true

  constructor(options: DuplexOptions = {}) {
    super()
    if (options.allowHalfOpen === false) {
      this.once('end', () => {
        if (!this._writableState.ended) queueMicrotask(() => this.end())
      })
    }
  }

  // ---- readable side ----

  /** Called when a reader wants data; simple-peer's does nothing (it pushes as messages come). */
  _read(_size: number): void {}

  /** Adds a received chunk (null: no more will come). Returns whether fewer than 16 KiB are held. */
  push(chunk: string | Uint8Array | null): boolean {
    const state = this._readableState
    if (chunk === null) {
      state.ended = true
      if (state.flowing === true) this.#scheduleFlow()
      return false
    }
    if (state.ended) {
      this.emit('error', Object.assign(new Error('stream.push() after EOF'), { code: 'ERR_STREAM_PUSH_AFTER_EOF' }))
      return false
    }
    const bytes = bytesOf(chunk)
    if (bytes.length === 0) return true
    if (state.flowing === true && state.length === 0 && !state.resumeScheduled) {
      this.emit('data', bytes)
    } else {
      state.buffer.push(bytes)
      state.length += bytes.length
      if (state.flowing === true) this.#scheduleFlow()
    }
    return state.length < HIGH_WATER_MARK
  }

  override on(type: string | symbol, listener: Listener): this {
    super.on(type, listener)
    if (type === 'data' && this._readableState.flowing !== false) this.resume()
    return this
  }

  override addListener(type: string | symbol, listener: Listener): this {
    return this.on(type, listener)
  }

  /** Makes the stream flow: held chunks go to the 'data' listeners, then new ones as they come. */
  resume(): this {
    const state = this._readableState
    if (state.flowing !== true) {
      state.flowing = true
      this.#scheduleFlow()
    }
    return this
  }

  /** Holds received chunks until `resume()`. */
  pause(): this {
    if (this._readableState.flowing !== false) {
      this._readableState.flowing = false
      this.emit('pause')
    }
    return this
  }

  isPaused(): boolean {
    return this._readableState.flowing === false
  }

  #scheduleFlow(): void {
    const state = this._readableState
    if (state.resumeScheduled) return
    state.resumeScheduled = true
    queueMicrotask(() => {
      state.resumeScheduled = false
      this.#flow()
    })
  }

  #flow(): void {
    const state = this._readableState
    while (state.flowing === true && state.buffer.length > 0) {
      const chunk = state.buffer.shift() as Uint8Array
      state.length -= chunk.length
      this.emit('data', chunk)
    }
    if (state.flowing === true && state.ended && state.length === 0 && !state.endEmitted) {
      queueMicrotask(() => {
        if (state.endEmitted || state.length !== 0) return
        state.endEmitted = true
        this.readable = false
        this.emit('end')
      })
    }
  }

  // ---- writable side ----

  /** Writes one chunk: the subclass's (simple-peer's sends it on the data channel and calls back when it may take more). */
  abstract _write(chunk: Uint8Array, encoding: string, callback: Callback): void

  /** Queues `chunk` for `_write`. Returns false once 16 KiB or more wait ('drain' follows). */
  write(chunk: string | Uint8Array, encoding?: string | Callback, callback?: Callback): boolean {
    const done = typeof encoding === 'function' ? encoding : callback
    const state = this._writableState
    if (state.ended) {
      const error = Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' })
      this.emit('error', error)
      queueMicrotask(() => done?.(error))
      return false
    }
    const bytes = bytesOf(chunk)
    state.length += bytes.length
    const below = state.length < HIGH_WATER_MARK
    if (!below) state.needDrain = true
    state.queue.push([bytes, done])
    if (!state.writing) this.#writeNext()
    return below
  }

  /** Ends the writable side after `chunk` (if any): 'finish' once every write is done. */
  end(chunk?: string | Uint8Array | Callback | null, encoding?: string | Callback, callback?: Callback): this {
    const done = [chunk, encoding, callback].find((arg): arg is Callback => typeof arg === 'function')
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') this.write(chunk)
    const state = this._writableState
    if (done !== undefined) {
      if (state.finished) queueMicrotask(() => done())
      else this.once('finish', done)
    }
    if (state.ended) return this
    state.ended = true
    this.writable = false
    if (!state.writing) this.#finishIfDone()
    return this
  }

  /** Hands the next queued chunk to `_write`; when it is written, starts the one after, then calls back. */
  #writeNext(): void {
    const state = this._writableState
    const next = state.queue.shift()
    if (next === undefined) return
    const [bytes, done] = next
    state.writing = true
    let sync = true
    this._write(bytes, 'buffer', (error) => {
      state.writing = false
      state.length -= bytes.length
      if (error) {
        if (sync) queueMicrotask(() => done?.(error))
        else done?.(error)
        this.emit('error', error)
        return
      }
      const last = state.ended && state.queue.length === 0
      if (!last) this.#writeNext()
      const after = (): void => {
        if (!last && state.length === 0 && state.needDrain) {
          state.needDrain = false
          this.emit('drain')
        }
        done?.()
        this.#finishIfDone()
      }
      if (sync) queueMicrotask(after)
      else after()
    })
    sync = false
  }

  #finishIfDone(): void {
    const state = this._writableState
    if (!state.ended || state.finished || state.writing || state.queue.length > 0) return
    state.finished = true
    this.emit('prefinish')
    this.emit('finish')
  }
}
