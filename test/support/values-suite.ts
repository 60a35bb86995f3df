// What cannot travel, over a link between two nodes of this process: refused at the
// sender, as a local call refuses it, and a reply that cannot travel fails the call. Run
// by the in-process cluster suites (memory, WebRTC); a driver whose nodes live in other
// processes would carry the test's values there with the same encoding and refuse them
// itself, so test/cluster/process.test.ts does not run it.
import { afterEach, describe, expect, it } from 'vitest'
import { BadArgError, createNode, type DistNode, type Pid } from '../../src/core/index.js'
import type { Linker } from './cluster-suite.js'

export function valuesSuite(label: string, link: Linker): void {
  describe(`values over ${label}`, { timeout: 30_000 }, () => {
    const open: DistNode[] = []
    afterEach(async () => {
      await Promise.all(open.splice(0).map((n) => n.close()))
    })

    it('refuses at the sender what cannot travel, as a local call does; a reply that cannot fails the call', async () => {
      const a = createNode({ id: 'values-a' })
      const b = createNode({ id: 'values-b' })
      open.push(a, b)
      await link(a, b)
      const errors: string[] = []
      b.on('error', (e) => errors.push(e.message))
      const p = b.spawn({ handleCall: (msg) => (msg === 'sit' ? { seat: () => 'ann' } : msg) })
      const move = { player: () => 'ann', at: new Date(1) }
      const there = await a.call(p, move).catch((e: unknown) => e)
      expect(there).toBeInstanceOf(BadArgError)
      expect((there as Error).message).toMatch(/^msg\.player is a function/)
      expect(() => a.cast<Pid>(p, move)).toThrow(/^msg\.player is a function/)
      const here = await b.call(p, move).catch((e: unknown) => e)
      expect((here as Error).message).toBe((there as Error).message)
      const seat = await a.call(p, 'sit').catch((e: unknown) => e)
      expect(seat).toBeInstanceOf(BadArgError)
      expect((seat as Error).message).toMatch(/^reply\.seat is a function/)
      expect(errors.filter((m) => m.includes('reply.seat is a function'))).toHaveLength(1)
      const value = { at: new Date(1), bytes: new Uint8Array([1]), m: new Map([[1, new Set([2n])]]) }
      expect(await a.call(p, value)).toEqual(value)
    })
  })
}
