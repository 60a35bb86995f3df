/**
 * Who may register what: a node's `acceptRegistration` policy keeps registrations it
 * refuses out of its replica, whatever order they come in, and a handler knows the node
 * each message came from (`ctx.fromNode`), whatever the message says.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BadArgError, createMemoryChannelPair, createNode, type DistNode, NoPidError } from '../../../src/core/index.js'
import { eventually } from '../../support/eventually.js'

const open: DistNode[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close()))
})

/** Only the node `server` may hold `game`. */
const serverOnly = (name: string, node: string): boolean => name !== 'game' || node === 'server'

function node(id: string, acceptRegistration?: (name: string, node: string, claims: unknown) => boolean): DistNode {
  const n = createNode({ id, ...(acceptRegistration ? { acceptRegistration } : {}) })
  open.push(n)
  return n
}

async function link(a: DistNode, b: DistNode): Promise<void> {
  const [x, y] = createMemoryChannelPair()
  await Promise.all([a.link(x), b.link(y)])
}

describe('acceptRegistration', () => {
  it('keeps a name the policy reserves out of the replica: registered before the server, again after, at link-up and live', async () => {
    const player = node('player', serverOnly)
    const cheater = node('cheater')
    const errors: string[] = []
    player.on('error', (error: Error) => errors.push(error.message))
    const stolen: unknown[] = []
    // registered before the link: it arrives in the cheater's sync
    cheater.register('game', cheater.spawn({ handleCall: (move) => void stolen.push(move) }))
    cheater.register('chat', cheater.spawn({ handleCall: () => 'ok' }))
    await link(player, cheater)
    await eventually(() => player.allPidsOf('chat').length === 1)
    expect(player.allPidsOf('game')).toEqual([])
    expect(player.pidOf('game')).toBeUndefined()
    await expect(player.call('game', 'e4')).rejects.toBeInstanceOf(NoPidError)

    const server = node('server')
    const moves: Array<[unknown, string]> = []
    server.register('game', server.spawn({ handleCall: (move, ctx) => (moves.push([move, ctx.fromNode]), 'accepted') }))
    await link(player, server)
    await eventually(() => player.allPidsOf('game').length === 1)
    // registered again while linked (a join frame), many times: none of it is taken
    for (let i = 0; i < 5; i++) cheater.register('game', cheater.spawn({ handleCall: (move) => void stolen.push(move) }))
    await eventually(() => player.allNodesOf('chat').length === 1 && errors.length >= 1)
    await new Promise((r) => setTimeout(r, 50))
    expect(player.allNodesOf('game')).toEqual(['server'])
    for (let i = 0; i < 20; i++) expect(await player.call('game', `move ${i}`)).toBe('accepted')
    expect(stolen).toEqual([])
    expect(moves).toHaveLength(20)
    expect(moves.every(([, from]) => from === 'player')).toBe(true)
    // reported once for that link and name, not once per registration
    expect(errors.filter((e) => e.includes('"game"') && e.includes('cheater'))).toHaveLength(1)
    // the cheater's processes stop: their leaves of a name never taken are not errors
    const before = errors.length
    await cheater.close()
    await eventually(() => player.nodes().join() === 'server')
    expect(errors.length).toBe(before)
  })

  it('refuses a local register the policy refuses, with BadArgError', () => {
    const player = node('player', serverOnly)
    expect(() => player.register('game', player.spawn({}))).toThrow(BadArgError)
    expect(player.allPidsOf('game')).toEqual([])
    player.register('lobby', player.spawn({}))
    expect(player.allPidsOf('lobby')).toHaveLength(1)
  })

  it('a policy that throws refuses, and says so', async () => {
    const a = node('a', () => {
      throw new Error('policy bug')
    })
    const b = node('b')
    const errors: string[] = []
    a.on('error', (error: Error) => errors.push(error.message))
    b.register('x', b.spawn({}))
    await link(a, b)
    await eventually(() => errors.some((e) => e.includes('policy bug')))
    expect(a.allPidsOf('x')).toEqual([])
  })

  it('sees claims as undefined on a node not made by connect()', () => {
    const a = node('a')
    expect(a.claimsOf('a')).toBeUndefined()
    expect(a.claimsOf('b')).toBeUndefined()
  })
})
