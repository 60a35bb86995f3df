/**
 * A minimal typed event emitter. A listener that throws does not disturb the emitter
 * or the other listeners; its error is reported on the platform's error channel.
 */
export type Listener<A extends unknown[]> = (...args: A) => void

export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  readonly #listeners = new Map<keyof Events, Set<(...args: never[]) => void>>()

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(event)
    if (set === undefined) {
      set = new Set()
      this.#listeners.set(event, set)
    }
    set.add(listener as unknown as (...args: never[]) => void)
    return () => {
      set.delete(listener as unknown as (...args: never[]) => void)
    }
  }

  /** Number of listeners for `event`. */
  count(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0
  }

  emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.#listeners.get(event)
    if (set === undefined || set.size === 0) return
    for (const listener of [...set]) {
      try {
        ;(listener as unknown as Listener<Events[K]>)(...args)
      } catch (error) {
        reportListenerError(error)
      }
    }
  }

  clear(): void {
    this.#listeners.clear()
  }
}

/** Reports an error thrown by user code (a listener or callback) without rethrowing it. */
export function reportListenerError(error: unknown): void {
  const report = (globalThis as { reportError?: (e: unknown) => void }).reportError
  if (typeof report === 'function') report(error)
  else console.error('distribunator: a listener threw', error)
}
