import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryChannelPair } from '../../../src/core/index.js'
import { Link } from '../../../src/core/wire/link.js'
import type { Frame } from '../../../src/core/wire/protocol.js'
import { hostilePeer, type HostilePeer } from '../../support/hostile-peer.js'

const PING = '{"v":2,"t":"ping"}'
const options = { heartbeatIntervalMs: 30, heartbeatTimeoutMs: 150 }

describe('heartbeat on the wire', () => {
  let peer: HostilePeer | undefined
  afterEach(async () => {
    await peer?.node.close()
    peer = undefined
  })

  it('an idle link sends its ping as the fixed text, and a ping received keeps the link up', async () => {
    const p = await hostilePeer({ as: 'h', ...options })
    peer = p
    const texts: string[] = []
    p.raw.onMessage((m) => typeof m === 'string' && texts.push(m))
    // the far end says nothing but pings, each spelled another way: the fixed text, inside a
    // batch, with spaces; every one counts as a sign of life and none is an error
    const spellings = [PING, `[${PING}]`, '{ "v": 2, "t": "ping" }']
    for (let i = 0; i < 12; i++) {
      p.send(spellings[i % spellings.length])
      await new Promise((r) => setTimeout(r, 25))
    }
    expect(p.node.nodes()).toEqual(['h'])
    expect(p.errors).toEqual([])
    // after the handshake (its hello and sync), what an idle link says is the ping's text alone
    const after = texts.filter((t) => !/"t":"(hello|sync)"/.test(t))
    expect(after.length).toBeGreaterThan(3)
    expect(after.filter((t) => t !== PING)).toEqual([])
  })

  it('without pings from the far end the link goes down within the timeout', async () => {
    const p = await hostilePeer({ as: 'h', ...options })
    peer = p
    const downs: string[] = []
    p.node.on('nodedown', (id, reason) => downs.push(`${id}:${reason}`))
    await new Promise((r) => setTimeout(r, 400))
    expect(downs).toEqual(['h:heartbeat_timeout'])
  })

  it('a ping of another protocol version is refused like any frame of it', async () => {
    const p = await hostilePeer({ as: 'h', ...options })
    peer = p
    p.send('{"v":1,"t":"ping"}')
    await new Promise((r) => setTimeout(r, 20))
    expect(p.errors.some((e) => e.includes('unsupported protocol version 1'))).toBe(true)
  })

  it('a ping on its own never reaches the frame code: only its time is taken', async () => {
    const [near, far] = createMemoryChannelPair()
    const frames: Frame[] = []
    const invalid: string[] = []
    const link = new Link(near, { maxFrameBytes: 1 << 20, maxBatchBytes: 1 << 16, maxSendBufferBytes: 1 << 20 }, {
      frame: (_, frame) => frames.push(frame),
      invalid: (_, reason) => invalid.push(reason),
      closed: () => {},
    })
    link.lastReceived = 0
    far.send(PING)
    far.send(`[${PING},{"v":2,"t":"bye","reason":"done"}]`)
    await new Promise((r) => setTimeout(r, 10))
    expect(link.lastReceived).toBeGreaterThan(0)
    expect(invalid).toEqual([])
    // the lone ping was taken as text; the one in a batch went through as a frame
    expect(frames.map((f) => f.t)).toEqual(['ping', 'bye'])
    const sent: unknown[] = []
    far.onMessage((m) => sent.push(m))
    link.ping()
    await new Promise((r) => setTimeout(r, 10))
    expect(sent).toEqual([PING])
    link.close('shutdown')
  })
})
