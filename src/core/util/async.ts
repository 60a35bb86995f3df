/** Timers that never keep a Node process alive (birpc's habit), in platform-free code. */
export type TimerHandle = ReturnType<typeof setTimeout>

function unref(handle: TimerHandle): TimerHandle {
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
