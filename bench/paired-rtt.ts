/**
 * Sequential round trips of two kinds, raw and ours, measured alternately; shared by the
 * Node benchmark (bench/node-bench.ts) and the browser page (bench/browser/page.ts).
 */

/** The small message every round-trip figure sends. */
export const SMALL = { op: 'get', key: 'doc-42', n: 0 }
export const SMALL_TEXT = JSON.stringify(SMALL)

/**
 * `samples` pairs, one `raw()` round trip then one `ours(i)`, so both see the same moments
 * of a noisy machine; after `warmUp` unrecorded pairs (the JIT settling). Sorted, in ms.
 *
 * @example
 * const { raw, ours } = await pairedRtt(() => echo(peer), (i) => node.call('echo', i), 2000, 5000)
 */
export async function pairedRtt(
  raw: () => Promise<unknown>,
  ours: (i: number) => Promise<unknown>,
  samples: number,
  warmUp: number,
): Promise<{ raw: number[]; ours: number[] }> {
  const rawTimes: number[] = []
  const ourTimes: number[] = []
  // `k - warmUp`, not a loop from `-warmUp`: with no warm-up that would start at -0, which
  // JSON cannot carry, so the first message of a round would take the rich encoding
  for (let k = 0; k < warmUp + samples; k++) {
    const i = k - warmUp
    let t = performance.now()
    await raw()
    const r = performance.now() - t
    t = performance.now()
    await ours(i)
    const o = performance.now() - t
    if (i >= 0) {
      rawTimes.push(r)
      ourTimes.push(o)
    }
  }
  const byValue = (a: number, b: number): number => a - b
  return { raw: rawTimes.sort(byValue), ours: ourTimes.sort(byValue) }
}
