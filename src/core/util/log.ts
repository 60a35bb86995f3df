/**
 * Debug logs, one namespace per layer (`distribunator:mesh`, `distribunator:link`, ...),
 * written through the `debug` package or anything of its shape. The core imports no
 * logger: it logs into `logger(namespace)`, which stays silent until a factory is set
 * (`setLogger`). `distribunator/server` sets `debug` at once, so `DEBUG=distribunator*`
 * works in Node; a page sets it itself (`setLogger(debug)`), so pages that do not debug
 * carry no logger in their bundle.
 *
 * A log call costs a check and nothing more while its namespace is off. Callers pass the
 * values to format as arguments (`log('linked %s', id)`), and guard work done only for
 * the log with `log.enabled`.
 */

/** One namespace's log: `debug`'s printf-style call (`%s`, `%d`, `%o`, `%j`) and whether it is on. */
export interface Log {
  (format: string, ...args: unknown[]): void
  readonly enabled: boolean
}

/** Makes the log of one namespace: the `debug` package's default export has this shape. */
export type LogFactory = (namespace: string) => Log

let factory: LogFactory | undefined
/** Bumped at each `setLogger`, so logs made before it pick up the new factory. */
let generation = 0

/**
 * Routes distribunator's debug logs through `factory`: the `debug` package (whose own
 * switch then turns namespaces on: README, "Debugging"), or your own. `undefined`
 * silences them. `distribunator/server` sets `debug` by itself; a page calls this once,
 * with `debug` imported by the app.
 *
 * @example
 * import debug from 'debug'
 * import { setLogger } from 'distribunator/browser'
 * setLogger(debug)
 */
export function setLogger(logFactory: LogFactory | undefined): void {
  if (logFactory !== undefined && typeof logFactory !== 'function') throw new TypeError('setLogger takes a function (namespace) => log, such as the debug package')
  factory = logFactory
  generation++
}

/** Sets `logFactory` unless one is set already (what an entry point does for its platform). */
export function setDefaultLogger(logFactory: LogFactory): void {
  if (factory === undefined) setLogger(logFactory)
}

/** The log of `namespace`, silent until a factory is set. */
export function logger(namespace: string): Log {
  let made: Log | undefined
  let at = -1
  const target = (): Log | undefined => {
    if (at !== generation) {
      at = generation
      made = factory?.(namespace)
    }
    return made
  }
  const log = (format: string, ...args: unknown[]): void => {
    const out = target()
    if (out?.enabled === true) out(format, ...args)
  }
  return Object.defineProperty(log, 'enabled', { get: () => target()?.enabled === true }) as Log
}
