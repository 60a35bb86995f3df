/**
 * Item 12: Node↔Node WebRTC connects under load (bench/connect-stress.ts), `connects` in
 * one process and as many across two processes (the far peers in a child, signals over
 * IPC, each side offering for every other connect), 4 at a time beside 2 CPU-burning
 * processes, `remote` not given (as the mesh makes its peers). Counts the connects that
 * failed and those slower than 500 ms (stalls), with the connect time's p50 and p99.
 *
 * Each part stops starting connects after `deadlineMs` (those under way end within their
 * 10 s timeout) and then fails the item; its burners and child end with it, and
 * `killConnectStressChildren()` kills any left on the way out of the benchmark.
 */
import { runConnectStress } from './connect-stress.js'
import type { Figure } from './stats.js'

export interface ConnectBenchOptions {
  /** Connects in each part (400 in a full run). */
  readonly connects: number
  /** How long each part may go on starting connects. */
  readonly deadlineMs: number
}

export async function runConnectBench({ connects, deadlineMs }: ConnectBenchOptions, log: (line: string) => void): Promise<Figure[]> {
  const figures: Figure[] = []
  for (const crossProcess of [false, true]) {
    const where = crossProcess ? 'across two processes' : 'in one process'
    const result = await runConnectStress({ connects, concurrency: 4, burners: 2, crossProcess, timeoutMs: 10_000, signal: AbortSignal.timeout(deadlineMs), log })
    log(
      `12. ${where}: ${result.connects} connects, ${result.failures} failed, ${result.stalls} stalls, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, max ${result.max.toFixed(0)} ms, unhandled errors ${result.unhandled}`,
    )
    if (result.connects < connects) throw new Error(`${where}: ${result.connects} of ${connects} connects made in ${deadlineMs / 1000} s`)
    const name = `12. ${connects} connects ${where}`
    figures.push(
      { name: `${name}: failed`, unit: 'connects', rounds: [result.failures], target: '<= 0' },
      { name: `${name}: stalled`, unit: 'connects', rounds: [result.stalls], note: 'slower than 500 ms', target: '<= 0' },
      { name: `${name}: unhandled errors`, unit: 'errors', rounds: [result.unhandled], target: '<= 0' },
      { name: `${name}: connect time p50`, unit: 'ms', rounds: [result.p50] },
      { name: `${name}: connect time p99`, unit: 'ms', rounds: [result.p99] },
    )
  }
  return figures
}
