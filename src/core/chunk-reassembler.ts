/**
 * The data-channel framing's constants (PROTOCOL.md, section 2) and its receive side:
 * `Reassembler` turns incoming data-channel messages back into whole frames.
 */
import { DistributedError } from './errors.js'

export const TAG_CONT = 0xfd
export const TAG_START = 0xfe
export const TAG_BINARY = 0xff
export const KIND_STRING = 0
export const KIND_BINARY = 1
export const START_HEADER_BYTES = 6

export type Frame = string | Uint8Array

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Receive side: turns incoming data-channel messages back into frames. Never throws;
 * every problem goes to `report` and drops the message (and the rest of its chunk stream).
 */
export class Reassembler {
  private buffer: Uint8Array | undefined
  private kind = KIND_STRING
  private filled = 0
  /** After an error inside a chunk stream: drop CONT messages until another message comes. */
  private skipping = false

  constructor(
    private readonly maxBytes: number,
    private readonly deliver: (frame: Frame) => void,
    private readonly report: (error: Error) => void,
  ) {}

  reset(): void {
    this.buffer = undefined
    this.skipping = false
  }

  push(message: unknown): void {
    if (typeof message === 'string') {
      this.interrupt()
      this.deliver(message)
      return
    }
    let bytes: Uint8Array
    if (message instanceof Uint8Array) bytes = message
    else if (message instanceof ArrayBuffer) bytes = new Uint8Array(message)
    else {
      this.interrupt()
      this.report(protocolError(`unsupported message type ${Object.prototype.toString.call(message)}`))
      return
    }
    const tag = bytes[0]
    if (tag === TAG_CONT) {
      this.continueStream(bytes)
      return
    }
    this.interrupt()
    if (tag === undefined) this.deliver('')
    else if (tag === TAG_BINARY) this.deliver(new Uint8Array(bytes.buffer, bytes.byteOffset + 1, bytes.byteLength - 1))
    else if (tag === TAG_START) this.startStream(bytes)
    else this.deliverString(bytes)
  }

  /** A message other than CONT arrived: a stream in progress is incomplete. */
  private interrupt(): void {
    this.skipping = false
    if (this.buffer === undefined) return
    const { filled, buffer } = this
    this.buffer = undefined
    this.report(protocolError(`chunked frame cut off after ${filled} of ${buffer.byteLength} bytes`))
  }

  private fail(error: Error): void {
    this.buffer = undefined
    this.skipping = true
    this.report(error)
  }

  private startStream(bytes: Uint8Array): void {
    if (bytes.byteLength < START_HEADER_BYTES) return this.fail(protocolError('truncated chunk header'))
    const kind = bytes[1]
    if (kind !== KIND_STRING && kind !== KIND_BINARY) {
      return this.fail(protocolError(`unknown chunk kind ${String(kind)}`))
    }
    const total = new DataView(bytes.buffer, bytes.byteOffset, START_HEADER_BYTES).getUint32(2)
    if (total > this.maxBytes) {
      return this.fail(new DistributedError('too_large', `incoming frame of ${total} bytes exceeds maxMessageBytes ${this.maxBytes}`))
    }
    const data = bytes.subarray(START_HEADER_BYTES)
    if (data.byteLength > total) return this.fail(protocolError('chunk data exceeds the announced frame size'))
    this.kind = kind
    this.buffer = new Uint8Array(total)
    this.buffer.set(data)
    this.filled = data.byteLength
    if (this.filled === total) this.complete()
  }

  private continueStream(bytes: Uint8Array): void {
    if (this.skipping) return
    const buffer = this.buffer
    if (buffer === undefined) return this.fail(protocolError('chunk continuation without a start'))
    const data = bytes.subarray(1)
    if (this.filled + data.byteLength > buffer.byteLength) {
      return this.fail(protocolError('chunk data exceeds the announced frame size'))
    }
    buffer.set(data, this.filled)
    this.filled += data.byteLength
    if (this.filled === buffer.byteLength) this.complete()
  }

  private complete(): void {
    const buffer = this.buffer
    this.buffer = undefined
    if (buffer === undefined) return
    if (this.kind === KIND_BINARY) this.deliver(buffer)
    else this.deliverString(buffer)
  }

  private deliverString(bytes: Uint8Array): void {
    let text: string
    try {
      text = decoder.decode(bytes)
    } catch {
      this.report(protocolError('string frame is not valid UTF-8'))
      return
    }
    this.deliver(text)
  }
}

function protocolError(message: string): DistributedError {
  return new DistributedError('protocol', `transport framing: ${message}`)
}
