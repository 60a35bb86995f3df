/**
 * The demo's authority: its hub admits the Node worker as the server and every tab as a
 * player, and every node takes `counter` only from the server (demo/shared.ts). A tab
 * running its own node without that policy registers `counter` before the worker starts
 * and again and again while it restarts: no call from a tab or the worker ever reaches
 * it, and no node lists it. The counter names who changed it from the link.
 */
import { expect, test, workerRegistry } from './fixtures.js'

test('a tab that registers the server-only counter is never listed or called, before the worker and while it restarts', async ({ tabs, services }) => {
  test.setTimeout(90_000)
  const cheater = await tabs.open('tab-cheater')
  // a node of its own in that tab, with no policy, that takes the counter's name
  await cheater.page.evaluate(async () => {
    const { connect, hub, cluster } = window.__distribunator!
    const rogue = await connect({ hub, cluster, id: 'rogue' })
    const stolen: unknown[] = []
    ;(window as unknown as { __stolen: unknown[] }).__stolen = stolen
    const register = (): void => rogue.register('counter', rogue.spawn({ handleCall: (msg) => (stolen.push(msg), 666), handleCast: (msg) => void stolen.push(msg) }))
    register()
    setInterval(register, 100)
  })
  let worker = await services.worker()
  const player = await tabs.open('tab-player')
  const counterNodes = () => player.page.evaluate(() => window.__distribunator!.node.allNodesOf('counter'))
  await expect.poll(counterNodes).toEqual(['worker'])
  expect(await player.page.evaluate(() => window.__distribunator!.node.claimsOf('worker'))).toEqual({ role: 'server' })
  expect(await player.page.evaluate(() => window.__distribunator!.node.claimsOf('rogue'))).toEqual({ role: 'player' })

  // the player adds 1 again and again; the worker restarts meanwhile
  await player.page.evaluate(() => {
    const node = window.__distribunator!.node
    const seen: Array<string[]> = []
    const answers: unknown[] = []
    Object.assign(window, { __seen: seen, __answers: answers })
    setInterval(() => {
      seen.push(node.allNodesOf('counter'))
      node.call('counter', { type: 'add', by: 1 }, 1000).then(
        (value) => void answers.push(value),
        (error: { code?: string }) => void answers.push(error.code),
      )
    }, 50)
  })
  await new Promise((r) => setTimeout(r, 1000))
  await worker.stop()
  await new Promise((r) => setTimeout(r, 500))
  worker = await services.worker()
  await expect.poll(counterNodes, { timeout: 10_000 }).toEqual(['worker'])
  await new Promise((r) => setTimeout(r, 1000))

  const { seen, answers } = await player.page.evaluate(() => ({ seen: (window as unknown as { __seen: string[][] }).__seen, answers: (window as unknown as { __answers: unknown[] }).__answers }))
  expect(seen.filter((nodes) => nodes.some((node) => node !== 'worker'))).toEqual([])
  expect(answers).not.toContain(666)
  expect(answers.filter((answer) => typeof answer === 'number').length).toBeGreaterThan(10)
  expect(await cheater.page.evaluate(() => (window as unknown as { __stolen: unknown[] }).__stolen)).toEqual([])
  // the worker's own replica and the cheater tab's demo node refuse it too
  expect((await workerRegistry(player)).find(([name]) => name === 'counter')?.[1].every((pid) => pid.startsWith('<worker.'))).toBe(true)
  expect(await cheater.page.evaluate(() => window.__distribunator!.node.allNodesOf('counter'))).toEqual(['worker'])
  // the counter names who changed it from the link, not from the message
  const last = await player.page.evaluate(() => window.__distribunator!.node.call('counter', { type: 'add', by: 1, from: 'someone-else' }))
  expect(typeof last).toBe('number')
  await expect(player.page.locator('#counter-history li').first()).toContainText('you')
})
