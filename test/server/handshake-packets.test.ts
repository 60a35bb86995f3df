/**
 * What a newcomer's links cost the members over the relay. The newcomer, which has the
 * members in its join reply, opens each link with its hello and registry in one packet
 * (one event to the hub for all of them); each member answers with its own hello and
 * registry in one packet, which carries the acknowledgement too. A member that hears of a
 * newcomer that never opens the link opens it itself, after `answerLinkMs`, and at once
 * when the newcomer's join reply may not have listed it (two joins at once through two
 * hubs, each hub's reply read before the other's newcomer was confirmed). In a room
 * within the direct-link budget, a member opens its link to a newcomer as soon as it hears
 * of it, so both packets cross at once and the newcomer is linked a hub hop sooner.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { connect, type DistNode } from '../../src/server/index.js'
import { MESH_DEFAULTS } from '../../src/core/mesh/mesh-options.js'
import { eventually } from '../support/eventually.js'
import { joinRequest } from '../support/hub-hostile-clients.js'
import { type Cleanups, rawSocket, startTestHub, type TestHub } from '../support/test-hub.js'
import { startRedisServer } from '../support/redis-server.js'

const cleanups: Cleanups = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

interface Sent {
  /** Relay events carrying data, and the members each was for. */
  data: string[][]
  /** Relay events carrying acknowledgements only. */
  bare: number
}

/** Counts, per member id, the relay events the hub takes from it while `counting` is on. */
function countRelays(hub: TestHub): { sent: Map<string, Sent>; counting: { on: boolean } } {
  const sent = new Map<string, Sent>()
  const counting = { on: false }
  hub.io.on('connection', (socket) => {
    let id: string | undefined
    socket.onAny((event: string, payload: unknown) => {
      const body = typeof payload === 'object' && payload !== null ? payload : {}
      if (event === 'join') id = String(Reflect.get(body, 'id'))
      if (event !== 'relay' || !counting.on || id === undefined) return
      const targets = Reflect.get(body, 't')
      const to = Array.isArray(targets) ? targets.map((target: unknown) => String(Array.isArray(target) ? target[0] : '')) : []
      const entry = sent.get(id) ?? { data: [], bare: 0 }
      sent.set(id, entry)
      if (Reflect.get(body, 'd') === undefined) entry.bare++
      else entry.data.push(to)
    })
  })
  return { sent, counting }
}

type MemberOptions = { readonly maxDirectLinks?: number; readonly direct?: false }
/** On the relay only, with no direct-link budget: a crowd, whatever its size. */
const crowd: MemberOptions = { maxDirectLinks: 0 }
/** Every pair on the relay (no WebRTC), and fewer members than the default budget of 32: a room. */
const roomy: MemberOptions = { direct: false }

/** A member of the cluster `packets` (by default in a crowd). */
async function member(hub: TestHub, id: string, options: MemberOptions = crowd): Promise<DistNode> {
  const node = await connect({ hub: hub.url, cluster: 'packets', id, ...options })
  cleanups.push(() => node.close())
  return node
}

describe('a newcomer over the relay', { timeout: 30_000 }, () => {
  it('costs each member one packet: its hello and registry, with the acknowledgement, and no bare acknowledgement', async () => {
    const hub = await startTestHub(cleanups)
    const { sent, counting } = countRelays(hub)
    const members: DistNode[] = []
    for (const id of ['m1', 'm2', 'm3', 'm4']) members.push(await member(hub, id))
    members[0]?.register('held', members[0].spawn({ handleCall: (msg) => msg }))
    await eventually(() => members.every((m) => m.nodes().length === 3 && m.allPidsOf('held').length === 1), 5000, 'the members linked')
    await sleep(300) // their own acknowledgements settle
    counting.on = true
    const late = await member(hub, 'late')
    expect(late.nodes().sort()).toEqual(['m1', 'm2', 'm3', 'm4'])
    expect(late.allPidsOf('held')).toHaveLength(1) // m1's registry came with its answer
    await eventually(() => members.every((m) => m.nodes().includes('late')), 5000, 'every member linked to the newcomer')
    await sleep(300) // any acknowledgement still owed goes out (ackDelayMs is a few ms)
    counting.on = false
    for (const id of ['m1', 'm2', 'm3', 'm4']) {
      expect(sent.get(id), `what ${id} sent`).toEqual({ data: [['late']], bare: 0 })
    }
    // the newcomer's hello and registry: one event for the four
    expect(sent.get('late')?.data[0]?.sort()).toEqual(['m1', 'm2', 'm3', 'm4'])
    expect(sent.get('late')?.data).toHaveLength(1)
    expect(await late.call('held', 'hi')).toBe('hi')
  })

  it.each([
    ['in a crowd, where each member answers its hello', crowd],
    ['in a room, where each member sends its hello when the hub tells of it', roomy],
  ])('sends its acknowledgements with its first registration, none bare; each member sends one packet and acknowledges bare once, %s', async (_, options) => {
    const hub = await startTestHub(cleanups)
    const { sent, counting } = countRelays(hub)
    const members: DistNode[] = []
    for (const id of ['m1', 'm2', 'm3']) members.push(await member(hub, id, options))
    members[0]?.register('held', members[0].spawn({ handleCall: (msg) => msg }))
    await eventually(() => members.every((m) => m.nodes().length === 2 && m.allPidsOf('held').length === 1), 5000, 'the members linked')
    await sleep(MESH_DEFAULTS.lazyAckMs + 300) // their own acknowledgements settle
    counting.on = true
    const late = await member(hub, 'late', options)
    expect(late.allPidsOf('held')).toHaveLength(1) // m1's registry came with its hello
    // what an app does soon after it connects (here 20 ms): a name of its own, which every member is told of
    await sleep(20)
    late.register('late:service', late.spawn({ handleCall: (msg) => msg }))
    await eventually(() => members.every((m) => m.allPidsOf('late:service').length === 1), 5000, 'every member saw the registration')
    await sleep(MESH_DEFAULTS.lazyAckMs + 300) // any acknowledgement still owed goes out
    counting.on = false
    // the hello to all three, then the registration to all three, which carries the acknowledgements
    expect(sent.get('late')).toEqual({ data: [expect.any(Array), expect.any(Array)], bare: 0 })
    for (const id of ['m1', 'm2', 'm3']) {
      // its hello; then what it received is acknowledged bare, once (nothing goes back to carry it)
      expect(sent.get(id), `what ${id} sent`).toEqual({ data: [['late']], bare: 1 })
    }
  })

  it('a member opens the link itself when the newcomer does not, after answerLinkMs', async () => {
    const hub = await startTestHub(cleanups)
    const { sent, counting } = countRelays(hub)
    const m1 = await member(hub, 'm1')
    counting.on = true
    // a member that joins and never opens a link (it speaks no relay at all)
    const silent = await rawSocket(hub, cleanups)
    const started = Date.now()
    const reply: unknown = await silent.timeout(5000).emitWithAck('join', joinRequest('packets', 'silent'))
    expect(reply).toMatchObject({ ok: true })
    const opened = new Promise<number>((resolve) => silent.on('relay', () => resolve(Date.now() - started)))
    const waited = await opened
    expect(waited).toBeGreaterThanOrEqual(MESH_DEFAULTS.answerLinkMs - 50)
    expect(waited).toBeLessThan(MESH_DEFAULTS.answerLinkMs + 2000)
    expect(sent.get('m1')?.data[0]).toEqual(['silent'])
    expect(m1.nodes()).toEqual([])
  })
})

describe('a newcomer in a room within the direct-link budget', { timeout: 30_000 }, () => {
  it('is linked by each member as soon as the member hears of it, without waiting for its packet', async () => {
    const hub = await startTestHub(cleanups)
    const m1 = await member(hub, 'm1', roomy)
    const silent = await rawSocket(hub, cleanups)
    const started = Date.now()
    const opened = new Promise<number>((resolve) => silent.on('relay', () => resolve(Date.now() - started)))
    const reply: unknown = await silent.timeout(5000).emitWithAck('join', joinRequest('packets', 'silent'))
    expect(reply).toMatchObject({ ok: true })
    const waited = await Promise.race([opened, sleep(MESH_DEFAULTS.answerLinkMs + 2000).then(() => Infinity)])
    // at once: a hub hop, not the crowd's answerLinkMs
    expect(waited).toBeLessThan(MESH_DEFAULTS.answerLinkMs / 2)
    expect(m1.nodes()).toEqual([]) // the silent member never answers: no link counts as up
  })
})

describe('two newcomers joining a crowd at once through two hubs', { timeout: 60_000 }, () => {
  it('are linked a few hub hops after their joins, not after answerLinkMs', async () => {
    const redis = await startRedisServer()
    cleanups.push(() => redis.dispose())
    const [h1, h2] = [await startTestHub(cleanups, { redisUrl: redis.url }), await startTestHub(cleanups, { redisUrl: redis.url })]
    // Each hub reads the cluster before it confirms its own newcomer: joins made at once
    // through two hubs often list neither newcomer to the other, and each hears of the
    // other only by a member-join, after its own join's answer.
    const took: number[] = []
    for (let round = 0; round < 6; round++) {
      const cluster = `race-${round}`
      const started = Date.now()
      const nodes = await Promise.all(
        [h1, h2].map(async (hub, i) => {
          const node = await connect({ hub: hub.url, cluster, id: `n${i}`, ...crowd })
          cleanups.push(() => node.close())
          return node
        }),
      )
      await Promise.all(nodes.map((node) => (node.nodes().length === 1 ? undefined : new Promise<void>((resolve) => void node.on('nodeup', () => resolve())))))
      took.push(Date.now() - started)
    }
    expect(Math.max(...took), `ms until both linked, each round: ${took.join(', ')}`).toBeLessThan(MESH_DEFAULTS.answerLinkMs / 2)
  })
})
