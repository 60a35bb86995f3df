// The hub against hostile clients, over real sockets: floods of joins and signals, a
// member that stops reading, refused joins repeated forever, long-polling sessions,
// connection floods, a member that vanishes without closing TCP, and foreign origins.
// Raw socket.io-client connections, plus the clients in test/support/hub-hostile-clients.ts where a
// test must control reading and pings byte by byte or needs an event loop of its own.
import { spawn } from 'node:child_process'
import { connect as tcpConnect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { Socket as RawSocket } from 'socket.io-client'
import type { Hub, HubOptions } from '../../../src/server/hub/hub.js'
import { rawSocket as rawClient, startTestHub, type TestHub } from '../../support/test-hub.js'
import { cleanups, field, joinRequest, KEY, openWire, queuedBytes, startProbe, wireMember, type WireClient } from '../../support/hub-hostile-clients.js'
import { eventually } from '../../support/eventually.js'

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})


const startHub = (options: HubOptions = {}): Promise<TestHub> => startTestHub(cleanups, options)

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

const rawSocket = (hub: Hub): Promise<RawSocket> => rawClient(hub, cleanups)

const ask = (socket: RawSocket, event: string, ...args: unknown[]): Promise<unknown> => socket.timeout(5000).emitWithAck(event, ...args)
const rawJoin = (socket: RawSocket, cluster: string, id: string, key = KEY): Promise<unknown> => ask(socket, 'join', joinRequest(cluster, id, key))
const disconnected = (socket: RawSocket): Promise<void> =>
  new Promise((resolve) => (socket.connected ? socket.once('disconnect', () => resolve()) : resolve()))

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

describe('hub under floods', () => {
  it('cuts off a member that floods its join in a 300-member cluster; another cluster stays fast', { timeout: 90_000 }, async () => {
    // the 300 members share the loopback address: lift its budget (test/server/hub/address-budget.test.ts)
    const hub = await startHub({ addressNoticeBurst: 1_000_000 })
    const members: RawSocket[] = []
    for (let i = 0; i < 300; i += 25) {
      const batch = await Promise.all(
        Array.from({ length: 25 }, async (_, j) => {
          const socket = await rawSocket(hub)
          expect(await rawJoin(socket, 'big', `m${i + j}`)).toMatchObject({ ok: true })
          return socket
        }),
      )
      members.push(...batch)
    }
    const other = await startProbe(hub)
    const flooder = members[0]
    if (flooder === undefined) throw new Error('no flooder')
    const cut = disconnected(flooder)
    let answered = 0
    const probing = other.probe(3000)
    for (let i = 0; i < 5000; i++) flooder.emit('join', joinRequest('big', 'm0'), () => answered++)
    const { rtts, delivered } = await probing
    await Promise.race([cut, sleep(5000)])
    const p50 = median(rtts)
    console.log(
      `join flood: ${answered} of 5000 joins answered, flooder cut: ${!flooder.connected}; ` +
        `other cluster p50 ${p50.toFixed(1)} ms, max ${Math.max(...rtts).toFixed(0)} ms over ${rtts.length} round trips`,
    )
    expect(flooder.connected).toBe(false)
    expect(answered).toBeLessThan(500)
    expect(rtts.length).toBeGreaterThan(20)
    expect(delivered).toBe(rtts.length)
    expect(p50).toBeLessThan(200)
    expect(hub.lines.some((l) => l.startsWith('warn closing') && l.includes('malformed'))).toBe(true)
    const late = await rawSocket(hub)
    const reply = await rawJoin(late, 'big', 'late')
    expect(field(reply, 'ok')).toBe(true)
    expect(field(reply, 'members')).toHaveLength(299)
  })

  it('refuses messages past the rate limit, counts them as strikes and cuts the sender off', async () => {
    const hub = await startHub({ maxMessageBurst: 50, maxMessagesPerSecond: 20 })
    const mate = await rawSocket(hub)
    const chatty = await rawSocket(hub)
    await rawJoin(mate, 'room', 'mate')
    await rawJoin(chatty, 'room', 'chatty')
    let delivered = 0
    mate.on('signal', () => delivered++)
    const burst = async (count: number): Promise<{ ok: number; limited: number }> => {
      const replies = await Promise.all(Array.from({ length: count }, (_, i) => ask(chatty, 'signal', { to: 'mate', ti: 1, data: { i } })))
      return {
        ok: replies.filter((r) => field(r, 'ok') === true).length,
        limited: replies.filter((r) => field(r, 'ok') === false && String(field(r, 'message')).includes('rate limit')).length,
      }
    }
    // The bucket holds 50 (the join took one): about 49 pass, the rest are refused.
    const first = await burst(120)
    await eventually(() => delivered === first.ok, 5000, 'the admitted signals')
    // It refills at 20 per second.
    await sleep(1000)
    const second = await burst(10)
    console.log(`rate limit: burst of 120 → ${first.ok} relayed, ${first.limited} refused; 1 s later 10 → ${second.ok} relayed`)
    expect(first.ok).toBeGreaterThanOrEqual(45)
    expect(first.ok).toBeLessThan(100)
    expect(first.limited).toBe(120 - first.ok)
    expect(second.ok).toBe(10)
    expect(chatty.connected).toBe(true)
    expect(hub.lines.some((l) => l.startsWith('warn') && l.includes('rate limit'))).toBe(true)
    // Refused messages are strikes: a sender that keeps pushing is cut off.
    const cut = disconnected(chatty)
    for (let i = 0; i < 400; i++) chatty.emit('signal', { to: 'mate', ti: 1, data: { i } })
    await Promise.race([cut, sleep(5000)])
    expect(chatty.connected).toBe(false)
    expect(hub.lines.some((l) => l.startsWith('warn closing') && l.includes('maxStrikes'))).toBe(true)
    expect(mate.connected).toBe(true)
  })

  it('lets a newcomer signal 300 peers at once (an offer and 30 candidates each) at the default limits', { timeout: 60_000 }, async () => {
    const hub = await startHub()
    const mate = await rawSocket(hub)
    const newcomer = await rawSocket(hub)
    await rawJoin(mate, 'room', 'mate')
    await rawJoin(newcomer, 'room', 'newcomer')
    const candidate = { candidate: { candidate: 'candidate:1 1 udp 2122260223 192.168.1.5 54321 typ host generation 0 ufrag abcd', sdpMLineIndex: 0, sdpMid: '0' } }
    const offer = { type: 'offer', sdp: 'v=0\r\n'.padEnd(3000, 'a') }
    const replies: unknown[] = []
    for (let peer = 0; peer < 300; peer++) {
      newcomer.emit('signal', { to: 'mate', ti: 1, data: offer }, (r: unknown) => replies.push(r))
      for (let c = 0; c < 30; c++) newcomer.emit('signal', { to: 'mate', ti: 1, data: candidate }, (r: unknown) => replies.push(r))
    }
    await eventually(() => replies.length === 9300 || !newcomer.connected, 40_000, 'every ack')
    expect(replies.filter((r) => field(r, 'ok') !== true)).toEqual([])
    expect(newcomer.connected).toBe(true)
  })
})

describe('hub against slow and silent members', () => {
  it('disconnects a member that stops reading before its queue passes the bound', { timeout: 60_000 }, async () => {
    // Pings far apart, so that only the queue bound can act within this test.
    const hub = await startHub({ pingIntervalMs: 30_000, pingTimeoutMs: 30_000 })
    const victim = await wireMember(hub, 'room', 'victim')
    const flooder = await rawSocket(hub)
    await rawJoin(flooder, 'room', 'flooder')
    let victimLeft = false
    flooder.on('member-leave', (notice: unknown) => {
      if (field(notice, 'id') === 'victim') victimLeft = true
    })
    victim.tcp.pause()
    const data = { sdp: 'x'.repeat(60 * 1024) }
    let maxQueued = 0
    let sent = 0
    const until = Date.now() + 40_000
    while (!victimLeft && sent < 4000 && maxQueued < 64 * 1024 * 1024 && Date.now() < until) {
      await Promise.all(Array.from({ length: 16 }, () => ask(flooder, 'signal', { to: 'victim', ti: 1, data })))
      sent += 16
      maxQueued = Math.max(maxQueued, queuedBytes(hub, 'victim') ?? 0)
    }
    console.log(`slow consumer: ${sent} signals of 60 KiB sent, hub queue peaked at ${(maxQueued / 2 ** 20).toFixed(1)} MiB, cut: ${victimLeft}`)
    await eventually(() => victimLeft, 5000, 'the leave of the slow member')
    expect(maxQueued).toBeLessThan(8 * 1024 * 1024)
    expect(queuedBytes(hub, 'victim')).toBeUndefined()
    expect(hub.lines.some((l) => l.startsWith('warn') && l.includes('slow consumer'))).toBe(true)
    expect(flooder.connected).toBe(true)
  })

  it('drops a member that stops answering pings within seconds and tells the others', async () => {
    const hub = await startHub()
    const watcher = await rawSocket(hub)
    await rawJoin(watcher, 'room', 'watcher')
    const silent = await wireMember(hub, 'room', 'silent')
    let leftAt = 0
    watcher.on('member-leave', (notice: unknown) => {
      if (field(notice, 'id') === 'silent') leftAt = Date.now()
    })
    const stalled = Date.now()
    silent.tcp.pause()
    await eventually(() => leftAt > 0, 15_000, 'the leave of the silent member')
    console.log(`silent member left after ${leftAt - stalled} ms`)
    expect(leftAt - stalled).toBeLessThan(12_000)
    const newcomer = await rawSocket(hub)
    expect(await rawJoin(newcomer, 'room', 'newcomer')).toEqual({ ok: true, id: 'newcomer', members: [{ id: 'watcher', inc: 1 }], at: expect.any(Number) })
  })
})

describe('hub against refused joins', () => {
  it('closes a connection whose joins keep being refused at the join deadline', async () => {
    const hub = await startHub({
      joinDeadlineMs: 400,
      authorize: async () => {
        await sleep(50)
        return false
      },
    })
    const socket = await rawSocket(hub)
    const cut = disconnected(socket)
    const started = Date.now()
    let refusals = 0
    while (socket.connected && Date.now() - started < 5000) {
      const reply = await ask(socket, 'join', joinRequest('room', 'x')).catch(() => undefined)
      if (field(reply, 'code') === 'unauthorized') refusals++
    }
    await Promise.race([cut, sleep(1000)])
    console.log(`refused joiner: ${refusals} refusals, cut after ${Date.now() - started} ms`)
    expect(socket.connected).toBe(false)
    expect(Date.now() - started).toBeLessThan(3000)
    expect(hub.lines.some((l) => l.startsWith('warn') && l.includes('join deadline'))).toBe(true)
  })

  it('counts refused joins (unauthorized, duplicate_id) as strikes', async () => {
    const hub = await startHub({ authorize: ({ id }) => id !== 'denied' })
    const owner = await rawSocket(hub)
    await rawJoin(owner, 'room', 'taken', 'owner-key-0123456789')
    for (const [id, code] of [['denied', 'unauthorized'], ['taken', 'duplicate_id']] as const) {
      const socket = await rawSocket(hub)
      let refusals = 0
      while (socket.connected && refusals < 300) {
        const reply = await ask(socket, 'join', joinRequest('room', id)).catch(() => undefined)
        if (field(reply, 'code') !== code) break
        refusals++
      }
      await Promise.race([disconnected(socket), sleep(2000)])
      console.log(`${code}: ${refusals} refusals before the cut`)
      expect(socket.connected).toBe(false)
      expect(refusals).toBeLessThanOrEqual(100)
    }
    expect(owner.connected).toBe(true)
  })
})

describe('hub connection bounds', () => {
  it('refuses HTTP long-polling: clients speak WebSocket only', async () => {
    const hub = await startHub()
    const statuses = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const response = await fetch(`${hub.url}/socket.io/?EIO=4&transport=polling`)
        await response.arrayBuffer()
        return response.status
      }),
    )
    console.log(`long-polling: statuses ${[...new Set(statuses)].join(',')}, sessions held ${hub.io.engine.clientsCount}`)
    expect(statuses.every((s) => s === 400)).toBe(true)
    expect(hub.io.engine.clientsCount).toBe(0)
  })

  it('refuses connections past maxConnections with a log line, and admits again once one leaves', async () => {
    const hub = await startHub({ maxConnections: 3 })
    const admitted = await Promise.all([rawSocket(hub), rawSocket(hub), rawSocket(hub)])
    expect(await rawSocket(hub).then(() => 'admitted', () => 'refused')).toBe('refused')
    expect(hub.io.engine.clientsCount).toBe(3)
    expect(hub.lines.some((l) => l.startsWith('warn') && l.includes('maxConnections'))).toBe(true)
    admitted[0]?.disconnect()
    await eventually(() => hub.io.engine.clientsCount === 2, 5000, 'the hub to see the leave')
    const again = await rawSocket(hub)
    expect(await rawJoin(again, 'room', 'again')).toMatchObject({ ok: true })

    // Bare TCP sockets that never finish a request are capped too: 3 + 16 room in flight.
    const idle = Array.from({ length: 40 }, () => {
      const tcp = tcpConnect(hub.port, '127.0.0.1')
      tcp.on('error', () => {})
      cleanups.push(() => tcp.destroy())
      return tcp
    })
    await eventually(() => idle.filter((t) => t.closed).length >= 40 - 16, 5000, 'the hub to close the sockets past its cap')
    await sleep(200)
    console.log(`TCP cap: ${idle.filter((t) => t.closed).length} of 40 idle sockets closed by the hub`)
    expect(idle.filter((t) => t.closed).length).toBeLessThanOrEqual(40 - 16 + 3)
    expect(hub.lines.some((l) => l.startsWith('warn closed a TCP connection at accept'))).toBe(true)
    expect(again.connected).toBe(true)
  })
})

describe('hub origins', () => {
  it('admits only the allowed origins on the WebSocket upgrade; clients without an Origin stay allowed', async () => {
    const hub = await startHub({ allowedOrigins: ['http://app.example'] })
    expect((await openWire(hub.port, { Origin: 'http://app.example' })).status).toBe(101)
    expect((await openWire(hub.port, { Origin: 'http://evil.example' })).status).toBe(400)
    expect((await openWire(hub.port, { Origin: 'http://app.example.evil.example' })).status).toBe(400)
    expect((await openWire(hub.port)).status).toBe(101)
    expect(hub.lines.some((l) => l.startsWith('warn') && l.includes('http://evil.example'))).toBe(true)

    const byFunction = await startHub({ allowedOrigins: (origin) => origin.endsWith('.trusted.example') })
    expect((await openWire(byFunction.port, { Origin: 'https://a.trusted.example' })).status).toBe(101)
    expect((await openWire(byFunction.port, { Origin: 'https://trusted.example.com' })).status).toBe(400)
  })

  it('by default admits pages on loopback hosts only, and warns when any origin may join without authorize', async () => {
    const hub = await startHub()
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:4000', 'http://[::1]:8080']) {
      expect((await openWire(hub.port, { Origin: origin })).status, origin).toBe(101)
    }
    expect((await openWire(hub.port, { Origin: 'https://evil.example' })).status).toBe(400)
    expect((await openWire(hub.port, { Origin: 'http://localhost.evil.example' })).status).toBe(400)
    expect(hub.lines.some((l) => l.startsWith('warn') && l.includes('any web page'))).toBe(false)

    const open = await startHub({ allowedOrigins: '*' })
    expect((await openWire(open.port, { Origin: 'https://evil.example' })).status).toBe(101)
    expect(open.lines.some((l) => l.startsWith('warn') && l.includes('any web page'))).toBe(true)
    const guarded = await startHub({ allowedOrigins: '*', authorize: () => true })
    expect(guarded.lines.some((l) => l.startsWith('warn') && l.includes('any web page'))).toBe(false)
  })
})

describe('distribunator-hub CLI bounds', () => {
  it('takes --allowed-origin (repeatable), --max-connections and the ping settings', async () => {
    const args = ['--port', '0', '--allowed-origin', 'http://a.example', '--allowed-origin', 'http://b.example']
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', ...args, '--max-connections', '2', '--ping-interval', '500', '--ping-timeout', '700'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
    await eventually(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(out), 15_000, 'the listening line')
    const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1])
    const upgrade = async (origin?: string): Promise<{ status: number; client: WireClient | undefined }> =>
      openWire(port, origin === undefined ? {} : { Origin: origin })
    expect((await upgrade('http://b.example')).status).toBe(101)
    expect((await upgrade('http://c.example')).status).toBe(400)
    const silent = await upgrade()
    expect(silent.status).toBe(101)
    expect((await upgrade('http://a.example')).status).toBe(400)
    // A client that stops answering is dropped after 500 + 700 ms of pings, which frees a place.
    silent.client?.tcp.pause()
    const started = Date.now()
    let admitted = 0
    while (admitted !== 101 && Date.now() - started < 10_000) {
      await sleep(200)
      admitted = (await upgrade('http://a.example')).status
    }
    console.log(`CLI: a place freed ${Date.now() - started} ms after a client went silent`)
    expect(admitted).toBe(101)
    expect(Date.now() - started).toBeLessThan(6000)
    expect(err).toMatch(/warning: refused a connection from origin "http:\/\/c\.example"/)
    expect(err).toMatch(/warning: refused a connection: maxConnections \(2\) reached/)
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })
})
