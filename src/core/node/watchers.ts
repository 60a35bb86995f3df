/**
 * `watch(name)` and `watchAll()`: `:pg`'s `monitor(Scope, Group)`. A watcher gets the
 * members as they are now, then every membership change after that, each once, in the
 * order the registry applied them.
 *
 * How the order holds when listeners change the registry themselves (a listener that
 * registers a pid, stops a process or starts another watch): every change carries the
 * registry's sequence number (`seq`), and a watcher remembers the number its snapshot was
 * taken at, so it is given only later changes. Deliveries go through one queue: a change
 * made while a listener runs is queued behind what is already queued and delivered once
 * that listener returns, so no listener is re-entered and all see changes in one order.
 *
 * Bounds: watchers are made only by this node's own code (nothing from the network adds
 * one). A change costs one queue entry per watcher of its name and per `watchAll`
 * watcher; a snapshot copies the members (or the registry) once.
 */
import type { Pid } from '../api/pid.js'
import type { RegistryWatchEvent, WatchEvent } from '../api/watch.js'
import { reportListenerError } from '../util/emitter.js'
import { Queue } from '../util/queue.js'
import type { Registry } from './registry.js'

interface Watcher<E> {
  readonly listener: (event: E) => void
  /** The registry's change count when the snapshot was taken: later changes only. */
  readonly since: number
  active: boolean
}

/** One event for one watcher, waiting its turn. */
interface Delivery {
  readonly watcher: { readonly active: boolean }
  readonly run: () => void
}

export class Watchers {
  /** name → its watchers, in subscription order. */
  readonly #byName = new Map<string, Set<Watcher<WatchEvent>>>()
  readonly #everything = new Set<Watcher<RegistryWatchEvent>>()
  readonly #queue = new Queue<Delivery>()
  #delivering = false

  readonly #registry: Registry

  constructor(registry: Registry) {
    this.#registry = registry
  }

  /** Watches one name: its members now, then each join and leave. */
  watch(name: string, listener: (event: WatchEvent) => void): () => void {
    const watcher: Watcher<WatchEvent> = { listener, since: this.#registry.changes, active: true }
    let set = this.#byName.get(name)
    if (set === undefined) {
      set = new Set()
      this.#byName.set(name, set)
    }
    set.add(watcher)
    this.#send(watcher, { type: 'current', name, pids: this.#registry.pids(name) })
    this.#drain()
    return () => {
      if (!watcher.active) return
      watcher.active = false
      const watchers = this.#byName.get(name)
      watchers?.delete(watcher)
      if (watchers?.size === 0) this.#byName.delete(name)
    }
  }

  /** Watches the whole registry: every name and its members now, then each join and leave. */
  watchAll(listener: (event: RegistryWatchEvent) => void): () => void {
    const watcher: Watcher<RegistryWatchEvent> = { listener, since: this.#registry.changes, active: true }
    this.#everything.add(watcher)
    this.#send(watcher, { type: 'current', registry: this.#registry.entries() })
    this.#drain()
    return () => {
      watcher.active = false
      this.#everything.delete(watcher)
    }
  }

  /** The registry applied a change (`seq` is its number there). */
  changed(type: 'join' | 'leave', name: string, pid: Pid, seq: number): void {
    const named = this.#byName.get(name)
    if (named === undefined && this.#everything.size === 0) return
    const event = { type, name, pid }
    if (named !== undefined) for (const watcher of named) if (watcher.since < seq) this.#send(watcher, event)
    for (const watcher of this.#everything) if (watcher.since < seq) this.#send(watcher, event)
    this.#drain()
  }

  #send<E>(watcher: Watcher<E>, event: E): void {
    this.#queue.push({ watcher, run: () => watcher.listener(event) })
  }

  /** Delivers what is queued, in order; a change made from inside a listener only queues. */
  #drain(): void {
    if (this.#delivering) return
    this.#delivering = true
    try {
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
        if (!next.watcher.active) continue
        try {
          next.run()
        } catch (error) {
          reportListenerError(error)
        }
      }
    } finally {
      this.#delivering = false
    }
  }
}
