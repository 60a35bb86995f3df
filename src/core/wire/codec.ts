/**
 * Payload encoding: superjson (Date, Map, Set, BigInt, undefined, RegExp, URL, Error, typed
 * arrays and `Pid` survive a round trip; what would not is refused first, by `sendable.ts`)
 * inside plain JSON frames, byte arrays as binary attachments and
 * long strings as text attachments next to the frame, and a hardened JSON parser for text
 * that came over a wire.
 */
import { SuperJSON } from 'superjson'
import { buildValue } from './payload-build.js'
import type { JsonKind } from './payload-annotations.js'
import { planMeta } from './payload-meta.js'
import { BadArgError, errorMessage } from '../api/errors.js'
import { Pid } from '../api/pid.js'
import { CLASSES, checkSendable, TEXT_ATTACHMENT_CHARS } from './sendable.js'

/**
 * The encoded form of one value, as it sits inside a frame: superjson's `{json, meta}`;
 * `b`, the number of binary attachments when the value holds `Uint8Array`s; `s`, the
 * number of text attachments when it holds strings of `TEXT_ATTACHMENT_CHARS` or more.
 * Those travel as channel messages of their own right after the frame's text (the binary
 * ones first, then the text ones), never inside the JSON: a long string costs no JSON
 * escaping and parsing. In memory they sit on the payload under the `ATTACHMENTS`
 * symbol, which JSON skips: `b` byte arrays, then `s` strings.
 */
export interface Payload {
  json: unknown
  meta?: unknown
  b?: number
  s?: number
  [ATTACHMENTS]?: Array<Uint8Array | string>
}

/** Where a payload keeps its binary attachments in memory (not on the wire). */
export const ATTACHMENTS: unique symbol = Symbol('attachments')

/** Most attachments (binary and text together) one payload may have. */
export const MAX_ATTACHMENTS = 4096

export { TEXT_ATTACHMENT_CHARS }

const superjson = new SuperJSON()
;(superjson as { classRegistry: typeof CLASSES }).classRegistry = CLASSES

/** The attachments being collected by `encodeValue` (the only caller of this superjson). */
let collecting: Uint8Array[] = []
let collectingTexts: string[] = []

function attach<T>(list: T[], item: T): number {
  if (collecting.length + collectingTexts.length >= MAX_ATTACHMENTS) throw new TypeError(`a value holds more than ${MAX_ATTACHMENTS} byte arrays and long strings`)
  return list.push(item) - 1
}

/** Attachments are decoded by `decodeValue`, never by superjson. */
const elsewhere = (): never => {
  throw new TypeError('decoded by decodeValue only')
}

// A Uint8Array (a Node Buffer too) becomes the index of an attachment: its bytes go as
// they are, with no JSON and no copy into text. It arrives as a Uint8Array. The bytes are
// copied (the value is sent later, piece by piece), as a plain Uint8Array even for a
// Buffer; slice() of a plain view is a memory copy.
superjson.registerCustom<Uint8Array, number>(
  {
    isApplicable: (value): value is Uint8Array => value instanceof Uint8Array,
    serialize: (bytes) => attach(collecting, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice()),
    deserialize: elsewhere,
  },
  'bin',
)
// A long string becomes the index of a text attachment: it goes as its own text message.
superjson.registerCustom<string, number>(
  {
    isApplicable: (value): value is string => typeof value === 'string' && value.length >= TEXT_ATTACHMENT_CHARS,
    serialize: (text) => attach(collectingTexts, text),
    deserialize: elsewhere,
  },
  'str',
)
superjson.registerCustom<Pid, [string, number, number]>(
  {
    isApplicable: (value): value is Pid => value instanceof Pid,
    serialize: (pid) => [pid.node, pid.id, pid.incarnation],
    deserialize: decodePid,
  },
  'Pid',
)

function decodePid(raw: unknown): Pid {
  if (!Array.isArray(raw) || raw.length !== 3) throw new TypeError('malformed Pid')
  const [node, id, incarnation]: unknown[] = raw
  if (typeof node !== 'string' || typeof id !== 'number' || typeof incarnation !== 'number') throw new TypeError('malformed Pid')
  return new Pid(node, id, incarnation) // throws a TypeError for values out of range
}

/** The custom types above, with the JSON type of their values on the wire. */
const CUSTOM_TYPES: ReadonlyMap<string, JsonKind> = new Map([
  ['bin', 'number'],
  ['str', 'number'],
  ['Pid', 'array'],
])

/**
 * Encodes any value to a payload. Throws a `BadArgError` for a value that would not arrive
 * as it was sent (`sendable.ts`), naming where it is from `name`: `msg.player is a function`.
 *
 * @example
 * encodeValue({ at: new Date() }, 'msg')
 */
export function encodeValue(value: unknown, name = 'value'): Payload {
  try {
    return checkSendable(value, name) ? { json: value } : encodeRich(value)
  } catch (error) {
    throw encodeError(error, name)
  }
}

/** What encoding threw (a getter, a value nested deeper than the stack, too many attachments) as a `BadArgError`. */
function encodeError(error: unknown, name: string): BadArgError {
  return error instanceof BadArgError ? error : new BadArgError(`${name} cannot be encoded: ${errorMessage(error)}`, { cause: error })
}

function encodeRich(value: unknown): Payload {
  const attachments: Uint8Array[] = (collecting = [])
  const texts: string[] = (collectingTexts = [])
  let result: ReturnType<typeof superjson.serialize>
  try {
    result = superjson.serialize(value)
  } finally {
    collecting = []
    collectingTexts = []
  }
  const { json, meta } = result
  const payload: Payload = meta === undefined ? { json } : { json, meta }
  if (attachments.length > 0) payload.b = attachments.length
  if (texts.length > 0) payload.s = texts.length
  if (attachments.length + texts.length > 0) payload[ATTACHMENTS] = texts.length === 0 ? attachments : [...attachments, ...texts]
  return payload
}

/**
 * The value a process of another node would get for `value`: checked as `encodeValue`
 * checks it, and a copy, so that a local message or reply is never shared with its sender.
 */
export function copyValue(value: unknown, name: string): unknown {
  try {
    return checkSendable(value, name) ? copyJson(value) : decodeValue(encodeRich(value), NO_LIMITS)
  } catch (error) {
    throw encodeError(error, name)
  }
}

const NO_LIMITS: DecodeLimits = { maxBigIntDigits: Infinity }

/** A copy of plain JSON (no holes, no cycles: `checkSendable` let it through). */
function copyJson(json: unknown): unknown {
  if (typeof json !== 'object' || json === null) return json
  if (Array.isArray(json)) return json.map(copyJson)
  // a spread copies an object's shape at once (much faster than key by key); then the objects inside it
  const copy: Record<string, unknown> = { ...json }
  for (const key in copy) {
    const item = copy[key]
    if (typeof item === 'object') copy[key] = copyJson(item)
  }
  return copy
}

/** Bounds on what `decodeValue` accepts; each one left out takes its default. */
export interface DecodeLimits {
  /** Most digits of a BigInt (sign not counted); default `DEFAULT_MAX_BIGINT_DIGITS`. */
  maxBigIntDigits?: number
}

/**
 * Default `maxBigIntDigits`. Turning decimal text into a BigInt costs more per digit the
 * longer it is (in V8, about 3.5 ns per digit at 1,000 digits, 21 at 10,000, 130 at
 * 1,000,000); at 4,096 digits (13,600 bits, room for an 8,192-bit key) it is about
 * 10 ns per digit, near what a Date costs per character.
 */
export const DEFAULT_MAX_BIGINT_DIGITS = 4096

/**
 * Decodes a payload received from a peer, with its attachments. A payload without `meta`
 * is its `json`, as it is. Otherwise `meta` is checked against `json` first, in time linear
 * in their size (see PROTOCOL.md, "Values"), and anything superjson's serializer would not
 * have written throws a TypeError, as does a byte-array index out of range or used twice,
 * or a BigInt longer than `limits.maxBigIntDigits`. Callers drop the frame. The payload is
 * not changed; parts of `json` without annotations inside may be shared with the result.
 *
 * @example
 * decodeValue(JSON.parse(text), { maxBigIntDigits: 100 })
 */
export function decodeValue(payload: Payload, limits?: DecodeLimits): unknown {
  // the hot path: plain JSON, no meta; the rest lives apart so this stays small
  return payload.meta === undefined ? payload.json : decodeWithMeta(payload, limits)
}

function decodeWithMeta(payload: Payload, limits: DecodeLimits | undefined): unknown {
  const attachments = payload[ATTACHMENTS] ?? []
  const binary = payload.b ?? 0
  const text = payload.s ?? 0
  if (attachments.length !== binary + text) throw new TypeError(`payload announces ${binary + text} attachments, has ${attachments.length}`)
  const maxBigIntDigits = limits?.maxBigIntDigits ?? DEFAULT_MAX_BIGINT_DIGITS
  if (!(maxBigIntDigits >= 0)) throw new RangeError(`maxBigIntDigits must be a number from 0 up, not ${String(maxBigIntDigits)}`)
  const plan = planMeta(payload.json, payload.meta, { customs: CUSTOM_TYPES, classes: CLASSES, maxBigIntDigits })
  let taken: Set<number> | undefined
  return buildValue(plan, (name, json) => {
    if (name === 'Pid') return decodePid(json)
    const kind = name === 'str' ? 'text' : 'binary'
    const count = name === 'str' ? text : binary
    if (typeof json !== 'number' || !Number.isInteger(json) || json < 0 || json >= count) throw new TypeError(`no ${kind} attachment ${String(json)}`)
    const at = name === 'str' ? binary + json : json
    const value = attachments[at]
    if (name === 'str' ? typeof value !== 'string' : !(value instanceof Uint8Array)) throw new TypeError(`${kind} attachment ${json} is of the wrong kind`)
    if ((taken ??= new Set()).has(at)) throw new TypeError(`${kind} attachment ${json} used twice`)
    taken.add(at)
    return value
  })
}

const isCount = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= MAX_ATTACHMENTS

/** True when `value` has the shape of a payload (`{json, meta?, b?, s?}`). */
export function isPayload(value: unknown): value is Payload {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  if (!Object.prototype.hasOwnProperty.call(value, 'json')) return false
  const { meta, b, s } = value as { meta?: unknown; b?: unknown; s?: unknown }
  if ((b !== undefined || s !== undefined) && meta === undefined) return false
  if ((b !== undefined && !isCount(b)) || (s !== undefined && !isCount(s))) return false
  if (((b as number | undefined) ?? 0) + ((s as number | undefined) ?? 0) > MAX_ATTACHMENTS) return false
  return meta === undefined || (typeof meta === 'object' && meta !== null)
}
