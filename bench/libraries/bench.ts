/**
 * Item 10: this library, PeerJS, trystero and a raw RTCPeerConnection, tab to tab in
 * Chromium, the same harness for each (bench/libraries/page.ts) and each library used
 * the way its documentation shows (bench/libraries/{ours,peerjs,trystero,raw}.ts). Every
 * library gets its own local server and no ICE servers: nothing leaves the machine.
 *
 * A round measures each library in turn, the order rotating from round to round; for
 * each library, in fresh tabs (each in its own browser context):
 *
 * 1. two tabs started together (each waits for one moment, epoch ms, that the bench hands
 *    both), timed from that moment until each tab has had the other's answer to a first
 *    request: a first message has crossed both ways, each way as a request and its answer.
 *    This library also until the link is direct (it answers over the hub's relay first
 *    and moves the link onto WebRTC in the background);
 * 4. a 10 MB Uint8Array from A to B as one request answered with its length, twice (the
 *    first and the second on the link); this library's link direct first;
 * 3. 20,000 one-way messages of about 50 B, until B has counted them all;
 * 2. request/response round trips, each paired with one over a raw data channel between
 *    the same two tabs (pairs alternate, after unrecorded warm-up pairs);
 * 6. five tabs form a mesh (untimed; this library's until their links are direct, the
 *    state the others' members are in once they answer), then a sixth is started and
 *    timed until each of the five has answered it; this library also with
 *    `maxDirectLinks: 0` everywhere (the relay alone, no WebRTC started in the background);
 * 5. six fresh tabs started together the same way, timed from that moment until every
 *    tab has an answer from each of the five others: all 30 ordered pairs have exchanged a
 *    first message (on one clock: epoch ms with performance.now()'s resolution).
 *
 * What counts as a first message is what an app waits for: for this library, the other
 * tab's registered name seen (a `join` event, as `whereis` would find it) and then a call
 * to it answered; for the others, a peer's data channel open (PeerJS's `open`, trystero's
 * `onPeerJoin`, raw's `open`) and then a request over it answered, the first data-channel
 * message each way.
 *
 * Ratios are to raw in the same round (round trips: to the paired raw channel).
 * BENCH_TAB_PROF=<steps> records CPU profiles of the tabs (bench/libraries/profile.ts);
 * BENCH_TIMELINE=connect,mesh (also newcomer, newcomer-relay) logs, tab by tab, when each step toward each peer happened
 * (this library: `connect()` resolved, link up over the relay, name seen, first answer,
 * link direct), in ms from the shared start.
 * BENCH_STEPS=connect (any of connect, pair, newcomer, mesh; default all) makes only those
 * steps, for probing one over many rounds: `pair` is items 2–4 after the connect.
 */
import { type Browser, chromium, type Page } from '@playwright/test'
import type { PreviewServer } from 'vite'
import playwrightConfig from '../../playwright.config.js'
import { pageConfig, servePage, within } from '../browser-bench.js'
import { type Figure, percentile } from '../stats.js'
import type { Servers } from './adapter.js'
import { LIBRARIES, type Library, libraryFigures, type Row } from './figures.js'
import type { Joined, Timeline } from './page.js'
import { profiled } from './profile.js'
import { startServers } from './servers-control.js'

export interface LibrariesBenchOptions {
  readonly rounds: number
  readonly rttSamples: number
  /** Unrecorded round-trip pairs first, so the JIT has settled. */
  readonly warmUp: number
  readonly burst: number
  readonly bulkBytes: number
  /** The libraries to measure (default all; raw is needed for the ratios). */
  readonly libraries?: readonly Library[]
}

const pageDir = new URL('.', import.meta.url).pathname
const outDir = new URL('../../node_modules/.cache/distribunator-bench/libraries', import.meta.url).pathname
const MESH = 6
/** How far ahead of now the bench sets the moment tabs start together, ms: time enough for every tab to be told. */
const START_LEAD_MS = 300
/** The steps whose timeline is logged (BENCH_TIMELINE=connect,mesh). */
const timelineSteps = new Set((process.env.BENCH_TIMELINE ?? '').split(',').filter(Boolean))
/** The steps a round makes (BENCH_STEPS=connect,pair,newcomer,mesh); all when unset. */
const STEPS = ['connect', 'pair', 'newcomer', 'mesh'] as const
const onlySteps = new Set((process.env.BENCH_STEPS ?? '').split(',').filter(Boolean))
for (const step of onlySteps) if (!(STEPS as readonly string[]).includes(step)) throw new Error(`BENCH_STEPS: no step "${step}" (the steps: ${STEPS.join(', ')})`)
const wanted = (step: (typeof STEPS)[number]): boolean => onlySteps.size === 0 || onlySteps.has(step)

// unminified, so the tabs' CPU profiles read
const config = pageConfig(pageDir, outDir, { target: 'es2022', chunkSizeWarningLimit: 2000, minify: false })

/** Builds the page and serves it with cross-origin isolation (performance.now() in 5 µs steps, not 100 µs). */
function buildAndServePage(): Promise<{ url: string; server: PreviewServer }> {
  return servePage(config)
}

interface Tab {
  readonly page: Page
  readonly errors: string[]
}

class Harness {
  readonly values: Record<string, Partial<Record<Row, number[]>>> = {}
  readonly paired: Record<string, Partial<Record<Row, number[]>>> = {}

  constructor(
    private readonly tabs: readonly Tab[],
    private readonly site: string,
    private readonly servers: Servers,
    private readonly options: LibrariesBenchOptions,
    private readonly log: (line: string) => void,
  ) {}

  push(item: string, row: Row, value: number, into = this.values): void {
    ;((into[item] ??= {})[row] ??= []).push(value)
  }

  /** Loads the page for `lib` in the first `count` tabs, ending whatever ran there. */
  /**
   * The first `count` tabs, loaded fresh with `lib`. The other tabs are emptied: a step
   * before may have left a mesh open in them (six tabs of PeerJS or trystero, their
   * connections and timers), which took CPU from the next library's step; the next pair
   * of this library measured 84-91 ms to connect beside trystero's leftovers, 30-38 ms alone.
   */
  async load(lib: Library, count: number): Promise<Tab[]> {
    const tabs = this.tabs.slice(0, count)
    await Promise.all(
      this.tabs.map(async (tab, i) => {
        await within(tab.page.evaluate(() => window.__libs?.close()), 5_000, 'closing a tab').catch(() => {})
        if (i >= count) {
          if (tab.page.url() !== 'about:blank') await tab.page.goto('about:blank')
          return
        }
        await tab.page.goto(new URL(`index.html?lib=${lib}${timelineSteps.size > 0 ? '&timeline' : ''}`, this.site).href)
        await tab.page.waitForFunction(() => window.__libs !== undefined, undefined, { timeout: 20_000 })
      }),
    )
    return tabs
  }

  async errors(): Promise<string> {
    const lines: string[] = []
    for (const [i, tab] of this.tabs.entries()) {
      const inPage = await tab.page.evaluate(() => window.__libs?.errors() ?? []).catch(() => [])
      for (const e of [...tab.errors.splice(0), ...inPage]) lines.push(`tab ${i}: ${e}`)
    }
    return lines.length === 0 ? '' : `\n${lines.slice(0, 40).join('\n')}`
  }

  /** What each tab has heard so far in its last step: the peers it could send to and those that answered. */
  async progress(): Promise<string> {
    const lines: string[] = []
    for (const [i, tab] of this.tabs.entries()) {
      const t = await within(tab.page.evaluate(() => window.__libs?.timeline()), 5_000, 'a timeline').catch(() => undefined)
      if (t === undefined) continue
      const peers = Object.entries(t.first)
      const answered = peers.filter(([, mark]) => mark.answered !== undefined).map(([peer]) => peer)
      lines.push(`tab ${i}: could send to ${peers.map(([peer]) => peer).join(', ') || 'none'}; answered by ${answered.join(', ') || 'none'}`)
    }
    return lines.length === 0 ? '' : `\n${lines.join('\n')}`
  }

  /** Starts the library in `tab` (at the epoch ms `at` when given) and waits for answers from `expect` peers. */
  join(tab: Tab, id: string, room: string, dial: string[], expect: number, maxDirectLinks?: number, at?: number): Promise<Joined> {
    const servers = this.servers
    const options = { id, room, dial, servers, expect, ...(maxDirectLinks === undefined ? {} : { maxDirectLinks }), ...(at === undefined ? {} : { at }) }
    return within(
      tab.page.evaluate((o) => window.__libs!.join(o), options),
      60_000,
      `${id} joining ${room} and hearing from ${expect}`,
    )
  }

  directAt(tab: Tab, peers: string[]): Promise<number> {
    return within(
      tab.page.evaluate((peers) => window.__libs!.directAt(peers), peers),
      60_000,
      'links going direct',
    )
  }

  /**
   * Starts `lib` in every tab of `tabs` at one moment, each waiting for answers from all
   * the others; that moment (epoch ms), the ids and what each tab reports. A start that
   * does not complete (once in a dozen or so PeerJS meshes a tab never heard from all
   * five) is told and made once more in freshly loaded tabs, under new ids.
   */
  async together(step: string, lib: Library, tabs: readonly Tab[], names: readonly string[], room: string): Promise<{ at: number; ids: string[]; joined: Joined[] }> {
    for (let attempt = 1; ; attempt++) {
      const ids = names.map((id) => (attempt === 1 ? id : `${id}-${attempt}`))
      // the PeerJS tabs connect to the ids before theirs (it has no discovery)
      const dial = (i: number): string[] => (lib === 'peerjs' ? ids.slice(0, i) : [])
      const at = Date.now() + START_LEAD_MS
      const pages = tabs.map((tab) => tab.page)
      try {
        const joined = await profiled(step, lib, pages, () => Promise.all(tabs.map((tab, i) => this.join(tab, ids[i]!, `${room}-${attempt}`, dial(i), tabs.length - 1, undefined, at))), this.log)
        const late = Math.max(...joined.map((j) => j.startedAt - at))
        if (late > 25) this.log(`${lib} ${step}: a tab started ${late.toFixed(0)} ms after the shared moment (its timer fired late)`)
        return { at, ids, joined }
      } catch (error) {
        if (attempt === 2) throw error
        const message = error instanceof Error ? error.message : String(error)
        this.log(`${lib} ${step}: ${message}${await this.errors()}${await this.progress()}\n(once more, in fresh tabs)`)
        await this.load(lib, tabs.length)
      }
    }
  }

  /** With BENCH_TIMELINE naming `step`: each tab's steps toward each peer, in ms from `at`. */
  async timeline(step: string, lib: Library, tabs: readonly Tab[], ids: readonly string[], joined: readonly Joined[], at: number): Promise<void> {
    if (!timelineSteps.has(step)) return
    const ms = (t: number | undefined): string => (t === undefined ? '–' : `+${(t - at).toFixed(0)}`)
    const span = (values: Array<number | undefined>): string => {
      const known = values.filter((v): v is number => v !== undefined)
      return known.length === 0 ? '–' : `${ms(Math.min(...known))}..${ms(Math.max(...known))}`
    }
    // a peer's id as its tab's index (trystero's ids are its own)
    const name = (peer: string): string => {
      const i = joined.findIndex((j) => j.id === peer)
      return i === -1 ? peer : `t${i}`
    }
    for (const [i, tab] of tabs.entries()) {
      const t: Timeline = await tab.page.evaluate(() => window.__libs!.timeline())
      const peers = Object.keys(t.first)
      const link = peers.map((p) => t.peers[p]?.link)
      const direct = peers.map((p) => t.peers[p]?.direct)
      const seen = peers.map((p) => t.first[p]?.seen)
      const answered = peers.map((p) => t.first[p]?.answered)
      const ours = lib === 'ours'
      const connected = t.connected === undefined ? '' : `, connect() resolved ${ms(t.connected)}`
      this.log(
        `${lib} ${step} t${i} (${ids[i]}): started ${ms(t.startedAt)}${connected}${ours ? `, links up ${span(link)}` : ''}, ` +
          `peers seen ${span(seen)}, answered ${span(answered)}${ours ? `, direct ${span(direct)}` : ''} ms`,
      )
      for (const p of peers) {
        const marks = t.peers[p]
        const up = ours ? `link ${ms(marks?.link)}, ` : ''
        const moved = ours ? `, direct ${ms(marks?.direct)}` : ''
        this.log(`  → ${name(p)}: ${up}seen ${ms(t.first[p]?.seen)}, answered ${ms(t.first[p]?.answered)}${moved}`)
      }
      // the library's own log, its member ids as tab indexes
      for (const [when, line] of t.log ?? []) this.log(`  ${ms(when).padStart(6)} ${ids.reduce((text, id, j) => text.replaceAll(id, `t${j}`), line)}`)
    }
  }

  /** Two tabs of `lib` started together, as in item 1, not recorded. */
  async warmUp(lib: Library, tag: string): Promise<void> {
    const tabs = await this.load(lib, 2)
    await this.together('warm-up', lib, tabs, [`${tag}-a`, `${tag}-b`], `warm-${tag}`)
  }

  /** Items 1–4 on two tabs. */
  async pair(lib: Library, tag: string): Promise<void> {
    const { rttSamples, warmUp, burst, bulkBytes } = this.options
    const [a, b] = (await this.load(lib, 2)) as [Tab, Tab]
    const { at, ids, joined } = await this.together('connect', lib, [a, b], [`${tag}-a`, `${tag}-b`], `pair-${tag}`)
    const [aJoined, bJoined] = joined as [Joined, Joined]
    this.push('connect', lib, Math.max(aJoined.answeredAt, bJoined.answeredAt) - at)
    if (lib === 'ours') this.push('connect', 'ours-direct', Math.max(await this.directAt(a, [bJoined.id]), await this.directAt(b, [aJoined.id])) - at)
    await this.timeline('connect', lib, [a, b], ids, joined, at)
    if (!wanted('pair')) return
    const servers = this.servers
    await b.page.evaluate((o) => window.__libs!.joinRef(o), { id: `${tag}-ref-b`, room: `ref-${tag}`, servers, expect: 0 })
    const [refB] = await a.page.evaluate((o) => window.__libs!.joinRef(o), { id: `${tag}-ref-a`, room: `ref-${tag}`, servers, expect: 1 })
    const peer = bJoined.id
    const both = [a.page, b.page]
    for (const key of ['bulk1', 'bulk2']) {
      const ms = await profiled(key, lib, both, () => within(a.page.evaluate(([peer, bytes]) => window.__libs!.bulk(peer, bytes), [peer, bulkBytes] as const), 60_000, `${lib}: ${key}`), this.log)
      this.push(key, lib, bulkBytes / 1e6 / (ms / 1000))
    }
    const rate = await profiled('burst', lib, both, () => within(a.page.evaluate(([peer, n]) => window.__libs!.burst(peer, n), [peer, burst] as const), 120_000, `${lib}: burst`), this.log)
    this.push('burst', lib, rate)
    const { raw, lib: times } = await profiled(
      'rtt',
      lib,
      both,
      () =>
        within(
          a.page.evaluate(([peer, ref, n, w]) => window.__libs!.pairedRtt(peer, ref, n, w), [peer, refB!, rttSamples, warmUp] as const),
          60_000 + (rttSamples + warmUp) * 20,
          `${lib}: round trips`,
        ),
      this.log,
    )
    for (const [key, p] of [
      ['rtt50', 50],
      ['rtt99', 99],
    ] as const) {
      this.push(key, lib, percentile(times, p))
      this.push(key, lib, percentile(times, p) / percentile(raw, p), this.paired)
    }
  }

  /**
   * Item 6: five tabs form a mesh (untimed), then the sixth is timed until each of the five
   * has answered it. `relayOnly`: this library with `maxDirectLinks: 0` everywhere. A
   * step that does not complete (now and then the raw pages' members: a pair whose channel
   * opened and one request never answered; trystero's newcomer: a member never heard from)
   * is told and made once more in fresh tabs, under new ids, as `together` does.
   */
  async newcomer(lib: Library, tag: string, relayOnly = false): Promise<void> {
    const tabs = await this.load(lib, MESH)
    const members = tabs.slice(0, MESH - 1)
    const budget = relayOnly ? 0 : undefined
    const step = relayOnly ? 'newcomer-relay' : 'newcomer'
    const last = tabs[MESH - 1]!
    let joined: Joined
    let ids: string[]
    for (let attempt = 1; ; attempt++) {
      const suffix = attempt === 1 ? '' : `-${attempt}`
      ids = members.map((_, i) => `${tag}-m${i}${suffix}`)
      const room = `newcomer-${tag}${suffix}`
      const newId = `${tag}-new${suffix}`
      try {
        const formed = await Promise.all(members.map((tab, i) => this.join(tab, ids[i]!, room, lib === 'peerjs' ? ids.slice(0, i) : [], MESH - 2, budget)))
        // a room that has formed: the other libraries' members answer once their channels are
        // open; this library's answer over the relay first, so wait for their links to be direct
        if (lib === 'ours' && !relayOnly) await Promise.all(members.map((tab, i) => this.directAt(tab, formed[i]!.peers)))
        joined = await profiled(step, lib, tabs.map((tab) => tab.page), () => this.join(last, newId, room, lib === 'peerjs' ? ids : [], MESH - 1, budget), this.log)
        ids = [newId, ...ids]
        break
      } catch (error) {
        if (attempt === 2) throw error
        const message = error instanceof Error ? error.message : String(error)
        this.log(`${lib} ${step}: ${message}${await this.errors()}${await this.progress()}\n(once more, in fresh tabs)`)
        await this.load(lib, MESH)
      }
    }
    this.push('newcomer', relayOnly ? 'ours-relay' : lib, joined.answeredAt - joined.startedAt)
    // the newcomer's own timeline: t0 is the newcomer, t1–t5 the members
    await this.timeline(step, lib, [last], ids, [joined], joined.startedAt)
    if (lib === 'ours' && !relayOnly) this.push('newcomer', 'ours-direct', (await this.directAt(last, joined.peers)) - joined.startedAt)
  }

  /** Item 5: six fresh tabs started together. */
  async mesh(lib: Library, tag: string): Promise<void> {
    const tabs = await this.load(lib, MESH)
    const names = tabs.map((_, i) => `${tag}-t${i}`)
    const { at, ids, joined } = await this.together('mesh', lib, tabs, names, `mesh-${tag}`)
    this.push('mesh', lib, Math.max(...joined.map((j) => j.answeredAt)) - at)
    if (lib === 'ours') {
      const direct = await Promise.all(tabs.map((tab, i) => this.directAt(tab, joined[i]!.peers)))
      this.push('mesh', 'ours-direct', Math.max(...direct) - at)
    }
    await this.timeline('mesh', lib, tabs, ids, joined, at)
  }
}

export async function runLibrariesBench(options: LibrariesBenchOptions, log: (line: string) => void): Promise<Figure[]> {
  const configured = playwrightConfig.use?.launchOptions
  const executablePath = configured?.executablePath ?? (process.env.CHROMIUM_PATH || '/usr/bin/chromium')
  const args = configured?.args ?? []
  let servers: Awaited<ReturnType<typeof startServers>> | undefined
  let site: { url: string; server: PreviewServer } | undefined
  let browser: Browser | undefined
  try {
    log('10. starting the hub, the PeerJS server, the MQTT broker and the raw relay; building the page')
    servers = await startServers()
    site = await buildAndServePage()
    browser = await chromium.launch({ executablePath, args, headless: true })
    const tabs: Tab[] = []
    for (let i = 0; i < MESH; i++) {
      const page = await (await browser.newContext()).newPage()
      const tab: Tab = { page, errors: [] }
      page.on('pageerror', (error) => tab.errors.push(`uncaught: ${error.message}`))
      tabs.push(tab)
    }
    const harness = new Harness(tabs, site.url, servers.servers, options, log)
    const stamp = Date.now().toString(36)
    const libraries = options.libraries ?? LIBRARIES
    // the servers and Chromium answer a first connection slowly (a hub just started took
    // 0.5 s to open the first WebSocket): one connect of each library, not recorded, first
    log('10. warming up: two tabs of each library connect once, not recorded')
    for (const lib of libraries) await harness.warmUp(lib, `${lib}-warm-${stamp}`)
    for (let round = 1; round <= options.rounds; round++) {
      const order = libraries.map((_, i) => libraries[(i + round - 1) % libraries.length]!)
      for (const lib of order) {
        log(`round ${round}/${options.rounds}: ${lib}`)
        const tag = `${lib}-${round}-${stamp}`
        try {
          if (wanted('connect') || wanted('pair')) await harness.pair(lib, tag)
          if (wanted('newcomer')) await harness.newcomer(lib, tag)
          if (wanted('newcomer') && lib === 'ours') await harness.newcomer(lib, `${tag}-relay`, true)
          if (wanted('mesh')) await harness.mesh(lib, tag)
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error)
          throw new Error(`${lib}, round ${round}: ${message}${await harness.errors()}${await harness.progress()}`)
        }
      }
    }
    await Promise.all(tabs.map((tab) => within(tab.page.evaluate(() => window.__libs?.close()), 5_000, 'closing').catch(() => {})))
    return libraryFigures(harness.values, harness.paired)
  } finally {
    await browser?.close().catch(() => {})
    await site?.server.close()
    await servers?.stop()
  }
}
