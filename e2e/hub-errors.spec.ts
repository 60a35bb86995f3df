/**
 * A tab pointed at a wrong hub URL says why within 3 s: a page is not told why its
 * WebSocket failed, so connect() looks at the URL over HTTP (src/browser/hub-probe.ts)
 * and fails at once with what it found. Each case is a connect() made in a tab that has
 * joined the good hub, timed in the page: a port where nothing listens, a host name that
 * does not resolve, https:// and wss:// against the plain http hub, a web server that
 * answers 404 (it refuses the WebSocket), a hub that does not admit the page's origin,
 * and the Vite dev server that serves the page itself (it holds the WebSocket open and
 * answers the page's fetch with its HTML); a second node on the good hub still joins.
 *
 * The tabs run in a Chromium of their own whose resolver fails every `.invalid` name
 * itself, so no name lookup leaves the machine.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from '@playwright/test'
import { createServer as createViteServer } from 'vite'
import { expect, test } from './fixtures.js'

const root = fileURLToPath(new URL('..', import.meta.url))

/** What connect() did in the page: its error (name, code, message) or 'joined', and how long it took there. */
interface Outcome {
  readonly result: string
  readonly ms: number
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** A port on loopback where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer()
  const port = await listen(server)
  await new Promise((resolve) => server.close(resolve))
  return port
}

test('a tab says within 3 s why it cannot reach a hub: nothing there, no such host, https against http, not a hub, an origin refused', async ({ playwright, launchOptions, site, hub, cluster }) => {
  const cleanups: Array<() => unknown> = []
  try {
    const browser = await playwright.chromium.launch({ ...launchOptions, args: [...(launchOptions.args ?? []), '--host-resolver-rules=MAP *.invalid ~NOTFOUND'] })
    cleanups.push(() => browser.close())

    // a web server that answers every request, a WebSocket upgrade too, with a 404 page
    const web = createServer((_, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not found</h1>'))
    const webPort = await listen(web)
    cleanups.push(() => web.close())

    // the demo's Vite dev server (`npx vite`, vite.config.ts): it holds open a WebSocket that is not its own
    const cacheDir = mkdtempSync(join(tmpdir(), 'hub-errors-vite-'))
    cleanups.push(() => rmSync(cacheDir, { recursive: true, force: true }))
    const vite = await createViteServer({ configFile: join(root, 'vite.config.ts'), cacheDir, logLevel: 'silent', server: { host: '127.0.0.1', port: 0 } })
    cleanups.push(() => vite.close())
    await vite.listen()
    const viteUrl = (vite.resolvedUrls?.local[0] ?? '').replace(/\/$/, '')
    expect(viteUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)

    // a hub that admits pages from another origin only
    const strict = spawn(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', '--port', '0', '--host', '127.0.0.1', '--allowed-origin', 'https://app.example.com'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
    cleanups.push(() => strict.kill())
    const strictUrl = await new Promise<string>((resolve, reject) => {
      let out = ''
      strict.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const found = /listening on (http:\/\/\S+)/.exec(out)
        if (found) resolve(found[1] ?? '')
      })
      strict.once('exit', (code) => reject(new Error(`the hub exited with ${code}: ${out}`)))
    })

    /** A demo tab from `from` on the good hub. */
    const open = async (from: string, id: string): Promise<Page> => {
      const page = await (await browser.newContext()).newPage()
      await page.goto(`${from}/?${new URLSearchParams({ hub: hub.url, cluster, id }).toString()}`)
      await expect(page.locator('body'), `${id} joined the good hub`).toHaveAttribute('data-ready', 'true', { timeout: 30_000 })
      return page
    }
    /** connect() to `target` from `page`, timed there. */
    const attempt = (page: Page, target: string, id: string): Promise<Outcome> =>
      page.evaluate(
        async ({ target, cluster, id }) => {
          const started = performance.now()
          const result = await window.__distribunator!.connect({ hub: target, cluster, id }).then(
            async (node) => {
              await node.close()
              return 'joined'
            },
            (error: Error & { code?: string }) => `${error.name} ${error.code}: ${error.message}`,
          )
          return { result, ms: Math.round(performance.now() - started) }
        },
        { target, cluster, id },
      )

    const refused = `http://127.0.0.1:${await closedPort()}`
    const host = (url: string): string => new URL(url).host
    const hubHost = host(hub.url)
    const notHub = "answers, but not as a hub: check the port, or the hub's allowedOrigins and maxConnections"
    const page = await open(site.url, 'tab-a')
    const devPage = await open(viteUrl, 'tab-v')
    const cases: Array<[what: string, from: Page, url: string, reason: string]> = [
      ['nothing listens on the port', page, refused, `nothing answers at ${host(refused)}: check the host name and port, and that the hub is running`],
      ['no such host', page, 'http://no-such-hub.invalid:8080', 'nothing answers at no-such-hub.invalid:8080: check the host name and port, and that the hub is running'],
      ['https:// against the http hub', page, `https://${hubHost}`, `${hubHost} answers http only: use http://${hubHost}`],
      ['wss:// against the http hub', page, `wss://${hubHost}`, `${hubHost} answers http only: use http://${hubHost}`],
      ['a web server (404)', page, `http://127.0.0.1:${webPort}`, `127.0.0.1:${webPort} ${notHub}`],
      ['the Vite dev server of the page', devPage, viteUrl, `${host(viteUrl)} ${notHub}`],
      ['a hub that does not admit this origin', page, strictUrl, `${host(strictUrl)} ${notHub}`],
    ]
    const seen: string[] = []
    for (const [what, from, url, reason] of cases) {
      const { result, ms } = await attempt(from, url, `lost-${seen.length}`)
      seen.push(`${what}: ${ms} ms: ${result}`)
      expect(result, what).toBe(`HubUnreachableError hub_unreachable: no hub answered: ${url}: ${reason}`)
      expect(ms, `${what}: failed within 3 s`).toBeLessThan(3000)
    }
    const good = await attempt(page, hub.url, 'tab-b')
    seen.push(`the good hub: ${good.ms} ms: ${good.result}`)
    expect(good.result).toBe('joined')
    console.log(seen.join('\n'))
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup()
  }
})
