/**
 * JSON from the network: keys that could reach an object's prototype are never let
 * through, whichever way the text spells them.
 */

/** Whether `x` is a plain object: an object literal's prototype or none (not an array, not a class instance). */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false
  const proto: unknown = Object.getPrototypeOf(x)
  return proto === Object.prototype || proto === null
}

/** Keys dropped from (or refused in) anything parsed from untrusted input. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

const FORBIDDEN_PATTERN = /"(?:__proto__|constructor|prototype)"/

function dropForbidden(this: unknown, key: string, value: unknown): unknown {
  return FORBIDDEN_KEYS.has(key) ? undefined : value
}

/**
 * `JSON.parse` for untrusted text: keys `__proto__`, `constructor` and `prototype` are
 * removed at every depth, however they are written. The parsed keys are checked (a reviver),
 * and only text that names one of them outright or holds a `\u` escape, which could spell
 * one, pays for that; the rest is plain `JSON.parse`. Throws a SyntaxError on malformed JSON.
 *
 * @example
 * parseUntrustedJson('{"\\u005f_proto__":1,"a":2}') // { a: 2 }
 */
export function parseUntrustedJson(text: string): unknown {
  return text.includes('\\u') || FORBIDDEN_PATTERN.test(text) ? JSON.parse(text, dropForbidden) : JSON.parse(text)
}
