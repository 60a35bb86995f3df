/**
 * A short chaos run (bench/chaos.ts; `npm run chaos` runs the full two minutes): six Node
 * members casting to each other every 50 ms through a hub, while members are SIGKILLed or
 * SIGTERMed and restarted under the same id, SIGSTOPped for 4 s, and the hub is killed and
 * restarted. No live pair is ever reported down, nobody sees one fault twice, every fault
 * is whole again within 2 s of its end, casts between the members never faulted arrive
 * once and in order, and no member reports an error.
 */
import { describe, expect, it } from 'vitest'
import { runChaos } from '../../bench/chaos.js'

describe('chaos', () => {
  it('30 s of restarts, freezes and hub restarts under traffic: no false or repeated nodedown, every fault whole within 2 s', { timeout: 180_000 }, async () => {
    const result = await runChaos({ seconds: 30, seed: 7 })
    expect(result.faults.length).toBeGreaterThanOrEqual(5)
    expect(new Set(result.faults.map((fault) => fault.kind)).size).toBeGreaterThanOrEqual(3)
    expect(result.stableReceived).toBeGreaterThan(1000)
    expect({
      falseNodedowns: result.falseNodedowns,
      repeatedNodedowns: result.repeatedNodedowns,
      errors: result.errors,
      stableAnomalies: result.stableAnomalies,
      slow: result.faults.filter((fault) => fault.convergedMs > 2000),
    }).toEqual({ falseNodedowns: [], repeatedNodedowns: [], errors: [], stableAnomalies: [], slow: [] })
  })
})
