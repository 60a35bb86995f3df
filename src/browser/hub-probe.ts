/**
 * A page's probe of a hub URL (see src/core/hub/hub-probe.ts). A page is not told why
 * its WebSocket failed, but a fetch to the same host and port tells apart what a page can:
 * it rejects with a TypeError when nothing answers (no server on the port, no such host,
 * a TLS handshake that failed, such as https:// against a plain http server, or a request
 * the browser blocks); `mode: 'cors'` reads the answer when the server lets this page
 * (the same origin, or a dev server that lets local pages read it), `'no-cors'` only
 * tells that something answered. It fetches the path a hub serves (and a proxy in front
 * of one passes on), where a hub, which takes WebSockets only, answers engine.io's JSON
 * error. A fetch that takes longer than a second leaves the URL unjudged.
 */
import type { HubProbe } from '../core/hub/hub-probe.js'

/**
 * Why no hub can be joined at `url`, or undefined when one may be. A WebSocket that has
 * not opened yet (not `failed`) is judged only at the page's own origin, by an answer read
 * there: elsewhere a hub that is slow to open would cost a CORS error in the console.
 */
export const probeHub: HubProbe = async (url, failed) => {
  const { host, protocol } = new URL(url)
  const tls = /^(https|wss):$/.test(protocol)
  /** `host` over https (`secure`) or http. */
  const at = (secure: boolean): string => `http${secure ? 's' : ''}://${host}`
  /** The answer at the path a hub serves; nothing when nothing answers within a second. */
  const get = (secure: boolean, mode: RequestMode = 'no-cors'): Promise<Response | void> => fetch(`${at(secure)}/socket.io/`, { mode, signal: AbortSignal.timeout(1000) }).catch(() => {})
  const notHub = `${host} answers, but not as a hub: check the port, or the hub's allowedOrigins and maxConnections`
  if (!failed) {
    const read = at(tls) === location.origin ? await get(tls, 'cors') : undefined
    // a hub answers 400 here (engine.io: no such transport)
    return read && read.status !== 400 ? notHub : undefined
  }
  if (await get(tls)) return notHub
  return (await get(!tls)) ? `${host} answers ${tls ? 'http' : 'https'} only: use ${at(!tls)}` : `nothing answers at ${host}: check the host name and port, and that the hub is running`
}
