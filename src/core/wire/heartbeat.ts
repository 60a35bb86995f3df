/**
 * Liveness of links (PROTOCOL.md, section 1, Liveness): every interval, a link that has
 * been quiet for most of an interval gets a `ping`, and a link with nothing received for
 * the timeout is closed. A tick that comes more than two intervals late means this node's
 * own event loop was blocked: what its peers sent meanwhile is still unread, so that tick
 * closes nothing.
 */
import type { Link } from './link.js'
import { now, startInterval, type TimerHandle } from '../util/async.js'

/**
 * Starts the heartbeat over the links `links()` returns at each tick; stop it with
 * `clearInterval`.
 *
 * @example
 * const timer = startHeartbeat(() => [...peers.values()].map((p) => p.link), 500, 2500)
 */
export function startHeartbeat(links: () => Iterable<Link>, intervalMs: number, timeoutMs: number): TimerHandle {
  let lastTick = now()
  return startInterval(() => {
    const t = now()
    const stalled = t - lastTick > intervalMs * 2
    lastTick = t
    for (const link of links()) {
      if (link.channel.heartbeat === false) {
        // the transport knows the other end's liveness; the countdown starts when it stops knowing
        link.lastReceived = t
        continue
      }
      if (!stalled && t - link.lastReceived > timeoutMs && link.up) link.close('heartbeat_timeout', `nothing received for ${Math.round(t - link.lastReceived)} ms`)
      else if (t - link.lastSent >= intervalMs * 0.8) link.ping()
    }
  }, intervalMs)
}
