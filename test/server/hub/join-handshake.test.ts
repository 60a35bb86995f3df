/**
 * The join rides in the connection (Socket.IO's handshake `auth: { join }`): the hub
 * answers it with a `joined` event right behind the connection's acknowledgement, one
 * round trip instead of two. The client sends the same join as an event too, for a hub
 * that reads none from the handshake; a hub that did leaves that copy unanswered.
 */
import { io as ioClient } from 'socket.io-client'
import { afterEach, describe, expect, it } from 'vitest'
import { connect } from '../../../src/server/index.js'
import { field, joinRequest } from '../../support/hub-hostile-clients.js'
import { type Cleanups, startTestHub, type TestHub } from '../../support/test-hub.js'

const cleanups: Cleanups = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A raw client that sends `join` with its connection, and the hub's `joined` reply (listened for from the start: it follows the connection at once). */
function joining(hub: TestHub, join: unknown): { socket: ReturnType<typeof ioClient>; joined: Promise<unknown> } {
  const socket = ioClient(hub.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { join } })
  cleanups.push(() => socket.disconnect())
  return { socket, joined: new Promise<unknown>((resolve) => socket.once('joined', resolve)) }
}

describe('a join in the connection', { timeout: 20_000 }, () => {
  it('is answered by a joined event; its copy as an event stays unanswered, and another join is refused', async () => {
    const hub = await startTestHub(cleanups)
    const { socket: member, joined: first } = joining(hub, joinRequest('hs', 'first'))
    expect(await first).toMatchObject({ ok: true, id: 'first', members: [] })
    const second = await joining(hub, joinRequest('hs', 'second')).joined
    expect(field(second, 'members')).toEqual([expect.objectContaining({ id: 'first' })])
    // the same join again as an event: no answer (a client sends it for hubs of before)
    await expect(member.timeout(300).emitWithAck('join', joinRequest('hs', 'first'))).rejects.toThrow()
    // a join with another key on a connection that joined: refused as before
    expect(await member.timeout(2000).emitWithAck('join', joinRequest('hs', 'first', 'x'.repeat(16)))).toMatchObject({ ok: false, code: 'badarg' })
    expect(hub.lines.filter((line) => /first/.test(line) && /refus|strike/i.test(line)).length).toBeLessThanOrEqual(1)
  })

  it('a malformed join in the connection is refused by a joined event, as a malformed join event would be', async () => {
    const hub = await startTestHub(cleanups)
    expect(await joining(hub, { v: 2, cluster: 'hs', id: 'x' }).joined).toMatchObject({ ok: false, code: 'badarg' })
  })

  it('a node joins through a hub that reads its join from the connection, and through an io that drops it (the event copy)', async () => {
    const hub = await startTestHub(cleanups)
    const seen: unknown[] = []
    hub.io.on('connection', (socket) => seen.push(field(socket.handshake.auth, 'join')))
    const a = await connect({ hub: hub.url, cluster: 'hs', id: 'a' })
    cleanups.push(() => a.close())
    expect(seen[0]).toMatchObject({ cluster: 'hs', id: 'a' })
    // an io wrapper that sends no handshake auth: the hub takes the join event instead
    const b = await connect({ hub: hub.url, cluster: 'hs', id: 'b', io: (url, options) => ioClient(url, { ...options, auth: {} }) })
    cleanups.push(() => b.close())
    expect(seen[1]).toBeUndefined()
    expect(a.nodes()).toEqual(['b'])
    expect(b.nodes()).toEqual(['a'])
  })
})
