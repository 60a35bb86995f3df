// The hub's event guard (src/server/hub/guards.ts, `guardEvents`), which sees every event
// before a handler: events the hub does not handle are refused with a strike, the message
// budget counts every event but relay packets (they have a byte budget of their own), and
// nothing refused reaches a handler.
import { afterEach, describe, expect, it } from 'vitest'
import type { Socket as RawSocket } from 'socket.io-client'
import type { Hub, HubOptions } from '../../../src/server/hub/hub.js'
import { rawSocket as rawClient, startTestHub, type TestHub } from '../../support/test-hub.js'
import { field, joinRequest } from '../../support/hub-hostile-clients.js'
import { eventually } from '../../support/eventually.js'

const open: Array<() => unknown> = []
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close()
})

const startHub = (options: HubOptions): Promise<TestHub> => startTestHub(open, options)

const rawSocket = (hub: Hub): Promise<RawSocket> => rawClient(hub, open)

const ask = (socket: RawSocket, event: string, ...args: unknown[]): Promise<unknown> => socket.timeout(5000).emitWithAck(event, ...args)

describe('the hub event guard', () => {
  it('refuses events it does not handle with a strike, and closes the connection at maxStrikes', async () => {
    const hub = await startHub({ maxStrikes: 6 })
    const client = await rawSocket(hub)
    expect(await ask(client, 'nonsense', { a: 1 })).toMatchObject({ ok: false, code: 'protocol', message: 'unknown event "nonsense"' })
    expect(await ask(client, 'error', 'not a handler')).toMatchObject({ ok: false, code: 'protocol', message: 'unknown event "error"' })
    expect(client.connected).toBe(true)
    for (const name of ['member-join', 'relay-refused', 'kicked']) client.emit(name, {})
    client.emit('x'.repeat(200))
    await eventually(() => !client.connected, 5000, 'the client cut off')
    expect(hub.lines.some((l) => l.startsWith('warn closing') && l.includes('6 malformed, refused or over-rate messages (maxStrikes)'))).toBe(true)
  })

  it('counts every event against the message budget, unknown ones included', async () => {
    const hub = await startHub({ maxMessageBurst: 4, maxMessagesPerSecond: 0.001 })
    const client = await rawSocket(hub)
    const replies = await Promise.all(Array.from({ length: 6 }, () => ask(client, 'nonsense')))
    const said = replies.map((r) => String(field(r, 'message'))).map((m) => (m.startsWith('rate limit') ? 'rate limit' : m))
    expect(said).toEqual([...Array<string>(4).fill('unknown event "nonsense"'), 'rate limit', 'rate limit'])
    // the budget is spent: a join is refused before it is read
    expect(await ask(client, 'join', joinRequest('room', 'late'))).toMatchObject({ ok: false, code: 'protocol', message: expect.stringContaining('rate limit') })
  })

  it('leaves relay packets to the relay budget: they pass with the message budget spent', async () => {
    const hub = await startHub({ maxMessageBurst: 1, maxMessagesPerSecond: 0.001 })
    const a = await rawSocket(hub)
    const b = await rawSocket(hub)
    expect(await ask(a, 'join', joinRequest('room', 'a'))).toMatchObject({ ok: true })
    expect(await ask(b, 'join', { ...joinRequest('room', 'b', 'b'.repeat(16)), inc: 2 })).toMatchObject({ ok: true })
    let relayed = 0
    b.on('relay', () => relayed++)
    expect(await ask(a, 'signal', { to: 'b', ti: 2, data: {} })).toMatchObject({ ok: false, message: expect.stringContaining('rate limit') })
    for (let seq = 1; seq <= 5; seq++) expect(await ask(a, 'relay', { t: [['b', 2, 1, seq, 0]], d: 'chunk' })).toEqual({ ok: true })
    await eventually(() => relayed === 5, 5000, 'the relayed packets')
  })
})
