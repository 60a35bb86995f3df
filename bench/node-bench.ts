/**
 * Node benchmarks over real WebRTC on loopback (node-datachannel), each figure a ratio
 * against a baseline measured in the same round, because shared machines are noisy:
 *
 * 1. call round trip vs a raw simple-peer echo (p50, p99), sample by sample alternating,
 *    each round on a settled call path (`settle`); the calls right after the round before
 *    apart
 * 2. 100k small casts vs 100k raw simple-peer sends (one message per send)
 * 3. a 10 MB value through call (answered with its length), as a Uint8Array and as a
 *    string, vs the same bytes sent raw in 16 KiB messages (answered once all are in):
 *    one way, store and forward
 * 4. call round trip vs socket.io emit-with-ack relayed by a server between two clients
 * 5. local registry lookups with 10k names; register → visible on 7 other nodes vs RTT,
 *    and vs a fan-out of plain casts to the same 7 nodes (the floor on this machine);
 *    a call to a process of the same node with a small message, one after another
 * 8. bytes through the hub per payload byte once linked
 *
 * The far ends of items 1–3 are one process (bench/peer-child.ts, `pair`): the raw echo
 * and the node each on their own peer connection to it, so that both run between the
 * same two processes.
 */
import type Peer from 'simple-peer'
import { io as ioClient } from 'socket.io-client'
import { channelFromPeer } from '../src/core/webrtc/data-channel.js'
import { connect, createHub, createNode, type DistNode } from '../src/server/index.js'
import { BARE_LINK_LIVENESS, type Child, peersWithChild, startChild } from './children.js'
import { pairedRtt, SMALL, SMALL_TEXT } from './paired-rtt.js'
import { type Figure, median, percentile, Rounds } from './stats.js'
import { LOOPBACK_BUDGET } from '../test/support/loopback-budget.js'

export interface NodeBenchOptions {
  readonly rounds: number
  readonly rttSamples: number
  /** Unrecorded round-trip pairs before the first round, so the JIT has settled. */
  readonly warmUp: number
  /**
   * Unrecorded round-trip pairs before each later round, after the first `rttSamples`
   * (recorded apart): the casts, 10 MB and local calls of the round before send parts of
   * the call path back to V8's interpreter on both ends, and it takes some thousands of
   * calls to be optimised again.
   */
  readonly settle: number
  readonly casts: number
  readonly bulkBytes: number
}


function sorted(values: number[]): number[] {
  return values.sort((a, b) => a - b)
}

function nextData(peer: Peer.Instance): Promise<Uint8Array> {
  return new Promise((resolve) => peer.once('data', (d: Uint8Array) => resolve(d)))
}

/** Sends with backpressure, as a careful user of a raw data channel would. */
async function sendPaced(peer: Peer.Instance, data: string | Uint8Array): Promise<void> {
  const channel = (peer as unknown as { _channel: { bufferedAmount: number } })._channel
  while (channel.bufferedAmount > 1024 * 1024) await new Promise((r) => setTimeout(r, 1))
  peer.send(data)
}

async function rawBurst(peer: Peer.Instance, count: number): Promise<number> {
  const t = performance.now()
  const done = new Promise<void>((resolve) => {
    const onData = (d: Uint8Array): void => {
      if (Buffer.from(d).toString().startsWith('DONE')) {
        peer.off('data', onData)
        resolve()
      }
    }
    peer.on('data', onData)
  })
  for (let i = 0; i < count; i++) await sendPaced(peer, `C${i}`)
  peer.send('C!')
  await done
  return count / ((performance.now() - t) / 1000)
}

async function oursBurst(node: DistNode, count: number): Promise<number> {
  const before = await node.call<number>('sink', 'count')
  const t = performance.now()
  for (let i = 0; i < count; i++) node.cast('sink', { n: i })
  const after = await node.call<number>('sink', 'count', 60_000)
  if (after - before !== count) throw new Error(`sink counted ${after - before} of ${count} casts`)
  return count / ((performance.now() - t) / 1000)
}

/** One way: `bytes` in 16 KiB messages, paced; the far end answers once it has them all. */
async function rawBulk(peer: Peer.Instance, bytes: number): Promise<number> {
  const payload = new Uint8Array(bytes).fill(0x42 /* B */)
  const t = performance.now()
  const done = new Promise<string>((resolve) => {
    const onData = (d: Uint8Array): void => {
      const text = Buffer.from(d).toString()
      if (text.startsWith('BDONE')) {
        peer.off('data', onData)
        resolve(text)
      }
    }
    peer.on('data', onData)
  })
  for (let at = 0; at < bytes; at += 16 * 1024) await sendPaced(peer, payload.subarray(at, Math.min(bytes, at + 16 * 1024)))
  peer.send('B!')
  const answer = await done
  if (answer !== `BDONE:${bytes}`) throw new Error(`raw bulk: far end got ${answer}`)
  return performance.now() - t
}

/** One way: a `bytes`-long string or byte array through `call`; the far end answers with its length. */
async function oursBulk(node: DistNode, bytes: number, kind: 'string' | 'bytes'): Promise<number> {
  // a flat string, as text from a file or the network is (not a rope from repeat())
  const value = kind === 'string' ? JSON.parse(JSON.stringify('B'.repeat(bytes))) as string : new Uint8Array(bytes).fill(0x42)
  const t = performance.now()
  const size = await node.call<number>('size', value, 120_000)
  if (size !== bytes) throw new Error(`bulk value arrived with ${size} of ${bytes} characters`)
  return performance.now() - t
}

async function relayRtt(samples: number): Promise<{ times: number[]; stop(): Promise<void> }> {
  const server = startChild('relay-server')
  const port = await server.ready
  const far = startChild('relay-client', `http://127.0.0.1:${port}`)
  await far.ready
  const socket = ioClient(`http://127.0.0.1:${port}`, { transports: ['websocket'] })
  await new Promise<void>((resolve) => socket.on('connect', () => resolve()))
  const times: number[] = []
  for (let i = 0; i < samples; i++) {
    const t = performance.now()
    await socket.emitWithAck('call', { ...SMALL, n: i })
    times.push(performance.now() - t)
  }
  socket.close()
  return {
    times: sorted(times),
    async stop() {
      await Promise.all([far.stop(), server.stop()])
    },
  }
}

function lookupRates(): { allPidsOf: number; pidOf: number } {
  const node = createNode({ id: 'lookup' })
  const pids = [node.spawn({}), node.spawn({}), node.spawn({})]
  const names = Array.from({ length: 10_000 }, (_, i) => `name-${i}`)
  names.forEach((name, i) => node.register(name, pids[i % 3]!))
  const N = 2_000_000
  let sink = 0
  let t = performance.now()
  for (let i = 0; i < N; i++) sink += node.allPidsOf(names[i % 10_000]!).length
  const allPidsOf = N / ((performance.now() - t) / 1000)
  t = performance.now()
  for (let i = 0; i < N; i++) sink += node.pidOf(names[i % 10_000]!) ? 1 : 0
  const pidOf = N / ((performance.now() - t) / 1000)
  void node.close()
  if (sink === 0) throw new Error('lookups found nothing')
  return { allPidsOf, pidOf }
}

/** µs per call to a process of the same node, awaited one after another, with a small message. */
async function localCallMicros(count: number): Promise<number> {
  const node = createNode({ id: 'local' })
  const echo = node.spawn({ handleCall: (msg) => msg })
  for (let i = 0; i < 10_000; i++) await node.call(echo, { ...SMALL, n: i })
  const t = performance.now()
  for (let i = 0; i < count; i++) await node.call(echo, { ...SMALL, n: i })
  const micros = ((performance.now() - t) * 1000) / count
  await node.close()
  return micros
}

export async function runNodeBench(options: NodeBenchOptions, log: (line: string) => void): Promise<Figure[]> {
  const { rounds, rttSamples, warmUp, settle, casts, bulkBytes } = options
  const acc = new Rounds()
  const push = (key: string, value: number): void => acc.push(key, value)

  log('linking raw and distribunator peers to one child process')
  const far = await peersWithChild()
  if (far.retries > 0) log(`connect retries: ${far.retries}`)
  const node = createNode({ id: 'near', ...BARE_LINK_LIVENESS })
  // a link that drops before the end fails the rounds after it: say why, where it happened
  node.on('nodedown', (id: string, reason: string, detail: string) => reason !== 'shutdown' && log(`the link to ${id} went down: ${reason} (${detail})`))
  await node.link(channelFromPeer(far.ours))
  while (node.allPidsOf('echo').length === 0) await new Promise((r) => setTimeout(r, 5))
  await node.call('echo', 'warm-up')
  const rawEcho = (): Promise<Uint8Array> => {
    const reply = nextData(far.raw)
    far.raw.send(SMALL_TEXT)
    return reply
  }
  const call = (i: number): Promise<unknown> => node.call('echo', { ...SMALL, n: i })
  await pairedRtt(rawEcho, call, 0, warmUp)
  const relay = await relayRtt(200)
  await relay.stop()

  for (let round = 1; round <= rounds; round++) {
    if (round > 1) {
      log(`round ${round}/${rounds}: call round trip right after the round before, then ${settle} unrecorded`)
      const { raw: r, ours: o } = await pairedRtt(rawEcho, call, rttSamples, 0)
      push('rtt.after.ratio.p50', percentile(o, 50) / percentile(r, 50))
      await pairedRtt(rawEcho, call, 0, settle)
    }
    log(`round ${round}/${rounds}: call round trip`)
    const { raw: r, ours: o } = await pairedRtt(rawEcho, call, rttSamples, 0)
    push('rtt.raw.p50', percentile(r, 50))
    push('rtt.ours.p50', percentile(o, 50))
    push('rtt.ratio.p50', percentile(o, 50) / percentile(r, 50))
    push('rtt.ratio.p99', percentile(o, 99) / percentile(r, 99))
    log(`round ${round}/${rounds}: socket.io relay`)
    const s = await relayRtt(rttSamples)
    await s.stop()
    push('relay.p50', percentile(s.times, 50))
    push('relay.ratio', percentile(s.times, 50) / percentile(o, 50))
    log(`round ${round}/${rounds}: ${casts} casts`)
    const rb = await rawBurst(far.raw, casts)
    const ob = await oursBurst(node, casts)
    push('burst.raw', rb)
    push('burst.ours', ob)
    push('burst.ratio', ob / rb)
    log(`round ${round}/${rounds}: ${bulkBytes / 1e6} MB`)
    const rk = await rawBulk(far.raw, bulkBytes)
    const oy = await oursBulk(node, bulkBytes, 'bytes')
    const os = await oursBulk(node, bulkBytes, 'string')
    push('bulk.raw', bulkBytes / 1e6 / (rk / 1000))
    push('bulk.bytes', bulkBytes / 1e6 / (oy / 1000))
    push('bulk.bytes.ratio', rk / oy)
    push('bulk.string', bulkBytes / 1e6 / (os / 1000))
    push('bulk.string.ratio', rk / os)
    const l = lookupRates()
    push('lookup.allPidsOf', l.allPidsOf)
    push('lookup.pidOf', l.pidOf)
    push('local.call', await localCallMicros(200_000))
  }
  await node.close()
  far.raw.destroy()
  await far.child.stop()

  log('8-node mesh through a hub: registry visibility and hub load')
  const mesh = await meshFigures(rounds, log)

  const f = (name: string, unit: string, key: string, extra: Partial<Figure> = {}): Figure => acc.figure(name, unit, key, extra)
  return [
    f('1. call RTT p50, raw simple-peer echo', 'ms', 'rtt.raw.p50'),
    f('1. call RTT p50, distribunator call', 'ms', 'rtt.ours.p50'),
    f('1. call RTT p50 ratio', '×', 'rtt.ratio.p50', { note: 'ours / raw', target: '<= 1.15' }),
    f('1. call RTT p99 ratio', '×', 'rtt.ratio.p99', { note: 'ours / raw', target: '<= 1.15' }),
    f('1. call RTT p50 ratio, right after casts and 10 MB', '×', 'rtt.after.ratio.p50', { note: `ours / raw; rounds 2–${rounds}, the first ${rttSamples} calls after the round before` }),
    f('2. casts/s, raw one message per send', 'msg/s', 'burst.raw'),
    f('2. casts/s, distribunator cast', 'msg/s', 'burst.ours'),
    f('2. cast throughput ratio', '×', 'burst.ratio', { note: 'ours / raw', target: '>= 0.85' }),
    f('3. 10 MB one way, raw chunked', 'MB/s', 'bulk.raw'),
    f('3. 10 MB Uint8Array through call', 'MB/s', 'bulk.bytes'),
    f('3. bulk throughput ratio, Uint8Array', '×', 'bulk.bytes.ratio', { note: 'ours / raw', target: '>= 0.8' }),
    f('3. 10 MB string through call', 'MB/s', 'bulk.string'),
    f('3. bulk throughput ratio, string', '×', 'bulk.string.ratio', { note: 'ours / raw; JSON and UTF-8 on both ends', target: '>= 0.8' }),
    f('4. socket.io relay RTT p50', 'ms', 'relay.p50'),
    f('4. socket.io relay / distribunator RTT', '×', 'relay.ratio', { note: 'relay / ours' }),
    f('5. allPidsOf, 10k names', 'ops/s', 'lookup.allPidsOf', { target: '>= 5000000' }),
    f('5. pidOf, 10k names', 'ops/s', 'lookup.pidOf', { target: '>= 5000000' }),
    f('5. local call, small message', 'µs', 'local.call', { note: 'the message and the reply copied', target: '<= 1' }),
    ...mesh,
  ]
}

async function meshFigures(rounds: number, log: (line: string) => void): Promise<Figure[]> {
  const hub = await createHub({ port: 0, ...LOOPBACK_BUDGET, logger: { info() {}, warn() {}, error: console.error } })
  let hubBytes = 0
  hub.io.engine.on('connection', (socket: { on(e: string, f: (p: { data?: unknown }) => void): void }) => {
    const count = (packet: { data?: unknown }): void => {
      hubBytes += typeof packet.data === 'string' ? packet.data.length : packet.data instanceof Uint8Array ? packet.data.byteLength : 1
    }
    socket.on('packet', count)
    socket.on('packetCreate', count)
  })
  const cluster = 'bench'
  const children: Child[] = []
  for (let i = 1; i <= 7; i++) children.push(startChild('mesh', hub.url, cluster, `m${i}`))
  await Promise.all(children.map((c) => c.ready))
  const node = await connect({ hub: hub.url, cluster, id: 'm0' })
  const deadline = Date.now() + 30_000
  while (node.nodes().length < 7 || node.allPidsOf('echo:m7').length === 0) {
    if (Date.now() > deadline) throw new Error(`8-node mesh did not form: ${node.nodes().join()}`)
    await new Promise((r) => setTimeout(r, 20))
  }
  await new Promise((r) => setTimeout(r, 500))
  const acks = new Map<string, number[]>()
  const waiters = new Map<string, (seen: number[]) => void>()
  node.register('acks', node.spawn({
    handleCast: (m) => {
      const { name, at } = m as { name: string; at: number }
      const seen = acks.get(name) ?? []
      seen.push(at)
      acks.set(name, seen)
      if (seen.length === 7) waiters.get(name)?.(seen)
    },
  }))
  await new Promise((r) => setTimeout(r, 200))
  const visibility: number[] = []
  const ratio: number[] = []
  const fanout: number[] = []
  const fanoutRatio: number[] = []
  const hubRatio: number[] = []
  const probe = node.spawn({})
  for (let round = 1; round <= rounds; round++) {
    const rtts: number[] = []
    for (let k = 0; k < 50; k++) {
      for (let i = 1; i <= 7; i++) {
        const t = performance.now()
        await node.call(`echo:m${i}`, SMALL)
        rtts.push(performance.now() - t)
      }
    }
    const times: number[] = []
    for (let k = 0; k < 20; k++) {
      const name = `probe:${round}:${k}`
      const all = new Promise<number[]>((resolve) => waiters.set(name, resolve))
      const t = performance.timeOrigin + performance.now()
      node.register(name, probe)
      const seen = await all
      times.push(Math.max(...seen) - t)
    }
    // The floor: a cast to each of the 7 nodes, seen by all, on the same clock and acks.
    const fanTimes: number[] = []
    for (let k = 0; k < 20; k++) {
      const name = `fan:${round}:${k}`
      const all = new Promise<number[]>((resolve) => waiters.set(name, resolve))
      const t = performance.timeOrigin + performance.now()
      for (let i = 1; i <= 7; i++) node.cast(`fanout:m${i}`, { name })
      const seen = await all
      fanTimes.push(Math.max(...seen) - t)
    }
    const rtt = median(rtts)
    visibility.push(median(times))
    ratio.push(median(times) / rtt)
    fanout.push(median(fanTimes))
    fanoutRatio.push(median(times) / median(fanTimes))
    const before = hubBytes
    const payload = { data: 'x'.repeat(1024) }
    let payloadBytes = 0
    for (let k = 0; k < 100; k++) {
      for (let i = 1; i <= 7; i++) {
        await node.call(`echo:m${i}`, payload)
        payloadBytes += 2 * 1024
      }
    }
    hubRatio.push((hubBytes - before) / payloadBytes)
    log(`mesh round ${round}/${rounds}: visible on 7 nodes in ${median(times).toFixed(2)} ms, RTT ${rtt.toFixed(2)} ms`)
  }
  await node.close()
  await Promise.all(children.map((c) => c.stop()))
  await hub.close()
  return [
    { name: '5. register → visible on all 7 other nodes', unit: 'ms', rounds: visibility },
    { name: '5. register visibility / call RTT', unit: '×', rounds: ratio, target: '<= 2' },
    { name: '5. cast to each of 7 nodes → seen on all', unit: 'ms', rounds: fanout },
    { name: '5. register visibility / cast fan-out', unit: '×', rounds: fanoutRatio, note: 'register / the same fan-out as plain casts' },
    { name: '8. hub bytes per payload byte once linked', unit: 'B/B', rounds: hubRatio, target: '<= 0' },
  ]
}
