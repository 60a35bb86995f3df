/**
 * Chunk streams of the data-channel framing (PROTOCOL.md, section 2), both ways:
 * `OutgoingStream` cuts a large message into START and CONT chunks, `Reassembler` turns
 * incoming chunks back into messages.
 *
 * The sender of a long string encodes its UTF-8 piece by piece as the chunks go out (no
 * second copy of the whole message, and the encoding overlaps the transfer); the receiver
 * gathers the bytes and decodes them once.
 */
import { BadArgError, ProtocolError, TooLargeError } from '../api/errors.js'
import { utf8Length } from '../util/utf8.js'

/** A control chunk: `0xFC` + one byte of kind, between messages (the migration steps of a path-switching link). */
export const TAG_CONTROL = 0xfc
const TAG_CONT = 0xfd
const TAG_START = 0xfe
export const TAG_BINARY = 0xff
const KIND_STRING = 0
const KIND_BINARY = 1
const START_HEADER_BYTES = 6

export type Message = string | Uint8Array

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function protocolError(text: string): ProtocolError {
  return new ProtocolError(`transport framing: ${text}`)
}

/** A chunked message being sent: makes its START and CONT chunks one at a time. */
export class OutgoingStream {
  /** Bytes of the message. */
  readonly total: number
  #sent = 0
  /** UTF-16 units of a string source encoded so far. */
  #read = 0
  #started = false

  readonly #source: string | Uint8Array

  private constructor(
    readonly kind: typeof KIND_STRING | typeof KIND_BINARY,
    source: string | Uint8Array,
    total: number,
  ) {
    this.#source = source
    this.total = total
  }

  /** A string message whose UTF-8 takes `total` bytes (see `utf8Length`). */
  static ofString(text: string, total: number): OutgoingStream {
    return new OutgoingStream(KIND_STRING, text, total)
  }

  /** A binary message; the caller hands over `bytes` and does not change them afterwards. */
  static ofBytes(bytes: Uint8Array): OutgoingStream {
    return new OutgoingStream(KIND_BINARY, bytes, bytes.byteLength)
  }

  get remaining(): number {
    return this.total - this.#sent
  }

  get done(): boolean {
    return this.#started && this.#sent >= this.total
  }

  /** Size of the header of the next chunk. */
  get headerBytes(): number {
    return this.#started ? 1 : START_HEADER_BYTES
  }

  /** The next chunk, at most `room` bytes long (header included; `room` > 10). */
  next(room: number): Uint8Array {
    const header = this.headerBytes
    const payload = Math.min(this.remaining, room - header)
    const chunk = new Uint8Array(header + payload)
    if (this.#started) chunk[0] = TAG_CONT
    else {
      chunk[0] = TAG_START
      chunk[1] = this.kind
      new DataView(chunk.buffer).setUint32(2, this.total)
      this.#started = true
    }
    const source = this.#source
    if (typeof source !== 'string') {
      chunk.set(source.subarray(this.#sent, this.#sent + payload), header)
      this.#sent += payload
      return chunk
    }
    // Fills the room with whole characters; a character that does not fit starts the next chunk.
    const { read, written } = encoder.encodeInto(this.#read === 0 ? source : source.substring(this.#read), chunk.subarray(header))
    this.#read += read
    this.#sent += written
    if (this.#read >= source.length && this.#sent !== this.total) {
      throw new Error(`string message encoded to ${this.#sent} bytes, announced ${this.total}`)
    }
    return written === payload ? chunk : chunk.subarray(0, header + written)
  }
}

/** START of a zero-byte string: the empty string message. */
export const EMPTY_STRING_CHUNK = new Uint8Array([TAG_START, KIND_STRING, 0, 0, 0, 0])

const scratchEncoder = new TextEncoder()
/**
 * Where a string's UTF-8 is written to test whether it fits one chunk: one buffer for
 * every channel of the process (its contents are never kept), grown to the largest chunk
 * size asked for. A buffer per channel was 16 KiB for each of a node's relayed members.
 */
let scratch = new Uint8Array(0)
function fitsOneChunk(message: string, chunkSize: number): boolean {
  if (scratch.byteLength < chunkSize) scratch = new Uint8Array(chunkSize)
  const { read, written } = scratchEncoder.encodeInto(message, scratch)
  return read === message.length && written <= chunkSize
}

/**
 * How `message` goes out in chunks of at most `chunkSize` bytes: one chunk (a string as
 * it is, bytes behind `TAG_BINARY`), or a stream of START and CONT chunks. Throws
 * `TooLargeError` above `maxBytes`; a byte message is handed over (not copied) to a
 * stream.
 */
export function chunkMessage(message: string | Uint8Array, chunkSize: number, maxBytes: number): string | Uint8Array | OutgoingStream {
  if (typeof message === 'string') {
    const length = message.length
    if (length > 0 && length * 3 <= chunkSize) return message
    if (length > maxBytes) throw tooLarge(length, maxBytes)
    if (length === 0) return EMPTY_STRING_CHUNK
    if (length <= chunkSize && fitsOneChunk(message, chunkSize)) return message // its UTF-8 fits
    const total = utf8Length(message)
    if (total > maxBytes) throw tooLarge(total, maxBytes)
    return OutgoingStream.ofString(message, total)
  }
  if (!(message instanceof Uint8Array)) throw new BadArgError('a message must be a string or a Uint8Array')
  const size = message.byteLength
  if (size > maxBytes) throw tooLarge(size, maxBytes)
  if (size + 1 > chunkSize) return OutgoingStream.ofBytes(message)
  const chunk = new Uint8Array(size + 1)
  chunk[0] = TAG_BINARY
  chunk.set(message, 1)
  return chunk
}

function tooLarge(bytes: number, maxBytes: number): TooLargeError {
  return new TooLargeError(`message of ${bytes} bytes exceeds maxMessageBytes ${maxBytes}`)
}

/** A control chunk of `kind` (0–255). */
export function controlChunk(kind: number): Uint8Array {
  return new Uint8Array([TAG_CONTROL, kind])
}

/**
 * Receive side: turns incoming data-channel chunks back into messages. Never throws;
 * every problem goes to `report` and drops the chunk (and the rest of its chunk stream).
 */
export class Reassembler {
  /**
   * The message in progress: its announced size, its kind, and the pieces so far. Memory
   * is taken as data arrives, never on the word of a header: a START announcing 64 MiB
   * costs nothing until the bytes come, and at most `maxBytes` in all.
   */
  #total = -1
  #kind: number = KIND_STRING
  #pieces: Uint8Array[] = []
  #filled = 0
  /** After an error inside a chunk stream: drop CONT chunks until another chunk comes. */
  #skipping = false

  readonly #maxBytes: number
  readonly #deliver: (message: Message) => void
  readonly #report: (error: Error) => void
  readonly #control: ((kind: number) => void) | undefined

  constructor(
    maxBytes: number,
    deliver: (message: Message) => void,
    report: (error: Error) => void,
    /** Control chunks (`TAG_CONTROL`); without a handler they are reported as unexpected. */
    control?: (kind: number) => void,
  ) {
    this.#maxBytes = maxBytes
    this.#deliver = deliver
    this.#report = report
    this.#control = control
  }

  reset(): void {
    this.#clear()
    this.#skipping = false
  }

  #clear(): void {
    this.#total = -1
    this.#pieces = []
    this.#filled = 0
  }

  push(chunk: unknown): void {
    if (typeof chunk === 'string') {
      this.#interrupt()
      this.#deliver(chunk)
      return
    }
    let bytes: Uint8Array
    if (chunk instanceof Uint8Array) bytes = chunk
    else if (chunk instanceof ArrayBuffer) bytes = new Uint8Array(chunk)
    else {
      this.#interrupt()
      this.#report(protocolError(`unsupported chunk type ${Object.prototype.toString.call(chunk)}`))
      return
    }
    const tag = bytes[0]
    if (tag === TAG_CONT) {
      this.#continueStream(bytes)
      return
    }
    this.#interrupt()
    if (tag === undefined) this.#deliver('')
    else if (tag === TAG_CONTROL) {
      if (this.#control !== undefined && bytes.byteLength === 2) this.#control(bytes[1] as number)
      else this.#report(protocolError('unexpected control chunk'))
    } else if (tag === TAG_BINARY) this.#deliver(new Uint8Array(bytes.buffer, bytes.byteOffset + 1, bytes.byteLength - 1))
    else if (tag === TAG_START) this.#startStream(bytes)
    else this.#deliverString(bytes)
  }

  /** A chunk other than CONT arrived: a stream in progress is incomplete. */
  #interrupt(): void {
    this.#skipping = false
    if (this.#total < 0) return
    const filled = this.#filled
    const total = this.#total
    this.#clear()
    this.#report(protocolError(`chunked message cut off after ${filled} of ${total} bytes`))
  }

  #fail(error: Error): void {
    this.#clear()
    this.#skipping = true
    this.#report(error)
  }

  #startStream(bytes: Uint8Array): void {
    if (bytes.byteLength < START_HEADER_BYTES) return this.#fail(protocolError('truncated chunk header'))
    const kind = bytes[1]
    if (kind !== KIND_STRING && kind !== KIND_BINARY) {
      return this.#fail(protocolError(`unknown chunk kind ${String(kind)}`))
    }
    const total = new DataView(bytes.buffer, bytes.byteOffset, START_HEADER_BYTES).getUint32(2)
    if (total > this.#maxBytes) {
      return this.#fail(new TooLargeError(`incoming message of ${total} bytes exceeds maxMessageBytes ${this.#maxBytes}`))
    }
    this.#kind = kind
    this.#total = total
    this.#append(bytes.subarray(START_HEADER_BYTES))
  }

  #continueStream(bytes: Uint8Array): void {
    if (this.#skipping) return
    if (this.#total < 0) return this.#fail(protocolError('chunk continuation without a start'))
    this.#append(bytes.subarray(1))
  }

  #append(data: Uint8Array): void {
    if (this.#filled + data.byteLength > this.#total) return this.#fail(protocolError('chunk data exceeds the announced message size'))
    if (data.byteLength > 0) this.#pieces.push(data)
    this.#filled += data.byteLength
    if (this.#filled === this.#total) this.#complete()
  }

  /**
   * The pieces are joined once, and a string's bytes decoded once, whole: in Node one
   * decode of 10 MB takes about a third of what decoding its pieces as they come (and
   * joining them) takes.
   */
  #complete(): void {
    const pieces = this.#pieces
    const total = this.#total
    this.#clear()
    let whole: Uint8Array
    if (pieces.length === 1) whole = pieces[0] as Uint8Array
    else {
      whole = new Uint8Array(total)
      let at = 0
      for (const piece of pieces) {
        whole.set(piece, at)
        at += piece.byteLength
      }
    }
    if (this.#kind === KIND_BINARY) this.#deliver(whole)
    else this.#deliverString(whole)
  }

  #deliverString(bytes: Uint8Array): void {
    let text: string
    try {
      text = decoder.decode(bytes)
    } catch {
      this.#report(protocolError('string message is not valid UTF-8'))
      return
    }
    this.#deliver(text)
  }
}
