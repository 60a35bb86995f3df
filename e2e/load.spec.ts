/**
 * Liveness under load: with two processes burning both CPU cores, 20 new pairs of tabs each
 * move a 10 MB value on their fresh link; no tab declares the other down meanwhile (the
 * hub answers for a crashed member, so the heartbeat of a direct link can be patient).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { expect, installState, test } from './fixtures.js'

const ROUNDS = 20
const BYTES = 10 * 1024 * 1024

function burnCpu(seconds: number): ChildProcess {
  return spawn(process.execPath, ['-e', `const end = Date.now() + ${seconds * 1000}; while (Date.now() < end) {}`], { stdio: 'ignore' })
}

test('no false nodedown in 20 first 10 MB transfers between new tabs while two processes burn the CPU', async ({ tabs, cluster }) => {
  test.setTimeout(600_000)
  const burners = [burnCpu(420), burnCpu(420)]
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const inCluster = `${cluster}-${round}`
      const a = await tabs.open(`tab-a${round}`, { cluster: inCluster })
      const b = await tabs.open(`tab-b${round}`, { cluster: inCluster })
      for (const tab of [a, b]) await installState(tab)
      await b.page.evaluate(() => {
        const node = window.__distribunator!.node
        node.register('size', node.spawn({ handleCall: (msg) => (msg instanceof Uint8Array ? msg.byteLength : -1) }))
      })
      await expect.poll(() => a.page.evaluate(() => window.__distribunator!.node.allPidsOf('size').length), { timeout: 30_000 }).toBe(1)
      const size = await a.page.evaluate(async (bytes) => {
        const value = new Uint8Array(bytes)
        for (let i = 0; i < value.length; i += 4096) value[i] = i & 0xff
        return window.__distribunator!.node.call<number>('size', value, 120_000)
      }, BYTES)
      expect(size, `round ${round}: the value arrived whole`).toBe(BYTES)
      const downs = [...(await a.page.evaluate(() => window.__e2e!.downs)), ...(await b.page.evaluate(() => window.__e2e!.downs))]
      expect(downs, `round ${round}: no nodedown`).toEqual([])
      await Promise.all([a.context.close(), b.context.close()])
    }
  } finally {
    for (const burner of burners) burner.kill('SIGKILL')
  }
})
