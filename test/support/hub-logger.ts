/** A hub logger that keeps every line, `level message`, for a test to read. */
import type { HubLogger } from '../../src/server/hub/hub.js'

export function recordingLogger(): HubLogger & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    debug: (m) => lines.push(`debug ${m}`),
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  }
}
