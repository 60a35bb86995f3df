/**
 * The platform's probe of a hub URL. A page is not told why its WebSocket failed
 * (./connect-failure.ts), but it can fetch: the browser entry hands in a probe
 * (src/browser/hub-probe.ts) that looks at a URL over HTTP when its WebSocket fails
 * without a reason, or has not opened after `PROBE_AFTER_MS`. Once the probe has found,
 * for every hub URL, why no hub can be joined there, the first join fails at once with
 * those reasons instead of after `joinTimeoutMs` (./hub-signaling.ts). Node hands in no
 * probe: its errors say why already, and it keeps trying until the timeout (a hub may
 * still be starting). After the first join nothing is probed: a hub that is gone for a
 * while is tried again.
 */

/**
 * A platform's look at a hub URL whose WebSocket `failed` without a reason, or has not
 * opened yet: why no hub can be joined there, or undefined when one may be (the join goes
 * on trying). A rejection counts as undefined.
 */
export type HubProbe = (url: string, failed: boolean) => Promise<string | undefined>

/** How long a first connect may stay unanswered before the probe looks. */
export const PROBE_AFTER_MS = 1500
