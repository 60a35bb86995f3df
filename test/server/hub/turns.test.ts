// Turns (src/server/hub/turns.ts): the hub's cluster-wide steps run in order, several in
// one event-loop iteration while they are quick, and the hub reads again between slices.
import { describe, expect, it } from 'vitest'
import { Turns } from '../../../src/server/hub/turns.js'

/** Counts event-loop iterations (check phases) until `done` settles. */
async function iterationsUntil(done: Promise<unknown>): Promise<number> {
  let settled = false
  void done.then(() => (settled = true))
  let iterations = 0
  while (!settled) {
    await new Promise((resolve) => setImmediate(resolve))
    iterations++
  }
  return iterations
}

const busy = (ms: number): void => {
  const until = performance.now() + ms
  while (performance.now() < until);
}

describe('Turns', () => {
  it('runs steps in the order asked, each after the caller awaited its turn', async () => {
    const turns = new Turns()
    const order: number[] = []
    await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      await turns.next()
      order.push(i)
    }))
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i))
  })

  it('takes many quick steps in one slice instead of one per iteration', async () => {
    const turns = new Turns(50)
    const steps = Array.from({ length: 200 }, async () => turns.next())
    // one step per iteration took 200 iterations
    expect(await iterationsUntil(Promise.all(steps))).toBeLessThan(10)
  })

  it('yields to the event loop once a slice has used its time', async () => {
    const turns = new Turns(4)
    let between = 0
    const steps = Array.from({ length: 6 }, async () => {
      await turns.next()
      busy(3)
    })
    // an I/O-free stand-in for the hub reading a client: a callback that needs an iteration
    const reader = (async () => {
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setImmediate(resolve))
        between++
      }
    })()
    await Promise.all(steps)
    // 6 steps of 3 ms in slices of 4 ms: at least 3 slices, with the reader run between them
    expect(between).toBeGreaterThanOrEqual(2)
    await reader
  })
})
