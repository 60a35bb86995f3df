/** Argument checks for the public API: each throws `BadArgError` with a clear message. */
import { BadArgError } from '../api/errors.js'
import { Pid } from '../api/pid.js'
import { optionChecks } from '../util/options.js'
import { MAX_NAME_LENGTH } from '../wire/protocol.js'

/** The shared checks (util/options.ts), throwing `BadArgError`; values shown as `describe` shows them. */
const check = optionChecks(BadArgError, describe)

export function assertName(value: unknown, what = 'name'): asserts value is string {
  if (typeof value !== 'string') throw new BadArgError(`${what} must be a string, got ${describe(value)}`)
  if (value.length === 0) throw new BadArgError(`${what} must not be empty`)
  if (value.length > MAX_NAME_LENGTH) throw new BadArgError(`${what} is longer than ${MAX_NAME_LENGTH} characters`)
}

export function assertPid(value: unknown, what = 'pid'): asserts value is Pid {
  if (!(value instanceof Pid)) throw new BadArgError(`${what} must be a Pid, got ${describe(value)}`)
}

export function assertTarget(value: unknown): asserts value is Pid | string {
  if (value instanceof Pid) return
  if (typeof value === 'string') return assertName(value, 'target name')
  throw new BadArgError(`target must be a Pid or a registered name, got ${describe(value)}`)
}

/** What a positive option takes, in words: milliseconds for a name ending in `Ms`, a count or size otherwise. */
export const positiveExpected = (name: string): string => (name.endsWith('Ms') ? 'a positive number of milliseconds (or Infinity)' : 'a positive number (or Infinity)')

/** A positive number, Infinity for no bound. The caller has applied its default, so undefined is refused too. */
export function assertTimeout(value: unknown, what = 'timeoutMs'): asserts value is number {
  const expected = positiveExpected(what)
  check.required(what, value, (given) => given !== undefined, expected)
  check.positive(what, value, NaN, expected)
}

export function assertFunction(value: unknown, what: string): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') throw new BadArgError(`${what} must be a function, got ${describe(value)}`)
}

export function assertOptionalCallback(value: unknown): void {
  if (value !== undefined && value !== null && typeof value !== 'function') {
    throw new BadArgError(`callback must be a function, null or undefined, got ${describe(value)}`)
  }
}

export function assertArray(value: unknown, what: string): asserts value is unknown[] {
  if (!Array.isArray(value)) throw new BadArgError(`${what} must be an array, got ${describe(value)}`)
}

/** A short, safe description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (value instanceof Pid) return `pid ${value.toString()}`
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`
  return typeof value === 'object' ? 'an object' : typeof value
}
