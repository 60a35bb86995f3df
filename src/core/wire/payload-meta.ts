/**
 * The `meta` of a received payload, checked against its `json` before anything is decoded.
 *
 * superjson's `meta` says, by dotted paths into `json`, which values have a type JSON cannot
 * carry (`values`, a tree of type annotations) and which places hold one shared object
 * (`referentialEqualities`). superjson follows it trusting every part: a string where an
 * object belongs makes it recurse until the stack overflows, it counts to a row of a Set or
 * Map from the start for every path, and a kilobyte of references can stand for a tree of
 * millions of nodes. Here each path is resolved once, in time linear in its length, to the
 * place in `json` it names; every annotation is checked against the JSON type it needs; and
 * the result is a `MetaPlan` that `payload-build.ts` turns into the value in linear time.
 * Anything superjson's serializer does not write is refused with a TypeError.
 */
import { FORBIDDEN_KEYS, isPlainObject } from '../util/untrusted-json.js'
import { type Annotation, fits, type JsonKind, kindOf, SIMPLE, TYPED } from './payload-annotations.js'

/** A place in `json`: `container[key]`, and the JSON value found there. */
export interface Slot {
  readonly container: object
  readonly key: string | number
  readonly value: unknown
  annotation: Annotation | undefined
  /** The shared object this place holds, if `referentialEqualities` lists it. */
  share: Share | undefined
  /** Document order of the place, of the last place inside it, and its size (set for shared places). */
  pre: number
  end: number
  weight: number
}

/** One object that several places hold; it is built once, from its first place. */
export interface Share {
  first: Slot | undefined
  built: boolean
  value: unknown
}

export interface MetaOptions {
  /** Custom types the sender may use (superjson `registerCustom` names), with their JSON type. */
  readonly customs: ReadonlyMap<string, JsonKind>
  /** Classes the sender may name (superjson `registerClass` identifiers); none when left out. */
  readonly classes?: { getValue(name: string): { prototype: unknown } | undefined }
  readonly maxBigIntDigits: number
}

/** What `buildValue` needs: where each annotation and shared object goes. */
export interface MetaPlan {
  /** `[json]`: the whole value is the place `root[0]`. */
  readonly root: unknown[]
  /** The annotated or shared places, by container and key. */
  readonly slots: Map<object, Map<string | number, Slot>>
  /** Containers of `json` with such a place inside: the builder copies these and keeps the rest. */
  readonly touched: Set<object>
}

/**
 * Deepest nesting of annotations with children (a Map in a Set in a Map...). superjson's
 * serializer overflows its stack before 1,000 levels, so no sender writes more.
 */
export const MAX_META_DEPTH = 1000

const INDEX = /^(?:0|[1-9][0-9]{0,14})$/

const bad = (message: string): TypeError => new TypeError(`malformed payload meta: ${message}`)

/** A path's segments; `legacy` (meta without `v`) reads backslashes as superjson's first format did. */
function segmentsOf(path: string, legacy: boolean): string[] {
  const segments: string[] = []
  let segment = ''
  for (let i = 0; i < path.length; i++) {
    const c = path.charAt(i)
    if (c === '.') {
      segments.push(segment)
      segment = ''
    } else if (c !== '\\') {
      segment += c
    } else {
      const next = path[i + 1]
      if (next === '.' || (next === '\\' && !legacy)) {
        segment += next
        i++
      } else if (legacy) {
        segment += c
      } else {
        throw bad('a path has a backslash before neither "." nor "\\"')
      }
    }
  }
  segments.push(segment)
  return segments
}

/**
 * Checks `meta` against `json` and says where each annotation and shared object goes.
 * Throws a TypeError for anything superjson's serializer would not have written: another
 * shape, unknown annotations, paths to nothing, values of the wrong JSON type, a BigInt of
 * more than `maxBigIntDigits` digits, or shared references that would make the value larger
 * than the JSON that carries it. Linear in the sizes of `json` and `meta`.
 */
export function planMeta(json: unknown, meta: unknown, options: MetaOptions): MetaPlan {
  if (!isPlainObject(meta)) throw bad(`meta is ${kindOf(meta)}, not an object`)
  for (const key of Object.keys(meta)) {
    if (key !== 'values' && key !== 'referentialEqualities' && key !== 'v') throw bad(`unknown field ${JSON.stringify(key.slice(0, 32))}`)
  }
  const { values, referentialEqualities, v } = meta
  if (v !== undefined && v !== 1) throw bad('unknown version')
  const planner = new Planner(json, v === undefined, options)
  if (Array.isArray(values)) planner.annotate(values, planner.top, 0)
  else if (values !== undefined) planner.children(values, planner.top, 0)
  if (referentialEqualities !== undefined) {
    planner.shares(referentialEqualities)
    planner.checkShares()
  }
  return planner
}

class Planner implements MetaPlan {
  readonly root: unknown[]
  readonly slots = new Map<object, Map<string | number, Slot>>()
  readonly touched = new Set<object>()
  /** The place of the whole value. */
  readonly top: Slot

  readonly #legacy: boolean
  readonly #options: MetaOptions

  constructor(
    json: unknown,
    legacy: boolean,
    options: MetaOptions,
  ) {
    this.#legacy = legacy
    this.#options = options
    this.root = [json]
    this.touched.add(this.root)
    this.top = this.slot(this.root, 0, json)
  }

  slot(container: object, key: string | number, value: unknown): Slot {
    let byKey = this.slots.get(container)
    if (byKey === undefined) this.slots.set(container, (byKey = new Map()))
    let slot = byKey.get(key)
    if (slot === undefined) {
      slot = { container, key, value, annotation: undefined, share: undefined, pre: -1, end: -1, weight: 0 }
      byKey.set(key, slot)
    }
    return slot
  }

  /** The place `path` names, starting from the value in `base`. */
  resolve(base: Slot, path: unknown): Slot {
    if (typeof path !== 'string') throw bad('a path is not a string')
    // most paths have no escapes: their segments are read in place, with no array
    const segments = path.includes('\\') ? segmentsOf(path, this.#legacy) : undefined
    let container = base.container
    let key = base.key
    let value = base.value
    for (let n = 0, from = 0; segments === undefined ? from <= path.length : n < segments.length; n++) {
      let segment: string
      if (segments === undefined) {
        const dot = path.indexOf('.', from)
        const end = dot === -1 ? path.length : dot
        segment = path.slice(from, end)
        from = end + 1
      } else {
        segment = segments[n] as string
      }
      if (Array.isArray(value)) {
        if (!INDEX.test(segment) || Number(segment) >= value.length) throw bad('a path names an index the array does not have')
        container = value
        key = Number(segment)
        value = value[key]
      } else if (isPlainObject(value)) {
        if (FORBIDDEN_KEYS.has(segment) || !Object.hasOwn(value, segment)) throw bad('a path names a key the object does not have')
        container = value
        key = segment
        value = value[segment]
      } else {
        throw bad(`a path leads into ${kindOf(value)}`)
      }
      this.touched.add(container)
    }
    return this.slot(container, key, value)
  }

  /** A node of the `values` tree: `[type]` or `[type, children]`, for the value in `slot`. */
  annotate(node: unknown, slot: Slot, depth: number): void {
    if (!Array.isArray(node) || (node.length !== 1 && node.length !== 2)) throw bad('an annotation is not [type] or [type, children]')
    if (slot.annotation !== undefined) throw bad('a value has two annotations')
    const annotation = this.#annotation(node[0])
    this.#check(annotation, slot.value)
    slot.annotation = annotation
    if (node.length === 2) this.children(node[1], slot, depth + 1)
  }

  /** `{path: node}`: annotations of values inside the value in `base`. */
  children(tree: unknown, base: Slot, depth: number): void {
    if (depth > MAX_META_DEPTH) throw bad(`annotations nested deeper than ${MAX_META_DEPTH}`)
    if (!isPlainObject(tree)) throw bad(`annotation children are ${kindOf(tree)}, not an object`)
    for (const path of Object.keys(tree)) this.annotate(tree[path], this.resolve(base, path), depth)
  }

  #annotation(x: unknown): Annotation {
    const simple = SIMPLE.get(x)
    if (simple !== undefined) return simple
    if (Array.isArray(x) && x.length === 2) {
      const [family, name]: unknown[] = x
      if (typeof name === 'string') {
        if (family === 'custom' && this.#options.customs.has(name)) return { type: 'custom', name }
        const known = family === 'class' ? this.#options.classes?.getValue(name) : undefined
        if (known !== undefined) return { type: 'class', name, proto: known.prototype }
      }
      const typed = family === 'typed-array' ? TYPED.get(name) : undefined
      if (typed !== undefined) return typed
    }
    throw bad(typeof x === 'string' ? `unknown annotation ${JSON.stringify(x.slice(0, 32))}` : 'unknown annotation')
  }

  /** Throws unless `value` has the JSON type superjson writes for `annotation`. */
  #check(annotation: Annotation, value: unknown): void {
    const type = annotation.type
    if (type === 'bigint' && typeof value === 'string') {
      const digits = value.length - (value.startsWith('-') ? 1 : 0)
      if (digits > this.#options.maxBigIntDigits) throw bad(`a BigInt of ${digits} digits (at most ${this.#options.maxBigIntDigits} digits)`)
    }
    if (!fits(annotation, value, this.#options.customs)) throw bad(`a ${type === 'custom' || type === 'class' ? annotation.name : type} annotation on ${kindOf(value)} that superjson would not write`)
  }

  /** `referentialEqualities`: `{path: [path, ...]}`, or `[[path, ...]]` / `[[path, ...], {...}]` when the root is shared. */
  shares(tree: unknown): void {
    if (Array.isArray(tree)) {
      if (tree.length !== 1 && tree.length !== 2) throw bad('shared references are not [root] or [root, others]')
      this.#share(this.top, tree[0])
      if (tree.length === 2) this.#shareEach(tree[1])
    } else {
      this.#shareEach(tree)
    }
  }

  #shareEach(tree: unknown): void {
    if (!isPlainObject(tree)) throw bad(`shared references are ${kindOf(tree)}, not an object`)
    for (const path of Object.keys(tree)) this.#share(this.resolve(this.top, path), tree[path])
  }

  #share(first: Slot, others: unknown): void {
    if (!Array.isArray(others) || others.length === 0) throw bad('a shared reference lists no other places')
    const share: Share = { first: undefined, built: false, value: undefined }
    this.#join(first, share)
    for (const path of others) this.#join(this.resolve(this.top, path), share)
  }

  #join(slot: Slot, share: Share): void {
    if (slot.share !== undefined) throw bad('a place is listed twice among shared references')
    slot.share = share
  }

  /**
   * Each shared object is built from the place that comes first in the JSON text, and
   * every other place listed for it must be a back reference inside that place (a cycle)
   * or a full copy of it, as superjson writes them: at least as large, with no shared place
   * inside. So the value never holds more nodes, counted without following cycles, than the
   * JSON that carries it.
   */
  checkShares(): void {
    let blockedUntil = -1
    for (const slot of this.#documentOrder()) {
      if (slot.pre <= blockedUntil) throw bad('a shared reference inside a place that another one replaces')
      const share = slot.share
      if (share === undefined) continue
      const first = share.first
      if (first === undefined) {
        share.first = slot
        continue
      }
      if (slot.pre > first.end && slot.weight < first.weight) throw bad('shared references would make the value larger than its JSON')
      blockedUntil = Math.max(blockedUntil, slot.end)
    }
  }

  /**
   * The shared places in the order of the JSON text, with `pre`, `end` and `weight` set:
   * one walk over `json`, with a stack of its own (no depth of `json` overflows).
   */
  #documentOrder(): Slot[] {
    const order: Slot[] = []
    const stack: Frame[] = []
    let counter = 0
    const enter = (container: object, key: string | number, value: unknown, keyWeight: number): number => {
      const slot = this.slots.get(container)?.get(key)
      const shared = slot?.share === undefined ? undefined : slot
      const pre = counter++
      if (shared !== undefined) {
        shared.pre = pre
        order.push(shared)
      }
      if (Array.isArray(value)) {
        stack.push({ container: value, keys: undefined, values: value, next: 0, weight: 1, slot: shared, keyWeight })
        return -1
      }
      if (isPlainObject(value)) {
        stack.push({ container: value, keys: Object.keys(value), values: Object.values(value), next: 0, weight: 1, slot: shared, keyWeight })
        return -1
      }
      const weight = 1 + (typeof value === 'string' ? value.length : 0)
      if (shared !== undefined) {
        shared.end = pre
        shared.weight = weight
      }
      return weight
    }
    enter(this.root, 0, this.root[0], 0)
    for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
      const i = frame.next++
      if (i < frame.values.length) {
        const name = frame.keys?.[i]
        const keyWeight = name === undefined ? 1 : name.length + 1
        const weight = enter(frame.container, name ?? i, frame.values[i], keyWeight)
        if (weight >= 0) frame.weight += weight + keyWeight
        continue
      }
      stack.pop()
      if (frame.slot !== undefined) {
        frame.slot.end = counter - 1
        frame.slot.weight = frame.weight
      }
      const parent = stack.at(-1)
      if (parent !== undefined) parent.weight += frame.weight + frame.keyWeight
    }
    return order
  }
}

/** A container being walked by `documentOrder`. */
interface Frame {
  container: object
  keys: string[] | undefined
  values: unknown[]
  next: number
  weight: number
  slot: Slot | undefined
  keyWeight: number
}
