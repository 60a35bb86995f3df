/**
 * The walk every value takes before it is encoded: it finds what would not arrive as it
 * was sent (a function, a Symbol, an instance of a class the encoding does not know, a
 * hole in an array, a key receivers drop) and throws a `BadArgError` naming where it is,
 * as `msg.player is a function`; and it tells whether JSON alone carries the value, so
 * that superjson's own walk is skipped for most messages. One walk, linear in the size of
 * the value (containers below `PLAIN_DEPTH` are walked once per place that holds them,
 * as JSON writes them; deeper ones once in all).
 */
import { SuperJSON } from 'superjson'
import { BadArgError } from '../api/errors.js'
import { Pid } from '../api/pid.js'
import { TYPED } from './payload-annotations.js'

/**
 * The classes registered with superjson's default instance (`SuperJSON.registerClass(Point)`
 * on every node): their instances travel as their own enumerable properties and arrive as
 * instances again. The encoder is an instance of its own, so that its custom types stay
 * private; it reads this registry, which superjson keeps in a private field.
 */
export const CLASSES: SuperJSON['classRegistry'] = (SuperJSON as unknown as { defaultInstance: SuperJSON }).defaultInstance.classRegistry

/** Strings this long (in UTF-16 units) or longer travel as text attachments. */
export const TEXT_ATTACHMENT_CHARS = 64 * 1024

/**
 * Containers deeper than this are remembered, so that a cycle ends the walk (it travels:
 * superjson writes it) and an object held in many places is walked once; such a value
 * goes through superjson, as a shallower one with a Date or a Map does.
 */
const PLAIN_DEPTH = 64

/** `PLAIN_DEPTH`, or -1 to remember every container: a second walk finds a short path in a cyclic value. */
let plainDepth = PLAIN_DEPTH

/** What `walk` returns: JSON carries the value (0), superjson must (RICH), or it cannot travel (BAD). */
const RICH = 1
const BAD = 2

/** Containers past `plainDepth` seen by the walk under way. */
let seen: Set<object> | undefined
/** Set when the walk fails: what the value is, and its path from the innermost place out. */
let what = ''
const path: string[] = []

const fail = (text: string): number => {
  what = text
  return BAD
}
const at = (segment: string): number => {
  path.push(segment)
  return BAD
}

/**
 * Returns true when JSON alone carries `value` exactly, false when superjson must encode
 * it. Throws a `BadArgError` when it cannot travel; `name` starts the path in the message.
 *
 * @example
 * checkSendable({ player: () => 1 }, 'msg') // throws BadArgError: msg.player is a function
 */
export function checkSendable(value: unknown, name: string): boolean {
  seen = undefined
  const flags = walk(value, 0)
  seen = undefined
  if (flags < BAD) return flags === 0
  if (path.length > PLAIN_DEPTH && plainDepth > 0) {
    // around a cycle, perhaps: once more, each container once, for the shortest path there is
    plainDepth = -1
    path.length = 0
    try {
      checkSendable(value, name)
    } finally {
      plainDepth = PLAIN_DEPTH
    }
  }
  const where = path.reverse().join('')
  path.length = 0
  throw new BadArgError(`${name}${where} ${what}`)
}

function walk(value: unknown, depth: number): number {
  switch (typeof value) {
    case 'string':
      return value.length < TEXT_ATTACHMENT_CHARS ? 0 : RICH
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0) ? 0 : RICH
    case 'boolean':
      return 0
    case 'undefined':
    case 'bigint':
      return RICH
    case 'object':
      return value === null ? 0 : walkObject(value, depth)
    default:
      return fail(`is a ${typeof value === 'symbol' ? 'Symbol' : 'function'}`)
  }
}

function walkObject(value: object, depth: number): number {
  let flags = 0
  if (depth > plainDepth) {
    if ((seen ??= new Set()).has(value)) return RICH
    seen.add(value)
    flags = RICH
  }
  let r: number
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      if ((r = item === undefined && !(i in value) ? fail('is an empty slot of a sparse array') : walk(item, depth + 1)) === BAD) return at(`[${i}]`)
      flags |= r
    }
    return flags
  }
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto === Object.prototype || proto === null) return walkKeys(value, depth, flags)
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? fail('is an invalid Date') : RICH
  if (value instanceof Uint8Array || value instanceof Pid || value instanceof RegExp || value instanceof URL) return RICH
  if (value instanceof Map || value instanceof Set) {
    // a Map's items are its [key, value] entries
    let i = 0
    for (const item of value) {
      if ((r = walk(item, depth + 1)) === BAD) return at(`.${value instanceof Map ? 'entries' : 'values'}()[${i}]`)
      flags |= r
      i++
    }
    return flags | RICH
  }
  if (value instanceof Error) return (r = 'cause' in value ? walk(value.cause, depth + 1) : 0) === BAD ? at('.cause') : r | RICH
  const kind = value.constructor as (new () => unknown) | undefined
  if (kind !== undefined && CLASSES.getIdentifier(kind) !== undefined) return walkKeys(value, depth, RICH)
  return ArrayBuffer.isView(value) && TYPED.has(kind?.name) ? RICH : fail(`is an instance of ${String(kind?.name || 'an unnamed class')}`)
}

/** The properties of a plain object or of an instance of a registered class. */
function walkKeys(value: object, depth: number, flags: number): number {
  let r: number
  for (const key in value) {
    // FORBIDDEN_KEYS, compared one by one: a Set lookup per key costs more
    if ((r = key === '__proto__' || key === 'constructor' || key === 'prototype' ? fail('is a key receivers drop') : walk((value as Record<string, unknown>)[key], depth + 1)) === BAD) return at(`.${key}`)
    flags |= r
  }
  return flags
}
