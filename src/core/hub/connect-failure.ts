/**
 * Why a hub connection failed, in words, from what socket.io-client's `connect_error`
 * carries. A URL with a path reaches the hub, which refuses the path as a Socket.IO
 * namespace ("Invalid namespace"); a server that accepts and never answers runs into the
 * connect timeout ("timeout"). Past those, what there is to say depends on the platform:
 * in a browser the WebSocket's error event says nothing (the page is not told why; the
 * browser's console is, and the browser entry probes the URL: ./hub-probe.ts), while in
 * Node it carries the system error, which
 * `distribunator/server` explains (src/server/node-connect-failure.ts) through a
 * `ConnectErrorExplainer`. What is read here may come from a server that is not a hub:
 * it is read defensively and cut short.
 */

/** What one failed attempt left: the reason in words and the error underneath. */
export interface ConnectFailure {
  readonly reason: string
  readonly cause: unknown
  /** Neither the core nor the platform could say why (a page's WebSocket error): a probe may (./hub-probe.ts). */
  readonly unexplained?: boolean
}

/** A platform's reading of a `connect_error`: a failure, or undefined to leave it to the generic one. */
export type ConnectErrorExplainer = (error: unknown, url: string) => ConnectFailure | undefined

/** A property of something that may be anything. */
export const field = (value: unknown, key: string): unknown => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined)

/** A string from outside, on one line and at most 160 characters ('' for anything else). */
export const text = (value: unknown): string => (typeof value === 'string' ? value.slice(0, 400).replace(/\s+/g, ' ').trim().slice(0, 160) : '')

/**
 * Explains one `connect_error` from socket.io-client for `url`, with the platform's
 * `explain` for what only it can read.
 */
export function explainConnectError(error: unknown, url: string, explain?: ConnectErrorExplainer): ConnectFailure {
  const message = text(field(error, 'message'))
  const reason =
    message === 'Invalid namespace'
      ? `not a hub, or a URL with a path (a hub listens at the root: ${url.replace(/^(\w+:\/\/[^/]+).*/, '$1')})`
      : message === 'timeout'
        ? 'no answer in time'
        : undefined
  const detail = text(field(field(error, 'description'), 'message'))
  // a browser's WebSocket error event carries no reason (its console shows one)
  return (reason === undefined && explain?.(error, url)) || { reason: reason ?? (detail || `${message}, no reason given (a browser's console has it)`), cause: error, unexplained: reason === undefined }
}
