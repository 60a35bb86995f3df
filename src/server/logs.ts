/**
 * Node's logger: the `debug` package, so that `DEBUG=distribunator*` (or `debug.enable`)
 * turns on the library's logs (src/core/util/log.ts), the hub's included.
 */
import createDebug from 'debug'
import { setDefaultLogger } from '../core/util/log.js'

/** Routes the library's logs through `debug`, unless the app has set a logger of its own (`setLogger`). */
export function useDebugLogs(): void {
  setDefaultLogger(createDebug)
}
