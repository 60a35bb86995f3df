/**
 * TURN, for real: coturn on loopback, two Node members with `iceTransportPolicy: 'relay'`
 * and the TURN server (over TCP) in `iceServers`. They link directly through TURN, the
 * data channel carries calls, and the only candidates that pass the hub are relayed ones:
 * neither learns the other's host or public address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, createHub, type DistNode, type Hub } from '../../src/server/index.js'
import { eventually } from '../support/eventually.js'
import { startTurnServer, type TurnServer } from '../support/turn-server.js'

let turn: TurnServer
const open: Array<{ close(): Promise<void> }> = []
beforeAll(async () => {
  turn = await startTurnServer()
}, 20_000)
afterAll(async () => {
  for (const item of open.splice(0).reverse()) await item.close().catch(() => {})
  await turn?.stop()
})

describe('TURN', { timeout: 30_000 }, () => {
  it("links directly through TURN (over UDP, what node-datachannel speaks) with iceTransportPolicy 'relay': only relayed candidates pass", async () => {
    const hub: Hub = await createHub({ port: 0, logger: { info() {}, warn() {}, error() {} } })
    open.push(hub)
    const candidates: string[] = []
    hub.io.on('connection', (socket) => {
      socket.onAny((event: string, payload: unknown) => {
        if (event !== 'signal' || typeof payload !== 'object' || payload === null) return
        const data: unknown = Reflect.get(payload, 'data')
        const candidate = typeof data === 'object' && data !== null ? Reflect.get(data, 'candidate') : undefined
        const line = typeof candidate === 'object' && candidate !== null ? Reflect.get(candidate, 'candidate') : undefined
        if (typeof line === 'string' && line !== '') candidates.push(line)
      })
    })
    const options = { iceServers: [{ urls: turn.udpUrl, username: turn.username, credential: turn.credential }], iceTransportPolicy: 'relay' as const }
    const a: DistNode = await connect({ hub: hub.url, cluster: 'turn', id: 'a', ...options })
    const b: DistNode = await connect({ hub: hub.url, cluster: 'turn', id: 'b', ...options })
    open.push(a, b)
    b.register('echo', b.spawn({ handleCall: (msg) => msg }))
    await eventually(() => a.links()[0]?.path === 'direct' && b.links()[0]?.path === 'direct', 20_000, 'the link through TURN').catch((error: Error) => {
      throw new Error(`${error.message}; candidates: ${JSON.stringify(candidates)}`)
    })
    for (let i = 0; i < 20; i++) expect(await a.call('echo', `through TURN ${i}`)).toBe(`through TURN ${i}`)
    expect(candidates.length).toBeGreaterThan(0)
    expect(candidates.filter((line) => !/ typ relay /.test(line))).toEqual([])
  })
})
