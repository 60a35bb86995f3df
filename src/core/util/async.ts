/** Timers that never keep a Node process alive (birpc's habit), in platform-free code, and promise helpers. */
export type TimerHandle = ReturnType<typeof setTimeout>

/** Lets a Node timer not hold the event loop open (a no-op where timers are numbers). */
export function unref<T>(handle: T): T {
  const maybe = handle as unknown as { unref?: () => void }
  if (typeof maybe === 'object' && maybe !== null && typeof maybe.unref === 'function') maybe.unref()
  return handle
}

/** `setTimeout` that does not hold the event loop open. */
export function startTimer(fn: () => void, ms: number): TimerHandle {
  return unref(setTimeout(fn, ms))
}

/** `setInterval` that does not hold the event loop open. */
export function startInterval(fn: () => void, ms: number): TimerHandle {
  return unref(setInterval(fn, ms) as unknown as TimerHandle)
}

/**
 * The clock object, read once: in a page `globalThis.performance` is a getter of the
 * window, and reading it at every call made `now()` cost about 0.45 µs in Chromium
 * against 0.1 µs (a link reads the clock for every frame it sends and receives).
 */
const clock: { now(): number } = globalThis.performance ?? Date

/** Monotonic milliseconds (wall-clock milliseconds where `performance` is missing). */
export function now(): number {
  return clock.now()
}

/** True for anything with a `then` method (a promise from any realm or library). */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (typeof x === 'object' || typeof x === 'function') && x !== null && typeof (x as { then?: unknown }).then === 'function'
}
