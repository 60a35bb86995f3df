/**
 * TURN in the browser: two Chromium tabs that cannot send UDP at all
 * (`--webrtc-ip-handling-policy=disable_non_proxied_udp`) and use only relayed candidates
 * (`iceTransportPolicy: 'relay'`) link directly through coturn over TCP, and the data
 * channel carries their calls. (test/server/turn.test.ts checks that only relayed candidates
 * pass the hub, between Node members.)
 */
import { startTurnServer } from '../test/support/turn-server.js'
import { expect, test } from './fixtures.js'

type TurnWindow = Window & { __turn?: import('../src/browser/index.js').DistNode }

test('two tabs without UDP link directly through TURN over TCP', async ({ tabs }) => {
  test.setTimeout(90_000)
  const turn = await startTurnServer()
  try {
    const a = await tabs.open('tab-a', { udpBlocked: true })
    const b = await tabs.open('tab-b', { udpBlocked: true })
    const ice = { iceServers: [{ urls: turn.tcpUrl, username: turn.username, credential: turn.credential }], iceTransportPolicy: 'relay' as const }
    for (const [tab, id] of [[a, 'turn-a'], [b, 'turn-b']] as const) {
      await tab.page.evaluate(
        async ([id, ice]) => {
          const { connect, hub, cluster } = window.__distribunator!
          const node = await connect({ hub, cluster: `${cluster}-turn`, id, ...ice })
          node.register(`echo:${id}`, node.spawn({ handleCall: (msg) => msg }))
          ;(window as TurnWindow).__turn = node
        },
        [id, ice] as const,
      )
    }
    const paths = () => a.page.evaluate(() => (window as TurnWindow).__turn!.links().map((link) => link.path))
    await expect.poll(paths, { timeout: 30_000, message: 'the link through TURN' }).toEqual(['direct'])
    for (let i = 0; i < 5; i++) {
      expect(await a.page.evaluate((i) => (window as TurnWindow).__turn!.call('echo:turn-b', `through TURN ${i}`), i)).toBe(`through TURN ${i}`)
    }
  } finally {
    await turn.stop()
  }
})
