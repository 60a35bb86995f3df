/**
 * The annotations of superjson's `meta` (its `values` tree) and the JSON each one needs
 * under it: the vocabulary that payload-meta.ts checks a received `meta` against and
 * payload-build.ts and sendable.ts build and walk values with.
 */
import { isPlainObject } from '../util/untrusted-json.js'

export type SimpleType = 'undefined' | 'bigint' | 'Date' | 'Error' | 'regexp' | 'set' | 'map' | 'number' | 'URL'
export type TypedArrayName = (typeof TYPED_ARRAY_NAMES)[number]
export type Annotation =
  | { readonly type: SimpleType }
  | { readonly type: 'typed-array'; readonly name: TypedArrayName }
  | { readonly type: 'custom'; readonly name: string }
  | { readonly type: 'class'; readonly name: string; readonly proto: unknown }

/** The JSON type a custom type's value has on the wire. */
export type JsonKind = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object'

/** The typed arrays superjson carries (a Uint8Array travels as `bin` instead). */
export const TYPED_ARRAY_NAMES = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array'] as const

/** The annotations that name a type alone, by name. */
export const SIMPLE = new Map<unknown, Annotation>(
  (['undefined', 'bigint', 'Date', 'Error', 'regexp', 'set', 'map', 'number', 'URL'] as const).map((type) => [type, { type }]),
)
/** The typed arrays' annotations, by name. */
export const TYPED = new Map<unknown, Annotation>(TYPED_ARRAY_NAMES.map((name) => [name, { type: 'typed-array', name }]))
const SPECIAL_NUMBERS = new Set<unknown>(['NaN', 'Infinity', '-Infinity', '-0'])
const DECIMAL = /^-?[0-9]+$/

/** The JSON type of a value from `JSON.parse`, or `other`. */
export function kindOf(x: unknown): JsonKind | 'other' {
  if (x === null) return 'null'
  if (Array.isArray(x)) return 'array'
  if (isPlainObject(x)) return 'object'
  const type = typeof x
  return type === 'boolean' || type === 'number' || type === 'string' ? type : 'other'
}

/** True when `value` has the JSON type superjson writes for `annotation`. */
export function fits(annotation: Annotation, value: unknown, customs: ReadonlyMap<string, JsonKind>): boolean {
  switch (annotation.type) {
    case 'undefined':
      return value === null
    case 'bigint':
      return typeof value === 'string' && DECIMAL.test(value)
    case 'Date':
    case 'URL':
      return typeof value === 'string'
    case 'regexp':
      return typeof value === 'string' && value.startsWith('/') && value.lastIndexOf('/') > 0
    case 'number':
      return SPECIAL_NUMBERS.has(value)
    case 'set':
      return Array.isArray(value)
    case 'map':
      return Array.isArray(value) && value.every((entry) => Array.isArray(entry) && entry.length === 2)
    case 'Error':
      return isPlainObject(value) && typeof value.name === 'string' && typeof value.message === 'string'
    case 'typed-array':
      return Array.isArray(value) && value.every((item) => typeof item === 'number' || item === null)
    case 'custom':
      return kindOf(value) === customs.get(annotation.name)
    case 'class':
      return isPlainObject(value)
  }
}
