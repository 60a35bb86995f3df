/**
 * Node WebRTC implementations for simple-peer 9.11.1, compared over loopback (both peers
 * in this process, signals passed directly, no STUN):
 *
 * - node-datachannel 0.33.4 through `src/server/wrtc.ts` (what `distribunator/server` uses)
 * - @roamhq/wrtc 0.10.0 as is (a devDependency, skipped when not installed)
 *
 * Measures connect time (median and max of several, and how many took over 500 ms), echo
 * round trip of a small string (raw simple-peer, and through `channelFromPeer`), a burst of
 * small frames and a 10 MB binary frame through `channelFromPeer`.
 *
 * Run: npx tsx bench/wrtc-compare.ts            (or --quick for a smoke run)
 */
import Peer from 'simple-peer'
import { channelFromPeer } from '../src/core/webrtc/data-channel.js'
import type { Channel } from '../src/core/api/channel.js'
import { nodeWrtc } from '../src/server/wrtc.js'

const quick = process.argv.includes('--quick')
const CONNECTS = quick ? 5 : 25
const RTT_ROUNDS = quick ? 200 : 2000
const BURST = 10_000
const BULK_BYTES = 10_000_000
const REPEATS = quick ? 1 : 3
const PING = '{"v":1,"type":"call","ref":12345,"to":"<b.1>","msg":{"op":"get","key":"doc-42"}}'

type Wrtc = NonNullable<Peer.Options['wrtc']>
interface Implementation {
  readonly name: string
  readonly wrtc: Wrtc
}

async function implementations(): Promise<Implementation[]> {
  // The shim's classes are not declared as the DOM constructor types; see src/server/node-peer.ts.
  const list: Implementation[] = [{ name: 'node-datachannel + shim', wrtc: nodeWrtc as unknown as Wrtc }]
  try {
    const roam: { default: Wrtc } = await import('@roamhq/wrtc')
    list.push({ name: '@roamhq/wrtc', wrtc: roam.default })
  } catch {
    console.log('@roamhq/wrtc not installed: npm install -D @roamhq/wrtc@0.10.0 to compare')
  }
  return list
}

interface Pair {
  readonly a: Peer.Instance
  readonly b: Peer.Instance
  readonly ms: number
}

async function connect(impl: Implementation): Promise<Pair> {
  const started = performance.now()
  const options = { trickle: true, wrtc: impl.wrtc, config: { iceServers: [] } }
  const a = new Peer({ ...options, initiator: true })
  const b = new Peer({ ...options, initiator: false })
  a.on('signal', (data) => b.signal(data))
  b.on('signal', (data) => a.signal(data))
  await Promise.all([once(a, 'connect'), once(b, 'connect')])
  return { a, b, ms: performance.now() - started }
}

function once(peer: Peer.Instance, event: 'connect' | 'close'): Promise<void> {
  return new Promise((resolve, reject) => {
    peer.once(event, () => resolve())
    peer.once('error', reject)
  })
}

async function destroy(pair: Pair): Promise<void> {
  const closed = Promise.all([once(pair.a, 'close'), once(pair.b, 'close')])
  pair.a.destroy()
  pair.b.destroy()
  await closed
  for (const peer of [pair.a, pair.b]) {
    const timer: unknown = Reflect.get(peer, '_iceCompleteTimer')
    if (timer !== null && timer !== undefined) Reflect.apply(clearTimeout, undefined, [timer])
  }
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
}

function median(values: readonly number[]): number {
  return quantile([...values].sort((x, y) => x - y), 0.5)
}

/** Echo round trips; `send` sends one ping and resolves when its echo is back. */
async function roundTrips(rounds: number, send: () => Promise<void>): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < rounds; i++) {
    const started = performance.now()
    await send()
    times.push(performance.now() - started)
  }
  return times
}

function rawEcho(pair: Pair): () => Promise<void> {
  pair.b.on('data', (data: Uint8Array) => pair.b.send(data))
  let waiting: (() => void) | undefined
  pair.a.on('data', () => waiting?.())
  return () =>
    new Promise<void>((resolve) => {
      waiting = resolve
      pair.a.send(PING)
    })
}

function channelEcho(a: Channel, b: Channel): () => Promise<void> {
  b.onMessage((frame) => b.send(frame))
  let waiting: (() => void) | undefined
  a.onMessage(() => waiting?.())
  return () =>
    new Promise<void>((resolve) => {
      waiting = resolve
      a.send(PING)
    })
}

async function burst(a: Channel, b: Channel): Promise<number> {
  let received = 0
  let inOrder = true
  const started = performance.now()
  await new Promise<void>((resolve) => {
    b.onMessage((frame) => {
      if (frame !== `m${received}:${PING}`) inOrder = false
      if (++received === BURST) resolve()
    })
    for (let i = 0; i < BURST; i++) a.send(`m${i}:${PING}`)
  })
  if (!inOrder) throw new Error('burst arrived out of order')
  return BURST / ((performance.now() - started) / 1000)
}

async function bulk(a: Channel, b: Channel): Promise<number> {
  const payload = new Uint8Array(BULK_BYTES)
  for (let i = 0; i < payload.length; i += 4096) payload[i] = i & 0xff
  const started = performance.now()
  const frame = await new Promise<string | Uint8Array>((resolve) => {
    b.onMessage(resolve)
    a.send(payload)
  })
  const seconds = (performance.now() - started) / 1000
  if (!(frame instanceof Uint8Array) || frame.byteLength !== BULK_BYTES || frame[4096] !== payload[4096]) {
    throw new Error('bulk frame damaged')
  }
  return BULK_BYTES / 1e6 / seconds
}

interface Row {
  name: string
  connectMedian: number
  connectMax: number
  stalls: number
  rawP50: number
  rawP99: number
  chanP50: number
  chanP99: number
  burst: number
  bulk: number
}

async function measure(impl: Implementation): Promise<Row> {
  const connects: number[] = []
  for (let i = 0; i < CONNECTS; i++) {
    const pair = await connect(impl)
    connects.push(pair.ms)
    await destroy(pair)
  }

  const raw = await connect(impl)
  const chan = await connect(impl)
  const ca = channelFromPeer(chan.a)
  const cb = channelFromPeer(chan.b)
  const rawSend = rawEcho(raw)
  const chanSend = channelEcho(ca, cb)
  await roundTrips(100, rawSend) // warm-up
  await roundTrips(100, chanSend)
  const rawTimes: number[] = []
  const chanTimes: number[] = []
  for (let i = 0; i < 10; i++) {
    // Interleaved batches, so that both see the same machine noise.
    rawTimes.push(...(await roundTrips(RTT_ROUNDS / 10, rawSend)))
    chanTimes.push(...(await roundTrips(RTT_ROUNDS / 10, chanSend)))
  }
  rawTimes.sort((x, y) => x - y)
  chanTimes.sort((x, y) => x - y)

  const bursts: number[] = []
  const bulks: number[] = []
  for (let i = 0; i < REPEATS; i++) {
    bursts.push(await burst(ca, cb))
    bulks.push(await bulk(ca, cb))
  }
  await destroy(raw)
  await destroy(chan)

  return {
    name: impl.name,
    connectMedian: median(connects),
    connectMax: Math.max(...connects),
    stalls: connects.filter((ms) => ms > 500).length,
    rawP50: quantile(rawTimes, 0.5),
    rawP99: quantile(rawTimes, 0.99),
    chanP50: quantile(chanTimes, 0.5),
    chanP99: quantile(chanTimes, 0.99),
    burst: median(bursts),
    bulk: median(bulks),
  }
}

function printTable(rows: readonly Row[]): void {
  const header = [
    'implementation',
    `connect median (n=${CONNECTS})`,
    'connect max',
    '>500 ms',
    'RTT raw p50/p99',
    'RTT channel p50/p99',
    `burst ${BURST} msgs/s`,
    '10 MB MB/s',
  ]
  const ms = (v: number): string => `${v.toFixed(2)} ms`
  const lines = rows.map((r) => [
    r.name,
    `${r.connectMedian.toFixed(1)} ms`,
    `${r.connectMax.toFixed(0)} ms`,
    String(r.stalls),
    `${ms(r.rawP50)} / ${ms(r.rawP99)}`,
    `${ms(r.chanP50)} / ${ms(r.chanP99)}`,
    Math.round(r.burst).toLocaleString('en-US'),
    r.bulk.toFixed(1),
  ])
  console.log(`| ${header.join(' | ')} |`)
  console.log(`|${header.map(() => '---').join('|')}|`)
  for (const line of lines) console.log(`| ${line.join(' | ')} |`)
  for (const r of rows) {
    const overhead = ((r.chanP50 / r.rawP50 - 1) * 100).toFixed(1)
    console.log(`${r.name}: channelFromPeer p50 round trip ${overhead}% over raw simple-peer`)
  }
}

const rows: Row[] = []
for (const impl of await implementations()) {
  console.log(`measuring ${impl.name}…`)
  rows.push(await measure(impl))
}
printTable(rows)
// @roamhq/wrtc keeps native threads that hold the process open.
process.exit(0)
