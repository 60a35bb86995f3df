/**
 * Payload encoding: superjson (Date, Map, Set, BigInt, undefined, RegExp, Error and `Pid`
 * survive a round trip) inside plain JSON frames, byte arrays as binary attachments next
 * to the frame, and a hardened JSON parser for text that came over a wire.
 */
import { SuperJSON } from 'superjson'
import { Pid } from './pid.js'

/**
 * The encoded form of one value, as it sits inside a frame: superjson's `{json, meta}`,
 * and `b`, the number of binary attachments when the value holds `Uint8Array`s. Those
 * travel as binary channel messages right after the frame's text, never inside the JSON;
 * in memory they sit on the payload under the `ATTACHMENTS` symbol, which JSON skips.
 */
export interface Payload {
  json: unknown
  meta?: unknown
  b?: number
  [ATTACHMENTS]?: Uint8Array[]
}

/** Where a payload keeps its binary attachments in memory (not on the wire). */
export const ATTACHMENTS: unique symbol = Symbol('attachments')

/** Most attachments one payload may have. */
export const MAX_ATTACHMENTS = 4096

const superjson = new SuperJSON()

/** The attachments being collected by `encodeValue`, or handed to `decodeValue`. */
let collecting: Uint8Array[] | undefined
let reading: readonly Uint8Array[] | undefined

// A Uint8Array (a Node Buffer too) becomes the index of an attachment: its bytes go as
// they are, with no JSON and no copy into text. It arrives as a Uint8Array.
superjson.registerCustom<Uint8Array, number>(
  {
    isApplicable: (value): value is Uint8Array => value instanceof Uint8Array,
    serialize: (bytes) => {
      if (collecting === undefined) throw new TypeError('binary values are encoded by encodeValue only')
      if (collecting.length >= MAX_ATTACHMENTS) throw new TypeError(`a value holds more than ${MAX_ATTACHMENTS} byte arrays`)
      // A copy (the value is sent later, piece by piece), as a plain Uint8Array even for a
      // Buffer; slice() of a plain view is a memory copy.
      collecting.push(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice())
      return collecting.length - 1
    },
    deserialize: (index) => {
      const bytes = Number.isInteger(index) ? reading?.[index] : undefined
      if (bytes === undefined) throw new TypeError(`no binary attachment ${String(index)}`)
      return bytes
    },
  },
  'bin',
)
superjson.registerCustom<Pid, [string, number]>(
  {
    isApplicable: (value): value is Pid => value instanceof Pid,
    serialize: (pid) => [pid.node, pid.id],
    deserialize: (raw) => {
      if (!Array.isArray(raw) || raw.length !== 2) throw new TypeError('malformed Pid')
      const [node, id] = raw as unknown[]
      if (typeof node !== 'string' || typeof id !== 'number') throw new TypeError('malformed Pid')
      return new Pid(node, id)
    },
  },
  'Pid',
)

const MAX_PLAIN_DEPTH = 64

/**
 * True when JSON carries `value` exactly: strings, finite numbers (not -0), booleans,
 * null, arrays and plain objects of those. Such values skip superjson's walk, which is
 * most of the encoding cost of a small message; superjson emits no `meta` for them either.
 */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0)
    case 'object': {
      if (value === null) return true
      if (depth > MAX_PLAIN_DEPTH) return false
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!(i in value) || !isPlainJson(value[i], depth + 1)) return false
        return true
      }
      const proto = Object.getPrototypeOf(value) as unknown
      if (proto !== Object.prototype && proto !== null) return false
      for (const key in value) if (!isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false
      return true
    }
    default:
      return false
  }
}

/** Encodes any value to a payload. Throws a TypeError for values that cannot be encoded. */
export function encodeValue(value: unknown): Payload {
  if (isPlainJson(value, 0)) return { json: value }
  const attachments: Uint8Array[] = []
  collecting = attachments
  let json: unknown
  let meta: unknown
  try {
    ;({ json, meta } = superjson.serialize(value))
  } finally {
    collecting = undefined
  }
  const payload: Payload = meta === undefined ? { json } : { json, meta }
  if (attachments.length > 0) {
    payload.b = attachments.length
    payload[ATTACHMENTS] = attachments
  }
  return payload
}

/**
 * Decodes a payload received from a peer, with its attachments. Throws on malformed input
 * (callers drop the frame).
 */
export function decodeValue(payload: Payload): unknown {
  if (payload.meta === undefined) return payload.json
  const attachments = payload[ATTACHMENTS] ?? []
  if (attachments.length !== (payload.b ?? 0)) throw new TypeError(`payload announces ${payload.b ?? 0} attachments, has ${attachments.length}`)
  reading = attachments
  try {
    return superjson.deserialize(payload as Parameters<typeof superjson.deserialize>[0])
  } finally {
    reading = undefined
  }
}

/** True when `value` has the shape of a payload (`{json, meta?, b?}`). */
export function isPayload(value: unknown): value is Payload {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  if (!Object.prototype.hasOwnProperty.call(value, 'json')) return false
  const { meta, b } = value as { meta?: unknown; b?: unknown }
  if (b !== undefined && !(Number.isInteger(b) && (b as number) >= 1 && (b as number) <= MAX_ATTACHMENTS && meta !== undefined)) return false
  return meta === undefined || (typeof meta === 'object' && meta !== null)
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
const FORBIDDEN_PATTERN = /"(?:__proto__|constructor|prototype)"/

function dropForbidden(this: unknown, key: string, value: unknown): unknown {
  return FORBIDDEN_KEYS.has(key) ? undefined : value
}

/**
 * `JSON.parse` for untrusted text: keys `__proto__`, `constructor` and `prototype` are
 * removed at every depth (only text that mentions one pays for the reviver). Throws a
 * SyntaxError on malformed JSON.
 */
export function parseUntrustedJson(text: string): unknown {
  return FORBIDDEN_PATTERN.test(text) ? JSON.parse(text, dropForbidden) : JSON.parse(text)
}
