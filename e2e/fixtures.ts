/**
 * Playwright fixtures for the end-to-end suite.
 *
 * - `site`, `hub` (one per Playwright worker): a static server for the built demo and a
 *   signaling hub, both on free ports.
 * - `cluster`: a fresh cluster name per test, so tests never see each other's nodes.
 * - `services`: starts more processes for a test (the demo's Node worker, another hub)
 *   and stops them afterwards.
 * - `tabs`: opens demo tabs, each in its own browser context, and after the test checks
 *   that no tab logged a console error or threw (unless the test allowed that error).
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type Browser, type BrowserContext, type Page, test as base, expect } from '@playwright/test'
import { type HubService, type Service, startHub, startWorker } from './services.js'
import { type StaticServer, serveStatic } from './static-server.js'

const demoDist = fileURLToPath(new URL('../demo-dist', import.meta.url))

/** One demo tab: its own browser context, one page, one node. */
export interface Tab {
  readonly id: string
  readonly page: Page
  readonly context: BrowserContext
  /** Console errors and uncaught exceptions so far. */
  readonly errors: string[]
}

export interface Tabs {
  /**
   * Opens the demo as node `id` (`tab-<id>` style names read best) and waits until it has
   * joined. `udpBlocked`: in a Chromium that cannot open WebRTC at all (no ICE candidates,
   * as behind a firewall that drops UDP), so every link of the tab runs on the hub's relay.
   */
  open(id: string, options?: { hub?: string; cluster?: string; heartbeatTimeoutMs?: number; udpBlocked?: boolean }): Promise<Tab>
  /** Console errors matching `pattern` do not fail the test (e.g. a hub that is down on purpose). */
  allowErrors(pattern: RegExp): void
}

export interface Services {
  worker(hub?: string, cluster?: string): Promise<Service>
  hub(port?: number): Promise<HubService>
}

let clusters = 0

export const test = base.extend<{ cluster: string; services: Services; tabs: Tabs }, { site: StaticServer; hub: HubService; udpBlockedBrowser: Browser }>({
  // A second Chromium whose WebRTC gathers no ICE candidates: a real "UDP blocked" network.
  udpBlockedBrowser: [
    async ({ playwright, launchOptions }, use) => {
      const browser = await playwright.chromium.launch({ ...launchOptions, args: [...(launchOptions.args ?? []), '--webrtc-ip-handling-policy=disable_non_proxied_udp'] })
      await use(browser)
      await browser.close()
    },
    { scope: 'worker' },
  ],

  site: [
    async ({}, use) => {
      if (!existsSync(`${demoDist}/index.html`)) throw new Error('demo-dist/ is missing: run `npx vite build` first (`npm test` does)')
      const site = await serveStatic(demoDist)
      await use(site)
      await site.close()
    },
    { scope: 'worker' },
  ],

  hub: [
    async ({}, use) => {
      const hub = await startHub()
      await use(hub)
      await hub.stop()
    },
    { scope: 'worker' },
  ],

  cluster: async ({}, use, testInfo) => {
    await use(`e2e-${testInfo.workerIndex}-${++clusters}-${Date.now().toString(36)}`)
  },

  services: async ({ hub, cluster }, use) => {
    const started: Service[] = []
    await use({
      async worker(hubUrl = hub.url, inCluster = cluster) {
        const service = await startWorker(hubUrl, inCluster)
        started.push(service)
        return service
      },
      async hub(port = 0) {
        const service = await startHub(port)
        started.push(service)
        return service
      },
    })
    // Tabs are closed first (the `tabs` fixture depends on this one), then these.
    await Promise.all(started.reverse().map((service) => service.stop()))
  },

  // Depends on `services` so that tabs close before the worker and hubs they talk to stop.
  tabs: async ({ browser, udpBlockedBrowser, site, hub, cluster, services: _services }, use, testInfo) => {
    const opened: Tab[] = []
    const allowed: RegExp[] = []
    await use({
      async open(id, options = {}) {
        const context = await (options.udpBlocked === true ? udpBlockedBrowser : browser).newContext()
        const page = await context.newPage()
        const tab: Tab = { id, page, context, errors: [] }
        page.on('console', (message) => {
          if (message.type() === 'error') tab.errors.push(message.text())
        })
        page.on('pageerror', (error) => tab.errors.push(`uncaught: ${error.message}`))
        opened.push(tab)
        const query = new URLSearchParams({ hub: options.hub ?? hub.url, cluster: options.cluster ?? cluster, id })
        if (options.heartbeatTimeoutMs !== undefined) query.set('heartbeat', String(options.heartbeatTimeoutMs))
        await page.goto(`${site.url}/?${query.toString()}`)
        await expect(page.locator('body'), `${id} joined the cluster`).toHaveAttribute('data-ready', 'true', { timeout: 20_000 })
        return tab
      },
      allowErrors(pattern) {
        allowed.push(pattern)
      },
    })
    await Promise.all(opened.map((tab) => tab.context.close().catch(() => {})))
    const unexpected = opened.flatMap((tab) => tab.errors.filter((e) => !allowed.some((p) => p.test(e))).map((e) => `${tab.id}: ${e}`))
    if (unexpected.length > 0 && testInfo.status === testInfo.expectedStatus) {
      throw new Error(`console errors in the demo page:\n${unexpected.join('\n')}`)
    }
  },
})

export { expect }

/**
 * This tab's registry replica, comparable across nodes: names sorted, each name's pids
 * as strings, sorted (the order of a name's members is the local join order, which
 * differs between nodes).
 */
export function registryOf(tab: Tab): Promise<Array<[string, string[]]>> {
  return tab.page.evaluate(() =>
    window.__distribunator!.node
      .registry()
      .map(([name, pids]): [string, string[]] => [name, pids.map(String).sort()])
      .sort(([a], [b]) => a.localeCompare(b)),
  )
}

/** The Node worker's registry replica, read from `tab` through the worker's `Probe.registry` rpc. */
export function workerRegistry(tab: Tab): Promise<Array<[string, string[]]>> {
  return tab.page.evaluate(async () => {
    const entries = await window.__distribunator!.node.doNodeRpc<Array<[string, unknown[]]>>('worker', 'Probe', 'registry', [])
    return entries.map(([name, pids]): [string, string[]] => [name, pids.map(String).sort()]).sort(([a], [b]) => a.localeCompare(b))
  })
}

/** The nodes this tab is linked to, sorted. */
export function linksOf(tab: Tab): Promise<string[]> {
  return tab.page.evaluate(() => window.__distribunator!.node.nodes().sort())
}

/** Each linked node of this tab and the path its link runs on (`direct` or `relay`). */
export function pathsOf(tab: Tab): Promise<Record<string, string>> {
  return tab.page.evaluate(() => Object.fromEntries(window.__distribunator!.node.links().map((l) => [l.node, l.path])))
}

/** Spawns a process in `tab` registered under `name` that answers every call with the message. */
export function spawnEcho(tab: Tab, name: string): Promise<string> {
  return tab.page.evaluate((name) => {
    const node = window.__distribunator!.node
    const pid = node.spawn({ handleCall: (msg) => msg })
    node.register(name, pid)
    return pid.toString()
  }, name)
}

/** How many pids `tab` sees under `name`. */
export function countOf(tab: Tab, name: string): Promise<number> {
  return tab.page.evaluate((name) => window.__distribunator!.node.allPidsOf(name).length, name)
}

/**
 * Installs the spec's state (`window.__e2e`) in `tab`, once: from then on the tab records
 * every `nodedown` with the time it arrived, and every `hub` event.
 */
export function installState(tab: Tab): Promise<void> {
  return tab.page.evaluate(() => {
    if (window.__e2e !== undefined) return
    const state: NonNullable<Window['__e2e']> = { inbox: [], downs: [], outcomes: {}, pids: {}, hub: [] }
    window.__e2e = state
    window.__distribunator!.node.on('nodedown', (id, reason) => void state.downs.push({ id, reason, at: Date.now() }))
    window.__distribunator!.node.on('hub', (hubState, url) => void state.hub.push([hubState, url]))
  })
}

/** Registers a process under `name` in `tab` that appends every cast it gets to `window.__e2e.inbox`. */
export async function installInbox(tab: Tab, name: string): Promise<void> {
  await installState(tab)
  await tab.page.evaluate((name) => {
    const node = window.__distribunator!.node
    const state = window.__e2e!
    node.register(name, node.spawn({ handleCast: (msg) => void state.inbox.push(msg) }))
  }, name)
}
