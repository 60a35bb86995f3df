// The hub's per-address budget (maxConnectionsPerAddress, addressNoticeBurst,
// addressNoticesPerSecond): one address that opens connection after connection, each
// joining and leaving a large cluster, is refused past its budget, while clients of other
// addresses, and another cluster's signals, go on as before. Loopback has every 127.x.y.z:
// clients bind distinct ones (socket.io-client's `localAddress`) to be distinct addresses.
import { spawn } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { io as connectRaw, type Socket as RawSocket } from 'socket.io-client'
import { BadArgError } from '../../../src/core/index.js'
import { createHub, type Hub, type HubOptions } from '../../../src/server/hub/hub.js'
import { addressKey, forwardedFor } from '../../../src/server/hub/address-budget.js'
import { rawSocket as rawClient, startTestHub, type TestHub } from '../../support/test-hub.js'
import { cleanups, field, joinRequest, startProbe } from '../../support/hub-hostile-clients.js'

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const startHub = (options: HubOptions = {}): Promise<TestHub> => startTestHub(cleanups, options)

const rawSocket = (hub: Hub, localAddress: string): Promise<RawSocket> => rawClient(hub, cleanups, { localAddress })

/**
 * A child process with the members of cluster `big`, joined from 30 addresses
 * (127.0.1.1–30, ten members each), so that building the cluster stays within each
 * address's budget. Prints `ready` once every member has joined.
 */
const HOLDER = `
const { io } = require('socket.io-client')
const [url, count] = [process.argv[1], Number(process.argv[2])]
const join = (i) => new Promise((resolve, reject) => {
  const s = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, localAddress: '127.0.1.' + (1 + (i % 30)) })
  s.once('connect_error', reject)
  s.once('connect', () => s.timeout(20000).emitWithAck('join', { v: 2, cluster: 'big', id: 'm' + i, key: 'h'.repeat(16), inc: 1 })
    .then((r) => (r && r.ok ? resolve() : reject(new Error(JSON.stringify(r)))), reject))
})
;(async () => {
  for (let i = 0; i < count; i += 10) await Promise.all(Array.from({ length: 10 }, (_, j) => join(i + j)))
  console.log('ready')
})().catch((e) => { console.error(e); process.exit(1) })
`

/**
 * The flood, from one address (127.0.0.2): \`count\` connections, ten at a time, each
 * joining \`big\` and leaving at once. Prints what the hub answered, as JSON.
 */
const FLOOD = `
const { io } = require('socket.io-client')
const [url, count] = [process.argv[1], Number(process.argv[2])]
const tally = { joined: 0, refusedJoins: {}, refusedConnections: {} }
const bump = (map, key) => { map[key] = (map[key] || 0) + 1 }
const one = (i) => new Promise((resolve) => {
  const s = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, localAddress: '127.0.0.2' })
  s.once('connect_error', (e) => { bump(tally.refusedConnections, String(e.message)); s.close(); resolve() })
  s.once('connect', () => s.timeout(20000).emitWithAck('join', { v: 2, cluster: 'big', id: 'f' + i, key: 'f'.repeat(16), inc: 1 })
    .then((r) => { if (r && r.ok) tally.joined++; else bump(tally.refusedJoins, String(r && r.code)) }, () => bump(tally.refusedJoins, 'timeout'))
    .finally(() => { s.disconnect(); resolve() }))
})
;(async () => {
  for (let i = 0; i < count; i += 10) await Promise.all(Array.from({ length: 10 }, (_, j) => one(i + j)))
  console.log(JSON.stringify(tally))
})()
`

function runScript(script: string, args: string[], until: (line: string) => boolean, ms: number): Promise<string> {
  const child = spawn(process.execPath, ['-e', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`no answer from the child process within ${ms} ms`)), ms)
    child.stdout.on('data', (data: Buffer) => {
      out += data.toString()
      const line = out.split('\n').find(until)
      if (line === undefined) return
      clearTimeout(timer)
      resolve(line)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the child process exited (${code}) before answering`))
    })
  })
}

const p99 = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.99)] ?? Number.NaN

describe('the hub against one address opening connection after connection', () => {
  it('refuses an address that joins and leaves a 300-member cluster 300 times past its budget; another cluster stays fast', { timeout: 120_000 }, async () => {
    const hub = await startHub()
    await runScript(HOLDER, [hub.url, '300'], (l) => l === 'ready', 60_000)
    const other = await startProbe(hub)
    const probing = other.probe(4000)
    const flood = JSON.parse(await runScript(FLOOD, [hub.url, '300'], (l) => l.startsWith('{'), 90_000)) as {
      joined: number
      refusedJoins: Record<string, number>
      refusedConnections: Record<string, number>
    }
    const { rtts, delivered } = await probing
    const refused = Object.values(flood.refusedJoins).reduce((a, b) => a + b, 0) + Object.values(flood.refusedConnections).reduce((a, b) => a + b, 0)
    console.log(`address flood: ${flood.joined} of 300 joins served, refused ${JSON.stringify(flood.refusedJoins)} joins and ${JSON.stringify(flood.refusedConnections)} connections; other cluster's signal p99 ${p99(rtts).toFixed(1)} ms over ${rtts.length} round trips`)
    expect(flood.joined).toBeLessThan(300)
    expect(flood.joined + refused).toBe(300)
    expect(flood.refusedJoins.overloaded ?? 0).toBeGreaterThan(0)
    expect(hub.lines.some((l) => l.startsWith('warn') && l.includes('127.0.0.2') && l.includes('addressNoticeBurst'))).toBe(true)
    expect(rtts.length).toBeGreaterThan(100)
    expect(delivered).toBe(rtts.length)
    expect(p99(rtts)).toBeLessThan(50)
    // another address joins the same cluster at once
    const late = await rawSocket(hub, '127.0.0.3')
    const reply = await late.timeout(5000).emitWithAck('join', joinRequest('big', 'late'))
    expect(field(reply, 'ok')).toBe(true)
  })

  it('holds at most maxConnectionsPerAddress connections of one address; other addresses are not affected', async () => {
    const hub = await startHub({ maxConnectionsPerAddress: 3 })
    const first = await Promise.all([1, 2, 3].map(() => rawSocket(hub, '127.0.0.4')))
    await expect(rawSocket(hub, '127.0.0.4')).rejects.toThrow()
    expect(hub.lines.some((l) => l.includes('127.0.0.4') && l.includes('maxConnectionsPerAddress'))).toBe(true)
    const elsewhere = await rawSocket(hub, '127.0.0.5')
    expect(elsewhere.connected).toBe(true)
    // a closed connection frees its place
    first[0]?.disconnect()
    await new Promise((r) => setTimeout(r, 200))
    const again = await rawSocket(hub, '127.0.0.4')
    expect(again.connected).toBe(true)
  })

  it('answers joins past the budget `overloaded`, and serves them again once the budget refills', async () => {
    // A connection costs 10 notices, a join into an empty cluster 1; a cost is admitted
    // while a notice is left, and may take the budget below zero.
    const hub = await startHub({ addressNoticeBurst: 12, addressNoticesPerSecond: 20 })
    const socket = await rawSocket(hub, '127.0.0.6')
    expect(field(await socket.timeout(5000).emitWithAck('join', joinRequest('solo', 'a')), 'ok')).toBe(true)
    // 1 left: admitted, to -9
    const second = await rawSocket(hub, '127.0.0.6')
    const third = await rawSocket(hub, '127.0.0.6').catch((error: unknown) => error)
    expect(third).toBeInstanceOf(Error)
    const refused = await second.timeout(5000).emitWithAck('join', joinRequest('solo', 'b'))
    expect(field(refused, 'code')).toBe('overloaded')
    await new Promise((r) => setTimeout(r, 600))
    expect(field(await second.timeout(5000).emitWithAck('join', joinRequest('solo', 'b')), 'ok')).toBe(true)
  })
})

describe('the address a budget is kept for', () => {
  it('refuses budget options that are not positive numbers, and a clientAddress that is not a function', async () => {
    for (const bad of [{ maxConnectionsPerAddress: 0 }, { addressNoticeBurst: -1 }, { addressNoticesPerSecond: Number.NaN }, { clientAddress: 'x' }]) {
      await expect(createHub({ port: 0, ...(bad as HubOptions) }), JSON.stringify(bad)).rejects.toBeInstanceOf(BadArgError)
    }
  })

  it('is what clientAddress reads: behind a proxy, each X-Forwarded-For address has a budget of its own', async () => {
    const hub = await startHub({ maxConnectionsPerAddress: 1, clientAddress: forwardedFor })
    const from = (forwarded: string): Promise<RawSocket> => {
      const socket = connectRaw(hub.url, { transports: ['websocket'], forceNew: true, reconnection: false, extraHeaders: { 'x-forwarded-for': forwarded } })
      cleanups.push(() => socket.disconnect())
      return new Promise((resolve, reject) => {
        socket.once('connect', () => resolve(socket))
        socket.once('connect_error', reject)
      })
    }
    await from('203.0.113.1')
    await from('203.0.113.2')
    await expect(from('203.0.113.1')).rejects.toThrow()
    expect(hub.lines.some((l) => l.includes('203.0.113.1') && l.includes('maxConnectionsPerAddress'))).toBe(true)
  })

  it('is the IPv4 address, an IPv4-mapped IPv6 address as IPv4, and an IPv6 address by its /64', () => {
    expect(addressKey('127.0.0.1')).toBe('127.0.0.1')
    expect(addressKey('::ffff:10.1.2.3')).toBe('10.1.2.3')
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(addressKey('::1')).toBe('0:0:0:0::/64')
  })

  it('behind a proxy, is the address the proxy appended to X-Forwarded-For', () => {
    expect(forwardedFor({ address: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.9, 198.51.100.7' } })).toBe('198.51.100.7')
    expect(forwardedFor({ address: '127.0.0.1', headers: {} })).toBe('127.0.0.1')
    expect(forwardedFor({ address: '127.0.0.1', headers: { 'x-forwarded-for': 'not an address' } })).toBe('127.0.0.1')
  })
})
