/**
 * Why a hub connection failed, as Node tells it: socket.io-client's `connect_error` is a
 * `TransportError` whose `description` is the WebSocket's error event (the `ws` package's),
 * with the system error as `.error`: `ECONNREFUSED`, `ENOTFOUND`, `EPROTO` (TLS against a
 * plain server), or "Unexpected server response: 404" from a server that is not a hub.
 * The core's `explainConnectError` asks this first for what it cannot read itself.
 */
import { type ConnectFailure, field, text } from '../core/hub/connect-failure.js'

/** The reason for a Node system error met while opening `url`, or undefined when it is not one. */
export function explainNodeConnectError(error: unknown, url: string): ConnectFailure | undefined {
  const inner = field(field(error, 'description'), 'error')
  if (!(inner instanceof Error)) return undefined
  let host = url
  try {
    host = new URL(url).host
  } catch {}
  const code = text(field(inner, 'code'))
  const detail = text(inner.message)
  const status = /^Unexpected server response: (\d{3})$/.exec(detail)?.[1]
  let reason: string
  if (code === 'ECONNREFUSED') reason = `connection refused: nothing listens on ${host}`
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') reason = `DNS lookup failed: no address for ${host} (${code})`
  else if (code === 'EPROTO' || /SSL|TLS|CERT/.test(code)) {
    reason = /^(https|wss):/.test(url) ? `TLS failed (${detail}): is the hub served over https? A plain http hub needs http:// or ws://` : `TLS failed: ${detail}`
  } else if (status === '400') reason = 'the server refused the WebSocket upgrade (HTTP 400): a hub at its connection limit or not allowing this origin, or not a hub'
  else if (status !== undefined) reason = `the server answered HTTP ${status} instead of a WebSocket upgrade: not a distribunator hub, or not at this address`
  else reason = code !== '' && !detail.includes(code) ? `${detail} (${code})` : detail || code || 'unknown error'
  return { reason, cause: inner }
}
