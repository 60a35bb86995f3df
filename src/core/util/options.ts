/**
 * The checks of options, written once: each returns the value given, or the default when
 * the option is not given, and throws for anything else, with one message shape:
 * `<name> must be <what it takes>, got <the value>`.
 *
 * This layer imports nothing of the library, so the layer that owns the error class hands
 * it in once per options file: `const check = optionChecks(BadArgError)`.
 *
 * @example
 * const check = optionChecks(BadArgError)
 * const idleMs = check.positive('directIdleMs', options.directIdleMs, 30_000)
 * const policy = check.oneOf('iceTransportPolicy', options.iceTransportPolicy, ['all', 'relay'])
 */

/** The error an options check throws (`BadArgError` in the library). */
export type OptionError = new (message: string) => Error

/** A value as an error message shows it. */
export type Show = (value: unknown) => string

/** A value as JSON, cut to `max` characters (or as `String` gives it, when JSON has no text for it). */
export const showJson = (value: unknown, max = 40): string => JSON.stringify(value)?.slice(0, max) ?? String(value)

export interface OptionChecks {
  /** For an option with no default: `value` if `test` takes it (undefined is tested too); otherwise throws `<name> must be <expected>, got <show(value)>`. */
  required<T>(name: string, value: unknown, test: (value: unknown) => boolean, expected: string, show?: Show): T
  /**
   * `value` if `test` takes it, `fallback` if it is undefined; otherwise throws
   * `<name> must be <expected>, got <show(value)>`.
   */
  valid<T>(name: string, value: unknown, fallback: T, test: (value: unknown) => boolean, expected: string, show?: Show): T
  /** A number above 0 (Infinity too): `must be a positive number` unless `expected` says it otherwise. */
  positive(name: string, value: unknown, fallback: number, expected?: string): number
  /** A finite number, 0 or more: `must be a number from 0 up`. */
  fromZero(name: string, value: unknown, fallback: number): number
  /** An integer from `min` to `max`: `must be an integer from <min> to <max>` unless `expected` says it otherwise. */
  integer(name: string, value: unknown, fallback: number, min: number, max: number, expected?: string): number
  /** One of `choices`, or undefined when not given: `must be 'a' or 'b'`, the value shown as JSON. */
  oneOf<T extends string>(name: string, value: unknown, choices: readonly T[]): T | undefined
}

const isPositive = (value: unknown): boolean => typeof value === 'number' && !Number.isNaN(value) && value > 0
const isFromZero = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value >= 0

/**
 * The checks, throwing `Fail`; values in messages shown by `show` (default `String`).
 *
 * @example
 * const check = optionChecks(BadArgError, describe)
 * check.positive('heartbeatIntervalMs', -1, 500, 'a positive number of milliseconds (or Infinity)')
 * // throws BadArgError('heartbeatIntervalMs must be a positive number of milliseconds (or Infinity), got number -1')
 */
export function optionChecks(Fail: OptionError, show: Show = String): OptionChecks {
  const required = <T>(name: string, value: unknown, test: (value: unknown) => boolean, expected: string, shown: Show = show): T => {
    if (!test(value)) throw new Fail(`${name} must be ${expected}, got ${shown(value)}`)
    return value as T
  }
  const valid = <T>(name: string, value: unknown, fallback: T, test: (value: unknown) => boolean, expected: string, shown: Show = show): T =>
    value === undefined ? fallback : required<T>(name, value, test, expected, shown)
  return {
    required,
    valid,
    positive: (name, value, fallback, expected = 'a positive number') => valid(name, value, fallback, isPositive, expected),
    fromZero: (name, value, fallback) => valid(name, value, fallback, isFromZero, 'a number from 0 up'),
    integer: (name, value, fallback, min, max, expected = `an integer from ${min} to ${max}`) =>
      valid(name, value, fallback, (v) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max, expected),
    oneOf: <T extends string>(name: string, value: unknown, choices: readonly T[]): T | undefined =>
      valid<T | undefined>(name, value, undefined, (v) => choices.includes(v as T), choices.map((choice) => `'${choice}'`).join(' or '), showJson),
  }
}
