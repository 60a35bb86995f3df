/**
 * Payload encoding: superjson (Date, Map, Set, BigInt, undefined, RegExp, Error and `Pid`
 * survive a round trip) inside plain JSON frames, and a hardened JSON parser for text
 * that came over a wire.
 */
import { SuperJSON } from 'superjson'
import { Pid } from './pid.js'

/** The encoded form of one value, as it sits inside a frame: superjson's `{json, meta}`. */
export interface Payload {
  json: unknown
  meta?: unknown
}

const superjson = new SuperJSON()
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
  const { json, meta } = superjson.serialize(value)
  return meta === undefined ? { json } : { json, meta }
}

/** Decodes a payload received from a peer. Throws on malformed input (callers drop the frame). */
export function decodeValue(payload: Payload): unknown {
  if (payload.meta === undefined) return payload.json
  return superjson.deserialize(payload as Parameters<typeof superjson.deserialize>[0])
}

/** True when `value` has the shape of a payload (`{json, meta?}`). */
export function isPayload(value: unknown): value is Payload {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  if (!Object.prototype.hasOwnProperty.call(value, 'json')) return false
  const meta = (value as { meta?: unknown }).meta
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
