/**
 * The page of the library comparison (bench/libraries/bench.ts): one page, the library
 * chosen by `?lib=` (`ours`, `peerjs`, `trystero`, `raw`) and loaded on its own, so a tab
 * runs only that library's code. Every measurement is the same code for every library
 * and is timed here, with performance.now(); moments that tabs compare are epoch
 * milliseconds (`epochNow`). A second raw member (`ref`) gives each tab a raw data
 * channel to pair round trips with.
 */
import { SMALL } from '../paired-rtt.js'
import { epochNow, type LibraryMarks, type Member, type Servers, type Start } from './adapter.js'

export type Library = 'ours' | 'peerjs' | 'trystero' | 'raw'

export interface Joined {
  /** This member's id (trystero's is its own random one). */
  readonly id: string
  /** When the library was started, epoch ms (a little after `at` when one was given: the tab's timer fires late). */
  readonly startedAt: number
  /** When the `expect`-th peer answered a first request, epoch ms. */
  readonly answeredAt: number
  readonly peers: string[]
}

/** Where a tab's time went (epoch ms), for the log of BENCH_TIMELINE (bench/libraries/bench.ts). */
export interface Timeline extends LibraryMarks {
  readonly startedAt: number
  /** By peer: when it could be sent to (this library: its registration seen) and when it answered the first request. */
  readonly first: Readonly<Record<string, { readonly seen: number; readonly answered?: number }>>
}

export interface LibrariesPage {
  /**
   * Starts the library as `id` (at the epoch ms `at` when given, the moment every tab of
   * a step shares) and requests `SMALL` from each peer as soon as it can be sent to;
   * resolves once `expect` peers have answered.
   */
  join(options: { id: string; room: string; dial: string[]; servers: Servers; expect: number; maxDirectLinks?: number; at?: number }): Promise<Joined>
  /** The moments of the last `join`'s steps in this tab. */
  timeline(): Timeline
  /** When the links to `peers` were all direct (epoch ms), waiting for it; at once for libraries that link only directly. */
  directAt(peers: string[]): Promise<number>
  /** Starts the reference raw member `id` in `room` and resolves once `expect` raw peers can be sent to; their ids. */
  joinRef(options: { id: string; room: string; servers: Servers; expect: number }): Promise<string[]>
  /** Round trips paired sample by sample, a raw request to `ref` and a library request to `peer`, alternating which goes first. Sorted ms. */
  pairedRtt(peer: string, ref: string, samples: number, warmUp: number): Promise<{ raw: number[]; lib: number[] }>
  /** `count` one-way messages of about 50 bytes to `peer`, until the far end has them all; messages/s. */
  burst(peer: string, count: number): Promise<number>
  /** A `bytes`-long Uint8Array to `peer` as one request, answered with its length; ms. */
  bulk(peer: string, bytes: number): Promise<number>
  errors(): string[]
  close(): Promise<void>
}

declare global {
  interface Window {
    __libs?: LibrariesPage
  }
}

const loaders: Record<Library, () => Promise<{ start: Start }>> = {
  ours: () => import('./ours.js'),
  peerjs: () => import('./peerjs.js'),
  trystero: () => import('./trystero.js'),
  raw: () => import('./raw.js'),
}

const seen: string[] = []
window.addEventListener('error', (event) => void seen.push(`uncaught: ${event.message}`))
window.addEventListener('unhandledrejection', (event) => void seen.push(`unhandled rejection: ${String(event.reason)}`))
const consoleError = console.error.bind(console)
console.error = (...args: unknown[]) => {
  seen.push(args.map(String).join(' '))
  consoleError(...args)
}

/** One-way messages received so far (every library's `Serve.message` counts here). */
let received = 0
const serve = {
  answer(data: unknown): unknown {
    if (data instanceof Uint8Array || data instanceof ArrayBuffer) return { bytes: data.byteLength }
    if (typeof data === 'object' && data !== null && 'count' in data) return received
    return data
  },
  message() {
    received++
  },
}

const lib = new URLSearchParams(location.search).get('lib') as Library
const { start } = await loaders[lib]()
const { start: startRaw } = lib === 'raw' ? { start } : await loaders.raw()
let member: Member | undefined
let ref: Member | undefined
/** The last `join`'s start and, by peer, when it could be sent to and when it answered. */
let startedAt = 0
let first: Record<string, { seen: number; answered?: number }> = {}

function started(): Member {
  if (member === undefined) throw new Error('the library was not started in this tab')
  return member
}

/** The first `expect` peers `m` can send to, each answered once; `marks` (when given) gets when each could be sent to and answered. */
function answers(m: Member, expect: number, marks?: Record<string, { seen: number; answered?: number }>): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const answered: string[] = []
    if (expect === 0) resolve(answered)
    m.onPeer((peer) => {
      const mark: { seen: number; answered?: number } = { seen: epochNow() }
      if (marks !== undefined) marks[peer] = mark
      m.request(peer, SMALL).then(() => {
        mark.answered = epochNow()
        answered.push(peer)
        if (answered.length === expect) resolve(answered)
      }, reject)
    })
  })
}

/** One of the burst's messages: `{"op":"set","key":"doc-42","n":12345,"v":"abcdefgh"}`, about 50 bytes as JSON. */
const burstMessage = (n: number): unknown => ({ op: 'set', key: 'doc-42', n, v: 'abcdefgh' })

const page: LibrariesPage = {
  async join({ id, room, dial, servers, expect, maxDirectLinks, at }) {
    if (at !== undefined) await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - epochNow())))
    startedAt = epochNow()
    first = {}
    member = await start({ id, room, dial, servers, serve, ...(maxDirectLinks === undefined ? {} : { maxDirectLinks }) })
    const peers = await answers(member, expect, first)
    return { id: member.id, startedAt, answeredAt: epochNow(), peers }
  },

  timeline() {
    return { startedAt, first, ...(member?.marks?.() ?? { peers: {} }) }
  },

  async directAt(peers) {
    const m = started()
    if (m.directAt === undefined) return 0
    const times = await Promise.all(peers.map((peer) => m.directAt!(peer)))
    return Math.max(...times)
  },

  async joinRef({ id, room, servers, expect }) {
    ref = await startRaw({ id, room, dial: [], servers, serve })
    return answers(ref, expect)
  },

  async pairedRtt(peer, refPeer, samples, warmUp) {
    const m = started()
    if (ref === undefined) throw new Error('no reference raw member in this tab')
    const r = ref
    const raw: number[] = []
    const lib: number[] = []
    const time = async (request: () => Promise<unknown>, into: number[], i: number): Promise<void> => {
      const t = performance.now()
      await request()
      if (i >= 0) into.push(performance.now() - t)
    }
    // pairs in the order raw, library, library, raw, ...: the second of a pair runs right
    // after the first, which on this machine makes it a little slower or faster; each kind
    // takes each place equally often
    // `k - warmUp`: a loop from `-warmUp` starts at -0 when there is no warm-up, which
    // JSON cannot carry (this library would send the first message in its rich encoding)
    for (let k = 0; k < warmUp + samples; k++) {
      const i = k - warmUp
      const rawFirst = (i & 1) === 0
      await time(rawFirst ? () => r.request(refPeer, SMALL) : () => m.request(peer, { ...SMALL, n: i }), rawFirst ? raw : lib, i)
      await time(rawFirst ? () => m.request(peer, { ...SMALL, n: i }) : () => r.request(refPeer, SMALL), rawFirst ? lib : raw, i)
    }
    const byValue = (a: number, b: number): number => a - b
    return { raw: raw.sort(byValue), lib: lib.sort(byValue) }
  },

  async burst(peer, count) {
    const m = started()
    const before = (await m.request(peer, { count: true })) as number
    const t = performance.now()
    // a send that returns a promise (trystero's) is awaited before the next: 20,000 sends
    // left in flight at once take trystero 20 times longer (each waiting send listens on
    // the channel, and each wake-up removes its listener from thousands)
    for (let i = 0; i < count; i++) {
      const sent = m.send(peer, burstMessage(i))
      if (sent !== undefined) await sent
    }
    // the far end's count, asked again until every message is in
    for (let polls = 0; ; polls++) {
      const now = (await m.request(peer, { count: true })) as number
      if (now - before === count) break
      if (now - before > count || polls > 100_000) throw new Error(`the far end counted ${now - before} of ${count} messages`)
    }
    return count / ((performance.now() - t) / 1000)
  },

  async bulk(peer, bytes) {
    const m = started()
    const value = new Uint8Array(bytes).fill(0x42)
    const t = performance.now()
    const answer = (await m.request(peer, value)) as { bytes?: number }
    const ms = performance.now() - t
    if (answer.bytes !== bytes) throw new Error(`the far end got ${String(answer.bytes)} of ${bytes} bytes`)
    return ms
  },

  errors: () => [...seen],

  async close() {
    await Promise.all([member?.close(), ref?.close()])
  },
}

window.__libs = page
