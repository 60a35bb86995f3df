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

/** Monotonic milliseconds. */
export function now(): number {
  return globalThis.performance !== undefined ? globalThis.performance.now() : Date.now()
}

/** True for anything with a `then` method (a promise from any realm or library). */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (typeof x === 'object' || typeof x === 'function') && x !== null && typeof (x as { then?: unknown }).then === 'function'
}
