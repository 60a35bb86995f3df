/**
 * Builds the value a checked payload stands for (see `payload-meta.ts`). Containers of
 * `json` with an annotated or shared place inside are copied, the others are used as they
 * are; each annotated value becomes its type once, and each shared object is built once,
 * from its first place, then handed to its other places. Containers are created empty and
 * filled from a work list of their own, so cycles close on objects that exist already and
 * no depth of `json` overflows the stack. Linear in the size of the payload.
 */
import { isPlainObject } from '../util/untrusted-json.js'
import { type Annotation, TYPED_ARRAY_NAMES, type TypedArrayName } from './payload-annotations.js'
import type { MetaPlan, Share } from './payload-meta.js'

/** Decodes the JSON value of a custom type (`registerCustom` on the sending side). */
export type CustomDecoder = (name: string, json: unknown) => unknown

interface TypedArrayClass {
  from(items: ArrayLike<unknown>, toNumber: (item: unknown) => number): unknown
}
const TYPED_ARRAYS: Readonly<Record<TypedArrayName, TypedArrayClass>> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
}

/** What a container waits for: copies of `json` containers and the containers annotations make. */
type Fill =
  | { kind: 'array'; json: unknown[]; into: unknown[] }
  | { kind: 'object'; json: Record<string, unknown>; into: Record<string, unknown> }
  | { kind: 'set'; json: unknown[]; into: Set<unknown> }
  | { kind: 'map'; json: unknown[]; into: Map<unknown, unknown> }
  | { kind: 'error'; json: Record<string, unknown>; into: Error }

/**
 * The value `plan` describes. Throws a TypeError for a regular expression that does not
 * compile, a URL that does not parse, or whatever `custom` refuses.
 */
export function buildValue(plan: MetaPlan, custom: CustomDecoder): unknown {
  return new Builder(plan, custom).run()
}

class Builder {
  readonly #slots: MetaPlan['slots']
  readonly #touched: MetaPlan['touched']
  readonly #work: Fill[] = []

  readonly #plan: MetaPlan
  readonly #custom: CustomDecoder

  constructor(
    plan: MetaPlan,
    custom: CustomDecoder,
  ) {
    this.#plan = plan
    this.#custom = custom
    this.#slots = plan.slots
    this.#touched = plan.touched
  }

  run(): unknown {
    const result = this.#at(this.#plan.root, 0, this.#plan.root[0])
    for (let fill = this.#work.pop(); fill !== undefined; fill = this.#work.pop()) this.#fill(fill)
    return result
  }

  /** The value at `container[key]`, whose JSON is `json`. */
  #at(container: object, key: string | number, json: unknown): unknown {
    const slot = this.#slots.get(container)?.get(key)
    if (slot === undefined) return this.#copy(json)
    if (slot.share !== undefined) return this.#shared(slot.share)
    return this.#make(json, slot.annotation)
  }

  /** `json` itself, or an empty copy to be filled when an annotated or shared place is inside. */
  #copy(json: unknown): unknown {
    if (typeof json !== 'object' || json === null || !this.#touched.has(json)) return json
    if (Array.isArray(json)) {
      const into: unknown[] = new Array(json.length)
      this.#work.push({ kind: 'array', json, into })
      return into
    }
    if (!isPlainObject(json)) return json
    const into: Record<string, unknown> = {}
    this.#work.push({ kind: 'object', json, into })
    return into
  }

  #shared(share: Share): unknown {
    if (!share.built) {
      const first = share.first
      if (first === undefined) throw new TypeError('malformed payload meta: a shared object has no place')
      share.built = true
      share.value = this.#make(first.value, first.annotation)
    }
    return share.value
  }

  #make(json: unknown, annotation: Annotation | undefined): unknown {
    if (annotation === undefined) return this.#copy(json)
    switch (annotation.type) {
      case 'undefined':
        return undefined
      case 'bigint':
        return BigInt(text(json))
      case 'Date':
        return new Date(text(json))
      case 'URL':
        return new URL(text(json))
      case 'number':
        return Number(text(json))
      case 'regexp':
        return regexp(text(json))
      case 'set': {
        const items = list(json)
        if (!this.#touched.has(items)) return new Set(items)
        const into = new Set<unknown>()
        this.#work.push({ kind: 'set', json: items, into })
        return into
      }
      case 'map': {
        const entries = list(json)
        const into = new Map<unknown, unknown>()
        if (this.#touched.has(entries)) {
          this.#work.push({ kind: 'map', json: entries, into })
          return into
        }
        for (const entry of entries) {
          const row = list(entry)
          into.set(row[0], row[1])
        }
        return into
      }
      case 'Error': {
        const fields = record(json)
        // as superjson builds it: name and message, an own `cause` and `stack` as sent
        const error = new Error(text(fields.message), { cause: undefined })
        error.name = text(fields.name)
        if (this.#touched.has(fields)) this.#work.push({ kind: 'error', json: fields, into: error })
        else setErrorFields(error, fields.cause, fields.stack)
        return error
      }
      case 'typed-array':
        return TYPED_ARRAYS[annotation.name].from(list(json), Number)
      case 'custom':
        return this.#custom(annotation.name, json)
      case 'class': {
        // as superjson builds it: the sent properties on an object of the class's prototype
        const into = Object.create(annotation.proto as object | null) as Record<string, unknown>
        this.#work.push({ kind: 'object', json: record(json), into })
        return into
      }
    }
  }

  #fill(fill: Fill): void {
    switch (fill.kind) {
      case 'array':
        for (let i = 0; i < fill.json.length; i++) fill.into[i] = this.#at(fill.json, i, fill.json[i])
        return
      case 'object':
        for (const key of Object.keys(fill.json)) {
          const value = this.#at(fill.json, key, fill.json[key])
          if (key === '__proto__') Object.defineProperty(fill.into, key, { value, writable: true, enumerable: true, configurable: true })
          else fill.into[key] = value
        }
        return
      case 'set':
        for (let i = 0; i < fill.json.length; i++) fill.into.add(this.#at(fill.json, i, fill.json[i]))
        return
      case 'map':
        for (const entry of fill.json) {
          const row = list(entry)
          fill.into.set(this.#at(row, 0, row[0]), this.#at(row, 1, row[1]))
        }
        return
      case 'error':
        setErrorFields(fill.into, this.#at(fill.json, 'cause', fill.json.cause), this.#at(fill.json, 'stack', fill.json.stack))
        return
    }
  }
}

// planMeta checked the JSON type of every annotated value; these keep the types honest.
const unchecked = (): TypeError => new TypeError('malformed payload: a value of the wrong JSON type')
function text(json: unknown): string {
  if (typeof json !== 'string') throw unchecked()
  return json
}
function list(json: unknown): unknown[] {
  if (!Array.isArray(json)) throw unchecked()
  return json
}
function record(json: unknown): Record<string, unknown> {
  if (!isPlainObject(json)) throw unchecked()
  return json
}

function setErrorFields(error: Error, cause: unknown, stack: unknown): void {
  error.cause = cause
  Object.defineProperty(error, 'stack', { value: stack, writable: true, enumerable: false, configurable: true })
}

/** `/body/flags`, as superjson writes a RegExp. */
function regexp(source: string): RegExp {
  const slash = source.lastIndexOf('/')
  try {
    return new RegExp(source.slice(1, slash), source.slice(slash + 1))
  } catch (error) {
    throw new TypeError(`malformed payload: ${error instanceof Error ? error.message : 'invalid regular expression'}`)
  }
}
