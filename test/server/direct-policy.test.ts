/**
 * Who gets a direct link (and so learns the other's IP address): a pair goes direct only
 * if both sides allow it (`direct`, `maxDirectLinks`). A member that takes no relay cannot
 * force one that refuses: that pair stays unlinked and both sides say so (`unlinked`).
 * `iceTransportPolicy: 'relay'` offers no host or server-reflexive candidate at all.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { connect, createHub, createNodePeer, createSocketIoSignaling, type DistNode, type Hub } from '../../src/server/index.js'
import { eventually } from '../support/eventually.js'

const open: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close().catch(() => {})
})

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function hub(): Promise<Hub> {
  const h = await createHub({ port: 0, logger: { info() {}, warn() {}, error() {} }, authorize: ({ id }) => ({ claims: { role: id === 'server' ? 'server' : 'player' } }) })
  open.push(h)
  return h
}

/** Calls `seen` with the target and data of each signal a member sends through `h`. */
function watchSignals(h: Hub, seen: (to: unknown, data: unknown) => void): void {
  h.io.on('connection', (socket) => {
    socket.onAny((event: string, payload: unknown) => {
      if (event === 'signal' && typeof payload === 'object' && payload !== null) seen(Reflect.get(payload, 'to'), Reflect.get(payload, 'data'))
    })
  })
}

async function member(h: Hub, cluster: string, id: string, extra: Record<string, unknown> = {}): Promise<DistNode & { unlinked: string[] }> {
  const node = await connect({ hub: h.url, cluster, id, ...extra })
  open.push(node)
  const unlinked: string[] = []
  node.on('unlinked', (other, reason) => void unlinked.push(`${other}: ${reason}`))
  return Object.assign(node, { unlinked })
}

describe('who gets a direct link', { timeout: 30_000 }, () => {
  it('a relay: false member cannot force a direct: false member: that pair stays unlinked, both say so; each still links to the others', async () => {
    const h = await hub()
    const careful = await member(h, 'c1', 'careful', { direct: false })
    const other = await member(h, 'c1', 'other')
    const pushy = await member(h, 'c1', 'pushy', { relay: false })
    await eventually(() => pushy.nodes().includes('other') && other.nodes().includes('pushy'), 10_000, 'pushy linked to other directly')
    await eventually(() => careful.unlinked.length === 1 && pushy.unlinked.length === 1, 5000, 'both told')
    await sleep(1000)
    expect(careful.nodes().sort()).toEqual(['other'])
    expect(pushy.nodes().sort()).toEqual(['other'])
    expect(careful.unlinked).toEqual(['pushy: this node allows no direct link to it (direct)'])
    expect(pushy.unlinked).toEqual(['careful: careful allows no direct link to this node (direct)'])
    // the careful member's other link stays on the relay: no WebRTC, no address shown
    expect(careful.links()).toEqual([{ node: 'other', path: 'relay' }])
  })

  it('nor a member whose maxDirectLinks is 0', async () => {
    const h = await hub()
    const relayOnly = await member(h, 'c2', 'a-relay-only', { maxDirectLinks: 0 })
    const pushy = await member(h, 'c2', 'z-pushy', { relay: false })
    await eventually(() => relayOnly.unlinked.length === 1 && pushy.unlinked.length === 1, 5000, 'both told')
    expect(relayOnly.nodes()).toEqual([])
    expect(pushy.nodes()).toEqual([])
  })

  it('direct as a function of the member and its claims: players go direct only with the server; player pairs stay on the relay', async () => {
    const h = await hub()
    const onlyTheServer = (_id: string, claims: unknown): boolean => (claims as { role?: string } | undefined)?.role === 'server'
    const server = await member(h, 'c3', 'server')
    const alice = await member(h, 'c3', 'alice', { direct: onlyTheServer })
    const bob = await member(h, 'c3', 'bob', { direct: onlyTheServer })
    await eventually(() => alice.links().find((link) => link.node === 'server')?.path === 'direct', 10_000, 'alice–server direct')
    await eventually(() => bob.links().find((link) => link.node === 'server')?.path === 'direct', 10_000, 'bob–server direct')
    for (let i = 0; i < 20; i++) await alice.call('echo:bob', i).catch(() => undefined) // traffic that would promote the pair
    await sleep(2500)
    expect(alice.links().find((link) => link.node === 'bob')?.path).toBe('relay')
    expect(bob.links().find((link) => link.node === 'alice')?.path).toBe('relay')
    expect(server.links().every((link) => link.path === 'direct')).toBe(true)
  })

  it("iceTransportPolicy 'relay' offers no host or server-reflexive candidate (without TURN: none at all, the pair stays on the relay)", async () => {
    const h = await hub()
    const candidates: string[] = []
    watchSignals(h, (_to, data) => {
      const text = JSON.stringify(data ?? null)
      if (text.includes('candidate:')) candidates.push(text)
    })
    const a = await member(h, 'c4', 'a', { iceTransportPolicy: 'relay' })
    const b = await member(h, 'c4', 'b', { iceTransportPolicy: 'relay' })
    await eventually(() => a.nodes().includes('b'), 5000)
    await sleep(2000)
    expect(candidates).toEqual([])
    expect(a.links()).toEqual([{ node: 'b', path: 'relay' }])
    await expect(connect({ hub: h.url, cluster: 'c4', id: 'bad', iceTransportPolicy: 'none' as 'all' })).rejects.toThrow(/iceTransportPolicy/)
  })
})

describe('a member without room for another direct link', { timeout: 30_000 }, () => {
  it('is asked first: an offerer builds no peer connection for it, and still goes direct with the members that have room', async () => {
    const h = await hub()
    const offers: string[] = []
    watchSignals(h, (to, data) => void ((data as { type?: unknown } | undefined)?.type === 'offer' && offers.push(String(to))))
    const quick = { directDelayMs: 0 }
    const full = await member(h, 'c6', 'm-full', { ...quick, maxDirectLinks: 1 })
    const other = await member(h, 'c6', 'z-other', quick)
    await eventually(() => full.links()[0]?.path === 'direct', 10_000, 'm-full direct with z-other')
    const late = await member(h, 'c6', 'a-late', quick)
    await eventually(() => late.links().find((link) => link.node === 'z-other')?.path === 'direct', 10_000, 'a-late direct with z-other')
    await sleep(2000) // a-late asks m-full again after 250 ms, 500 ms, 1 s: it has no room each time
    expect(late.links().find((link) => link.node === 'm-full')?.path).toBe('relay')
    expect(offers.filter((to) => to === 'm-full')).toEqual([])
    await eventually(() => other.links().every((link) => link.path === 'direct'), 5000, 'z-other direct with both') // its side may move a moment later
  })

  it('holds its slot for a member that asked and never offers only until directTimeoutMs; then the slot goes to the next', async () => {
    const h = await hub()
    const full = await member(h, 'c7', 'q-member', { maxDirectLinks: 1, directTimeoutMs: 1000, directDelayMs: 0 })
    const errors: string[] = []
    full.on('error', (error) => void errors.push(error.message))
    // mallory asks for q-member's only slot, and never offers
    const mallory = createSocketIoSignaling({ hub: h.url, cluster: 'c7', id: 'a-mallory' })
    open.push({ close: async () => mallory.close() })
    const answers: unknown[] = []
    mallory.onSignal((from, _inc, data) => void (from === 'q-member' && answers.push(data)))
    const joined = await mallory.join()
    const inc = joined.members.find((m) => m.id === 'q-member')?.inc as number
    mallory.sendSignal('q-member', inc, { type: 'ask' })
    await eventually(() => answers.length === 1, 5000, 'an answer to the ask')
    expect(answers).toEqual([{ type: 'go' }])
    const asked = Date.now()
    const late = await member(h, 'c7', 'b-legit', { directDelayMs: 0 })
    // the slot is held for mallory at first, then released: b-legit goes direct with q-member
    await eventually(() => late.links().find((link) => link.node === 'q-member')?.path === 'direct', 10_000, 'b-legit direct with q-member')
    expect(Date.now() - asked).toBeGreaterThanOrEqual(900)
    // each side moves the link to the data channel on its own: q-member's may come a moment later
    await eventually(() => full.links().some((link) => link.node === 'b-legit' && link.path === 'direct'), 5000, 'q-member direct with b-legit')
    expect(full.links().filter((link) => link.path === 'direct').map((link) => link.node)).toEqual(['b-legit'])
    expect(errors).toEqual([])
  })

  it('answers an offer that came without an ask (a member that offers at once), when it has room', async () => {
    const h = await hub()
    await member(h, 'c8', 'q-member', { directDelayMs: 0 })
    const eager = createSocketIoSignaling({ hub: h.url, cluster: 'c8', id: 'a-eager' })
    open.push({ close: async () => eager.close() })
    const inc = (await eager.join()).members.find((m) => m.id === 'q-member')?.inc as number
    const peer = createNodePeer({ initiator: true })
    open.push({ close: async () => void peer.destroy() })
    const kinds: unknown[] = []
    eager.onSignal((from, _inc, data) => {
      if (from !== 'q-member') return
      kinds.push((data as { type?: unknown }).type ?? 'candidate')
      peer.signal(data as Parameters<typeof peer.signal>[0])
    })
    peer.on('signal', (data) => eager.sendSignal('q-member', inc, data))
    await new Promise<void>((resolve, reject) => {
      peer.on('connect', () => resolve())
      peer.on('error', reject)
    })
    expect(kinds).toContain('answer')
    expect(kinds).not.toContain('busy')
  })
})
