/**
 * An authoritative server among untrusted players: the hub's admission stamps a role on
 * each member, and every member's `acceptRegistration` lets only the server hold `game`.
 * A cheating member registers `game` before the server joins, over and over while the
 * server restarts: no call from a player ever reaches it, and `allPidsOf('game')` never
 * lists it, whether the links run on the relay or directly.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { connect, createHub, type DistNode, type Hub, NoPidError } from '../../src/server/index.js'
import { eventually } from '../support/eventually.js'

const open: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close().catch(() => {})
})

const SERVER_KEY = 'the-game-server-key'
/** The policy of every honest member: only a member the hub admitted as the server holds `game`. */
const serverOnly = (name: string, _node: string, claims: unknown): boolean => name !== 'game' || (claims as { role?: unknown } | undefined)?.role === 'server'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function member(hub: Hub, id: string, extra: Record<string, unknown> = {}): Promise<DistNode> {
  const node = await connect({ hub: hub.url, cluster: 'tictactoe', id, ...extra })
  open.push(node)
  return node
}

describe('an authoritative name among untrusted members', { timeout: 60_000 }, () => {
  for (const path of ['relay', 'direct'] as const) {
    it(`no call reaches a member that registered the reserved name, before the server and while it restarts (${path})`, async () => {
      const hub = await createHub({ port: 0, logger: { info() {}, warn() {}, error() {} }, authorize: ({ auth }) => ({ claims: { role: auth === SERVER_KEY ? 'server' : 'player' } }) })
      open.push(hub)
      const links = path === 'relay' ? { maxDirectLinks: 0 } : {}
      const stolen: unknown[] = []
      const cheater = await member(hub, 'cheater', links) // no policy: it takes whatever it likes
      cheater.register('game', cheater.spawn({ handleCall: (move) => (stolen.push(move), 'cheater') }))
      const player = await member(hub, 'player', { acceptRegistration: serverOnly, ...links })
      expect(player.claimsOf('cheater')).toEqual({ role: 'player' })
      expect(player.allPidsOf('game')).toEqual([])
      await expect(player.call('game', 'too early')).rejects.toBeInstanceOf(NoPidError)

      const startServer = async (): Promise<DistNode> => {
        const server = await member(hub, 'game-server', { auth: SERVER_KEY, acceptRegistration: serverOnly, ...links })
        server.register('game', server.spawn({ handleCall: (_move, ctx) => `server saw ${ctx.fromNode}` }))
        return server
      }
      let server = await startServer()
      await eventually(() => player.allPidsOf('game').length === 1, 5000, 'the server registered')
      if (path === 'direct') {
        await eventually(() => player.links().every((link) => link.path === 'direct') && player.links().length === 2, 15_000, 'direct links')
      }

      // the player plays on; the cheater keeps registering; every view of `game` is checked
      const answers: string[] = []
      let outsiders = 0
      let playing = true
      const play = (async () => {
        for (let move = 0; playing; move++) {
          if (player.allPidsOf('game').some((pid) => pid.node !== 'game-server')) outsiders++
          await player.call<string>('game', move, 1000).then(
            (answer) => void answers.push(answer),
            (error: Error) => void answers.push(error.name),
          )
          await sleep(20)
        }
      })()
      const cheat = setInterval(() => cheater.register('game', cheater.spawn({ handleCall: (move) => (stolen.push(move), 'cheater') })), 30)
      try {
        await sleep(500)
        await server.close() // the server restarts: the cheater's chance
        await sleep(300)
        server = await startServer()
        await eventually(() => player.allPidsOf('game').length === 1, 5000, 'the restarted server registered')
        await sleep(500)
      } finally {
        clearInterval(cheat)
        playing = false
        await play
      }
      expect(stolen).toEqual([])
      expect(outsiders).toBe(0)
      expect(answers.filter((answer) => answer === 'cheater')).toEqual([])
      expect(answers.filter((answer) => answer === 'server saw player').length).toBeGreaterThan(20)
      expect(answers.every((answer) => answer === 'server saw player' || answer === 'NoPidError' || answer === 'NodeDownError')).toBe(true)
      // the server's own replica refuses the cheater's registration too
      expect(server.allNodesOf('game')).toEqual(['game-server'])
    })
  }
})
