/**
 * Browser benchmark (item 7): call round trips from a Chromium tab, to another tab and to
 * a Node node, each as a ratio against a raw simple-peer echo over the same pair, measured
 * in the same round:
 *
 * - tab ↔ tab: two tabs (each in its own browser context) join a cluster through a real
 *   hub with `connect` from distribunator/browser; tab A calls `echo:<B>`. Raw: a
 *   simple-peer link between the same two tabs (the prebundled simple-peer the library
 *   uses), tab B echoing every message.
 * - tab ↔ Node: a Node node in a child process (bench/peer-child.ts `mesh-raw`) joins the
 *   same cluster; tab A calls its `echo:<id>`. Raw: a Node simple-peer over node-datachannel
 *   in the same child process echoing every message.
 *
 * Round trips are timed inside the page with performance.now(). The page (bench/browser/)
 * is built with Vite into node_modules/.cache/ at every run, importing
 * `distribunator/browser` through the same alias as the demo, and served by Vite's preview
 * server with cross-origin isolation headers, which give performance.now() its fine
 * resolution (5 µs instead of 100 µs).
 * Raw signals go through this process: page.exposeFunction out of a tab, page.evaluate
 * into the other tab, IPC to and from the Node child.
 *
 * Chromium: $CHROMIUM_PATH, else /usr/bin/chromium, with the end-to-end tests' launch
 * arguments (playwright.config.ts). Without it the item is skipped.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type Browser, type BrowserContext, chromium, type Page } from '@playwright/test'
import type Peer from 'simple-peer'
import { build, type BuildOptions, type InlineConfig, type PreviewServer, preview } from 'vite'
import playwrightConfig from '../playwright.config.js'
import { createHub, type Hub } from '../src/server/index.js'
import type {} from './browser/page.js'
import { type Child, startChild } from './children.js'
import { type Figure, percentile, Rounds } from './stats.js'
import { LOOPBACK_BUDGET } from '../test/support/loopback-budget.js'
import { within } from '../test/support/eventually.js'

export interface BrowserBenchOptions {
  readonly rounds: number
  readonly rttSamples: number
  /** Unrecorded round trips first, so the JIT has settled (pairs of raw + call). */
  readonly warmUp: number
}

const pageDir = fileURLToPath(new URL('./browser', import.meta.url))
const outDir = fileURLToPath(new URL('../node_modules/.cache/distribunator-bench/browser', import.meta.url))
const browserEntry = fileURLToPath(new URL('../src/browser/index.ts', import.meta.url))

/** The Chromium the end-to-end tests use and its launch arguments. */
function launchOptions(): { executablePath: string; args: string[] } {
  const configured = playwrightConfig.use?.launchOptions
  return {
    executablePath: configured?.executablePath ?? (process.env.CHROMIUM_PATH || '/usr/bin/chromium'),
    args: configured?.args ?? ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  }
}

/** Where Chromium should be, when it is not there; undefined when it is. */
export function missingChromium(): string | undefined {
  const { executablePath } = launchOptions()
  return existsSync(executablePath) ? undefined : executablePath
}

export { within }

/** Vite's config for a bench page in `root`, built into `outDir`, with `distribunator/browser` from the sources. */
export function pageConfig(root: string, outDir: string, build: BuildOptions = {}): InlineConfig {
  return {
    configFile: false,
    root,
    base: './',
    logLevel: 'warn',
    resolve: { alias: { 'distribunator/browser': browserEntry } },
    build: { outDir, emptyOutDir: true, reportCompressedSize: false, ...build },
  }
}

/** Builds the page and serves it on a free port; its URL and the server. */
function buildAndServePage(): Promise<{ url: string; server: PreviewServer }> {
  return servePage(pageConfig(pageDir, outDir))
}

/**
 * Builds a page with Vite (`config`: an inline config, `configFile: false`) and serves it
 * on a free port with cross-origin isolation (performance.now() in 5 µs steps, not 100 µs).
 */
export async function servePage(config: InlineConfig): Promise<{ url: string; server: PreviewServer }> {
  await build(config)
  const server = await preview({
    ...config,
    preview: {
      host: '127.0.0.1',
      port: 0,
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    },
  })
  const url = server.resolvedUrls?.local[0]
  if (url === undefined) {
    await server.close()
    throw new Error('the page server has no local URL')
  }
  return { url, server }
}

interface Tab {
  readonly id: string
  readonly context: BrowserContext
  readonly page: Page
  readonly errors: string[]
}

async function openTab(browser: Browser, site: string, id: string, relay: (label: string, data: unknown) => Promise<void>): Promise<Tab> {
  const context = await browser.newContext()
  const page = await context.newPage()
  const tab: Tab = { id, context, page, errors: [] }
  page.on('console', (message) => {
    if (message.type() === 'error') tab.errors.push(message.text())
  })
  page.on('pageerror', (error) => tab.errors.push(`uncaught: ${error.message}`))
  await page.exposeFunction('__benchSignal', relay)
  await page.goto(new URL('index.html', site).href)
  await page.waitForFunction(() => window.__bench !== undefined, undefined, { timeout: 20_000 })
  return tab
}

/** Waits until `tab` is linked to `node` and sees a pid under `name`. */
async function waitSees(tab: Tab, node: string, name: string): Promise<void> {
  await tab.page.waitForFunction(([node, name]) => window.__bench!.sees(node, name), [node, name] as const, { timeout: 30_000, polling: 20 })
}

function pairedRtt(tab: Tab, label: string, name: string, samples: number, warmUp: number): Promise<{ raw: number[]; ours: number[] }> {
  return within(
    tab.page.evaluate(([label, name, samples, warmUp]) => window.__bench!.pairedRtt(label, name, samples, warmUp), [label, name, samples, warmUp] as const),
    60_000 + (samples + warmUp) * 100,
    `${tab.id}: raw echoes over ${label} and calls to ${name}`,
  )
}

function rawSignal(tab: Tab, label: string, data: unknown): Promise<void> {
  return tab.page.evaluate(([label, data]) => window.__bench!.rawSignal(label, data), [label, data] as const)
}

/** What went wrong in the tabs, to add to an error. */
async function pageErrors(tabs: readonly Tab[]): Promise<string> {
  const lines: string[] = []
  for (const tab of tabs) {
    const inPage = await tab.page.evaluate(() => window.__bench?.errors() ?? []).catch(() => [])
    for (const e of [...tab.errors, ...inPage]) lines.push(`${tab.id}: ${e}`)
  }
  return lines.length === 0 ? '' : `\n${lines.join('\n')}`
}

export async function runBrowserBench(options: BrowserBenchOptions, log: (line: string) => void): Promise<Figure[]> {
  const { rounds, rttSamples, warmUp } = options
  const acc = new Rounds()
  const push = (key: string, value: number): void => acc.push(key, value)
  const { executablePath, args } = launchOptions()

  log('building the browser bench page with Vite')
  let hub: Hub | undefined
  let site: { url: string; server: PreviewServer } | undefined
  let browser: Browser | undefined
  const children: Child[] = []
  const tabs: Tab[] = []
  try {
    hub = await createHub({ port: 0, ...LOOPBACK_BUDGET, logger: { info() {}, warn() {}, error: console.error } })
    site = await buildAndServePage()
    browser = await chromium.launch({ executablePath, args, headless: true })
    const cluster = `browser-bench-${Date.now().toString(36)}`
    const [aId, bId, nodeId] = ['tab-a', 'tab-b', 'node-n']

    // Raw links: tab-a ↔ tab-b (label `tab`), tab-a ↔ a Node child (label `node`).
    let rawChild: Child | undefined
    const tabsById = new Map<string, Tab>()
    const relayFrom =
      (from: string) =>
      async (label: string, data: unknown): Promise<void> => {
        if (label === 'node') {
          if (rawChild?.process.connected) rawChild.process.send({ type: 'signal', data })
        } else {
          const to = tabsById.get(from === aId ? bId : aId)
          if (to) await rawSignal(to, label, data).catch(() => {})
        }
      }
    const a = await openTab(browser, site.url, aId, relayFrom(aId))
    const b = await openTab(browser, site.url, bId, relayFrom(bId))
    tabs.push(a, b)
    tabsById.set(aId, a).set(bId, b)
    if (!(await a.page.evaluate(() => window.crossOriginIsolated))) log('warning: the page is not cross-origin isolated; performance.now() has 100 µs steps')

    log('linking two tabs and a Node node, over the hub and raw')
    try {
      const bOpen = b.page.evaluate(() => window.__bench!.rawOpen('tab', false, true))
      await within(Promise.all([a.page.evaluate(() => window.__bench!.rawOpen('tab', true, false)), bOpen]), 30_000, 'raw link tab ↔ tab')
      // the Node end: the node and, in the same process, the raw echo it is measured against
      // (two far processes on 2 cores do not answer alike; see bench/peer-child.ts, `pair`)
      const far = startChild('mesh-raw', hub.url, cluster, nodeId)
      children.push(far)
      rawChild = far
      far.process.on('message', (m: { type?: string; data?: Peer.SignalData }) => {
        if (m.type === 'signal') void rawSignal(a, 'node', m.data).catch(() => {})
      })
      await within(far.ready, 30_000, 'the Node node joining')
      await within(a.page.evaluate(() => window.__bench!.rawOpen('node', true, false)), 30_000, 'raw link tab ↔ Node')

      const join = (tab: Tab): Promise<void> =>
        within(
          tab.page.evaluate(([hub, cluster, id]) => window.__bench!.join(hub, cluster, id), [hub!.url, cluster, tab.id] as const),
          30_000,
          `${tab.id} joining`,
        )
      await join(a)
      await join(b)
      await waitSees(a, bId, `echo:${bId}`)
      await waitSees(a, nodeId, `echo:${nodeId}`)

      // warm-up: the page's and the far ends' JIT, and the links' first messages
      await pairedRtt(a, 'tab', `echo:${bId}`, 0, warmUp)
      await pairedRtt(a, 'node', `echo:${nodeId}`, 0, warmUp)

      for (let round = 1; round <= rounds; round++) {
        log(`round ${round}/${rounds}: tab ↔ tab and tab ↔ Node call round trips`)
        for (const [key, label, name] of [
          ['tab', 'tab', `echo:${bId}`],
          ['node', 'node', `echo:${nodeId}`],
        ] as const) {
          const { raw: r, ours: o } = await pairedRtt(a, label, name, rttSamples, 0)
          push(`${key}.raw.p50`, percentile(r, 50))
          push(`${key}.ours.p50`, percentile(o, 50))
          push(`${key}.ratio.p50`, percentile(o, 50) / percentile(r, 50))
          push(`${key}.ratio.p99`, percentile(o, 99) / percentile(r, 99))
        }
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      throw new Error(`${message}${await pageErrors(tabs)}`)
    }
    await Promise.all(tabs.map((tab) => tab.page.evaluate(() => window.__bench!.close()).catch(() => {})))
  } finally {
    await Promise.all(tabs.map((tab) => tab.context.close().catch(() => {})))
    await browser?.close().catch(() => {})
    await Promise.all(children.map((child) => child.stop()))
    await site?.server.close()
    await hub?.close()
  }

  const f = (name: string, unit: string, key: string, extra: Partial<Figure> = {}): Figure => acc.figure(name, unit, key, extra)
  return [
    f('7. tab ↔ tab call RTT p50, raw simple-peer echo', 'ms', 'tab.raw.p50'),
    f('7. tab ↔ tab call RTT p50, distribunator call', 'ms', 'tab.ours.p50'),
    f('7. tab ↔ tab call RTT p50 ratio', '×', 'tab.ratio.p50', { note: 'ours / raw', target: '<= 1.15' }),
    f('7. tab ↔ tab call RTT p99 ratio', '×', 'tab.ratio.p99', { note: 'ours / raw', target: '<= 1.15' }),
    f('7. tab ↔ Node call RTT p50, raw simple-peer echo', 'ms', 'node.raw.p50'),
    f('7. tab ↔ Node call RTT p50, distribunator call', 'ms', 'node.ours.p50'),
    f('7. tab ↔ Node call RTT p50 ratio', '×', 'node.ratio.p50', { note: 'ours / raw', target: '<= 1.15' }),
    f('7. tab ↔ Node call RTT p99 ratio', '×', 'node.ratio.p99', { note: 'ours / raw', target: '<= 1.15' }),
  ]
}
