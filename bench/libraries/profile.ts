/**
 * CPU profiles of the comparison's tabs, for finding out where time goes: with
 * BENCH_TAB_PROF=burst,bulk1 (any of connect, bulk1, bulk2, burst, rtt, newcomer,
 * newcomer-relay, mesh) the benchmark records a V8 CPU profile of each tab taking part in
 * those steps (Chromium's DevTools protocol), writes it as
 * `<library>-<step>-<tab>.cpuprofile` into node_modules/.cache/distribunator-bench/profiles/
 * (open it in Chrome DevTools' Performance panel; the page is built unminified) and prints
 * the functions with the most self time.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import type { CDPSession, Page } from '@playwright/test'

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[]
  readonly startTime: number
  readonly endTime: number
  readonly samples?: readonly number[]
  readonly timeDeltas?: readonly number[]
}

const dir = new URL('../../node_modules/.cache/distribunator-bench/profiles/', import.meta.url).pathname
const steps = new Set((process.env.BENCH_TAB_PROF ?? '').split(',').filter(Boolean))

/** The functions with the most self time, one line each: ms, share, name and place. */
function topSelf(profile: CpuProfile, count: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  for (let i = 0; i < samples.length; i++) {
    const frame = byId.get(samples[i]!)?.callFrame
    if (frame === undefined) continue
    const file = frame.url.split('/').pop() ?? ''
    const key = `${frame.functionName || '(anonymous)'} ${file}${file ? `:${frame.lineNumber + 1}` : ''}`
    self.set(key, (self.get(key) ?? 0) + (deltas[i + 1] ?? 0) / 1000)
  }
  const total = (profile.endTime - profile.startTime) / 1000
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => `${ms.toFixed(1).padStart(8)} ms ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${name}`)
}

/** Runs `run`, profiling `pages` meanwhile when BENCH_TAB_PROF names `step`. */
export async function profiled<T>(step: string, lib: string, pages: readonly Page[], run: () => Promise<T>, log: (line: string) => void): Promise<T> {
  if (!steps.has(step)) return run()
  const sessions: CDPSession[] = []
  for (const page of pages) {
    const session = await page.context().newCDPSession(page)
    await session.send('Profiler.enable')
    await session.send('Profiler.setSamplingInterval', { interval: 100 })
    await session.send('Profiler.start')
    sessions.push(session)
  }
  const result = await run()
  for (const [i, session] of sessions.entries()) {
    const { profile } = (await session.send('Profiler.stop')) as { profile: CpuProfile }
    mkdirSync(dir, { recursive: true })
    const file = `${dir}${lib}-${step}-${i}.cpuprofile`
    writeFileSync(file, JSON.stringify(profile))
    log(`${lib} ${step}, tab ${i}: ${((profile.endTime - profile.startTime) / 1000).toFixed(0)} ms profiled, written to ${file}; most self time:`)
    for (const line of topSelf(profile, 14)) log(`  ${line}`)
    await session.detach()
  }
  return result
}
