// Clients for test/server/hub/hostile-clients.test.ts that misbehave on purpose: a WebSocket client
// written out by hand (a test decides when it reads and whether it answers pings), a probe
// in a child process (an event loop of its own, as any other client of the hub has), and
// a look into what the hub queues for one connection.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { connect as tcpConnect, type Socket as TcpSocket } from 'node:net'
import type { Hub } from '../../src/server/hub/hub.js'

/** What the tests opened; each test's afterEach runs and empties it. */
export const cleanups: Array<() => unknown> = []

export const KEY = 'k'.repeat(16)
export const joinRequest = (cluster: string, id: string, key = KEY) => ({ v: 2, cluster, id, key, inc: 1 })
export const field = (value: unknown, name: string): unknown => (typeof value === 'object' && value !== null ? Reflect.get(value, name) : undefined)

/** What the hub holds for one member's connection right now: engine.io's queue plus the WebSocket's. */
export function queuedBytes(hub: Hub, id: string): number | undefined {
  for (const socket of hub.io.of('/').sockets.values()) {
    if (field(socket.data, 'id') !== id) continue
    let bytes = 0
    const queue = field(socket.conn, 'writeBuffer')
    if (Array.isArray(queue)) {
      for (const packet of queue) {
        const data = field(packet, 'data')
        bytes += typeof data === 'string' ? data.length : data instanceof Uint8Array ? data.byteLength : 0
      }
    }
    const amount = field(field(socket.conn.transport, 'socket'), 'bufferedAmount')
    return bytes + (typeof amount === 'number' ? amount : 0)
  }
  return undefined
}

/**
 * Two members of another cluster in a child process, with an event loop of their own as
 * any other client of the hub has: on request, `a` signals `b` every 20 ms for `ms` and
 * reports each round trip to the hub's ack, and how many signals reached `b`.
 */
const PROBE = `
const { io } = require('socket.io-client')
const connect = () => new Promise((resolve, reject) => {
  const s = io(process.argv[1], { transports: ['websocket'], forceNew: true, reconnection: false })
  s.once('connect', () => resolve(s))
  s.once('connect_error', reject)
})
;(async () => {
  const a = await connect()
  const b = await connect()
  await a.timeout(10000).emitWithAck('join', { v: 2, cluster: 'probe', id: 'a', key: 'p'.repeat(16), inc: 1 })
  await b.timeout(10000).emitWithAck('join', { v: 2, cluster: 'probe', id: 'b', key: 'p'.repeat(16), inc: 1 })
  let delivered = 0
  b.on('signal', () => delivered++)
  process.on('message', async (ms) => {
    const rtts = []
    const pending = []
    const end = Date.now() + ms
    while (Date.now() < end) {
      const started = performance.now()
      pending.push(a.timeout(30000).emitWithAck('signal', { to: 'b', ti: 1, data: { n: pending.length } }).then(() => rtts.push(performance.now() - started)))
      await new Promise((r) => setTimeout(r, 20))
    }
    await Promise.allSettled(pending)
    await new Promise((r) => setTimeout(r, 200))
    process.send({ rtts, delivered })
  })
  process.send('ready')
})()
`

export async function startProbe(hub: Hub): Promise<{ probe(ms: number): Promise<{ rtts: number[]; delivered: number }> }> {
  const child = spawn(process.execPath, ['-e', PROBE, hub.url], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const next = (ms: number): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the probe process did not answer')), ms)
      child.once('message', (message) => {
        clearTimeout(timer)
        resolve(message)
      })
      child.once('exit', (code) => reject(new Error(`the probe process exited (${code})`)))
    })
  if ((await next(20_000)) !== 'ready') throw new Error('the probe process did not start')
  return {
    async probe(ms) {
      const report = next(ms + 40_000)
      child.send(ms)
      const message = await report
      const rtts = field(message, 'rtts')
      const delivered = field(message, 'delivered')
      if (!Array.isArray(rtts) || typeof delivered !== 'number') throw new Error('malformed probe report')
      return { rtts: rtts.filter((r): r is number => typeof r === 'number'), delivered }
    },
  }
}

/**
 * A WebSocket client written out by hand over a TCP socket, so a test decides when it
 * reads (pause `tcp`) and whether it answers the hub's pings.
 */
export interface WireClient {
  readonly tcp: TcpSocket
  readonly received: string[]
  send(text: string): void
  next(test: (message: string) => boolean, what: string, ms?: number): Promise<string>
}

function maskedFrame(text: string): Buffer {
  const payload = Buffer.from(text)
  const length = payload.length
  let header: Buffer
  if (length < 126) header = Buffer.from([0x81, 0x80 | length])
  else if (length < 65536) header = Buffer.from([0x81, 0x80 | 126, length >> 8, length & 255])
  else {
    header = Buffer.alloc(10)
    header[0] = 0x81
    header[1] = 0x80 | 127
    header.writeBigUInt64BE(BigInt(length), 2)
  }
  const mask = randomBytes(4)
  for (let i = 0; i < length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i & 3] ?? 0)
  return Buffer.concat([header, mask, payload])
}

/** Opens a WebSocket to the hub; resolves the HTTP status of the upgrade and, on 101, the client. */
export function openWire(port: number, headers: Record<string, string> = {}): Promise<{ status: number; client: WireClient | undefined }> {
  const tcp = tcpConnect(port, '127.0.0.1')
  cleanups.push(() => tcp.destroy())
  const received: string[] = []
  const waiters = new Set<() => void>()
  let buffer = Buffer.alloc(0)
  const client: WireClient = {
    tcp,
    received,
    send: (text) => void tcp.write(maskedFrame(text)),
    async next(test, what, ms = 5000) {
      const until = Date.now() + ms
      for (;;) {
        const found = received.find(test)
        if (found !== undefined) return found
        if (Date.now() > until || tcp.destroyed) throw new Error(`no ${what} from the hub`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 50)
          waiters.add(() => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
    },
  }
  const readFrames = (): void => {
    for (;;) {
      if (buffer.length < 2) return
      const opcode = (buffer[0] ?? 0) & 0x0f
      let length = (buffer[1] ?? 0) & 0x7f
      let offset = 2
      if (length === 126) {
        if (buffer.length < 4) return
        length = buffer.readUInt16BE(2)
        offset = 4
      } else if (length === 127) {
        if (buffer.length < 10) return
        length = Number(buffer.readBigUInt64BE(2))
        offset = 10
      }
      if (buffer.length < offset + length) return
      const text = buffer.subarray(offset, offset + length).toString()
      buffer = buffer.subarray(offset + length)
      if (opcode !== 1) continue
      if (text === '2') client.send('3')
      received.push(text)
      for (const wake of waiters) wake()
      waiters.clear()
    }
  }
  return new Promise((resolve, reject) => {
    let head = ''
    const onHead = (chunk: Buffer): void => {
      head += chunk.toString('latin1')
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      tcp.off('data', onHead)
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)
      if (status !== 101) {
        tcp.destroy()
        return resolve({ status, client: undefined })
      }
      buffer = Buffer.from(head.slice(end + 4), 'latin1')
      tcp.on('data', (data: Buffer) => {
        buffer = Buffer.concat([buffer, data])
        readFrames()
      })
      readFrames()
      resolve({ status, client })
    }
    tcp.on('data', onHead)
    tcp.on('error', reject)
    tcp.once('connect', () => {
      const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')
      tcp.write(
        `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
      )
    })
  })
}

/** A hand-made client that completed the socket.io handshake and joined `cluster` as `id`. */
export async function wireMember(hub: Hub, cluster: string, id: string): Promise<WireClient> {
  const { status, client } = await openWire(hub.port)
  if (client === undefined) throw new Error(`upgrade refused with HTTP ${status}`)
  await client.next((m) => m.startsWith('0{'), 'engine.io open packet')
  client.send('40')
  await client.next((m) => m.startsWith('40'), 'socket.io connect')
  client.send(`421${JSON.stringify(['join', joinRequest(cluster, id)])}`)
  const reply = await client.next((m) => m.startsWith('431'), 'join reply')
  const answer: unknown = JSON.parse(reply.slice(3))
  if (!Array.isArray(answer) || field(answer[0], 'ok') !== true) throw new Error(`join refused: ${reply}`)
  return client
}
