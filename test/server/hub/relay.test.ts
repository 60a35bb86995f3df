/**
 * The hub's relay path against raw clients: packets go only to confirmed members of the
 * sender's cluster, stamped with the sender's id (a forged one is ignored), never from a
 * connection that has not joined; the relay byte budget refuses a flood; a hub with
 * `relay: false` carries nothing.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { io as connectRaw, type Socket } from 'socket.io-client'
import { createHub, type Hub, type HubOptions } from '../../../src/server/index.js'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function hub(options: HubOptions = {}): Promise<Hub> {
  const h = await createHub({ port: 0, logger: { info() {}, warn() {}, error() {} }, ...options })
  cleanups.push(() => h.close())
  return h
}

interface Client {
  socket: Socket
  got: unknown[]
}

async function client(h: Hub, cluster?: string, id?: string): Promise<Client> {
  const socket = connectRaw(h.url, { transports: ['websocket'], forceNew: true, reconnection: false })
  cleanups.push(() => socket.disconnect())
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('connect_error', reject)
  })
  const got: unknown[] = []
  socket.on('relay', (notice: unknown) => got.push(notice))
  if (cluster !== undefined && id !== undefined) {
    const reply = await socket.timeout(2000).emitWithAck('join', { v: 2, cluster, id, key: `key-${id}-0123456789abcdef`, inc: 1 })
    expect(reply).toMatchObject({ ok: true })
  }
  return { socket, got }
}

const relay = (c: Client, payload: unknown): Promise<unknown> => c.socket.timeout(2000).emitWithAck('relay', payload)
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 100))

describe('the hub relay', () => {
  it('forwards only within the sender cluster, stamped with the sender id', async () => {
    const h = await hub()
    const a = await client(h, 'one', 'a')
    const b = await client(h, 'one', 'b')
    const other = await client(h, 'two', 'b') // same id, another cluster
    expect(await relay(a, { t: [['b', 2, 7, 1, 0]], d: 'hello', f: 'mallory' })).toEqual({ ok: true })
    expect(await relay(a, { t: [['b', 2, 7, 2, 0]], d: new Uint8Array([1, 2, 3]) })).toEqual({ ok: true })
    await settle()
    expect(b.got).toHaveLength(2)
    expect(b.got[0]).toEqual({ f: 'a', fi: 1, ti: 2, e: 7, s: 1, a: 0, d: 'hello' })
    expect(new Uint8Array((b.got[1] as { d: ArrayBufferLike }).d as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]))
    expect(other.got).toEqual([])
  })

  it('refuses a connection that has not joined, malformed packets, and more than the relay budget', async () => {
    const h = await hub({ maxRelayBurstBytes: 100_000, maxRelayBytesPerSecond: 1000 })
    const outsider = await client(h)
    expect(await relay(outsider, { t: [['b', 2, 1, 1, 0]], d: 'x' })).toMatchObject({ ok: false, code: 'protocol' })
    const a = await client(h, 'one', 'a')
    const b = await client(h, 'one', 'b')
    for (const bad of [null, {}, { t: [] }, { t: [['b', 2, 1, 1]] }, { t: [['b', 2, -1, 1, 0]], d: 'x' }, { t: [['b', 2, 1, 0, 0]], d: 'x' }, { t: [['b', 2, 1, 1, 0]] }, { t: [['b', 2, 1, 1, 0]], d: 'x'.repeat(70_000) }, { t: [['b', 2, 1, 1, 0]], d: '' }, { t: [['b', 2, 1, 1, 0]], d: new Uint8Array(0) }, { t: [['b', 2, 1, 1, 0], ['b', 2, 1, 2, 0]], d: 'x' }]) {
      expect(await relay(a, bad), JSON.stringify(bad)?.slice(0, 60)).toMatchObject({ ok: false, code: 'badarg' })
    }
    let refused = 0
    for (let i = 0; i < 40 && refused === 0; i++) {
      const reply = (await relay(a, { t: [['b', 2, 1, i + 1, 0]], d: 'y'.repeat(10_000) })) as { ok: boolean }
      if (!reply.ok) refused++
    }
    expect(refused).toBe(1) // past 100 kB at once
    await settle()
    expect(b.got.length).toBeLessThan(40)
  })

  it('a packet sent without an acknowledgement is answered only when refused, by relay-refused naming its targets', async () => {
    const h = await hub({ maxRelayBurstBytes: 30_000, maxRelayBytesPerSecond: 1000 })
    const a = await client(h, 'one', 'a')
    const b = await client(h, 'one', 'b')
    const refusals: unknown[] = []
    a.socket.on('relay-refused', (r: unknown) => refusals.push(r))
    for (let i = 1; i <= 5; i++) a.socket.emit('relay', { t: [['b', 2, 3, i, 0]], d: 'z'.repeat(10_000) })
    await settle()
    expect(b.got.length).toBeGreaterThan(0)
    expect(b.got.length).toBeLessThan(5)
    expect(refusals.length).toBe(5 - b.got.length)
    expect(refusals[0]).toMatchObject({ code: 'protocol', t: [['b', 2, 3, b.got.length + 1, 0]] })
    a.socket.emit('relay', { t: [['b', 2, 3]], d: 'x' }) // malformed: no targets to name
    await settle()
    expect(refusals.at(-1)).toMatchObject({ code: 'badarg' })
    expect((refusals.at(-1) as { t?: unknown }).t).toBeUndefined()
  })

  it('a hub with relay: false relays nothing', async () => {
    const h = await hub({ relay: false })
    const a = await client(h, 'one', 'a')
    const b = await client(h, 'one', 'b')
    expect(await relay(a, { t: [['b', 2, 1, 1, 0]], d: 'x' })).toMatchObject({ ok: false, code: 'protocol' })
    await settle()
    expect(b.got).toEqual([])
  })

  it('one packet for several members fans out to each, with its own sequence numbers', async () => {
    const h = await hub()
    const a = await client(h, 'fan', 'a')
    const members = await Promise.all(['b', 'c', 'd'].map((id) => client(h, 'fan', id)))
    expect(await relay(a, { t: [['b', 2, 1, 5, 2], ['c', 2, 2, 9, 0], ['d', 2, 3, 1, 1]], d: 'join' })).toEqual({ ok: true })
    await settle()
    expect(members.map((m) => m.got)).toEqual([[{ f: 'a', fi: 1, ti: 2, e: 1, s: 5, a: 2, d: 'join' }], [{ f: 'a', fi: 1, ti: 2, e: 2, s: 9, a: 0, d: 'join' }], [{ f: 'a', fi: 1, ti: 2, e: 3, s: 1, a: 1, d: 'join' }]])
  })
})
