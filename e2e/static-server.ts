/**
 * A tiny static file server for the built demo (`demo-dist`), for the end-to-end tests.
 * GET and HEAD only, no directory listings, nothing outside the root.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
}

export interface StaticServer {
  readonly url: string
  close(): Promise<void>
}

/**
 * Serves `root` on 127.0.0.1 at `port` (0 picks a free one).
 *
 * @example
 * const site = await serveStatic('demo-dist')
 * await page.goto(`${site.url}/?hub=${hubUrl}`)
 */
export async function serveStatic(root: string, port = 0): Promise<StaticServer> {
  const base = normalize(root)
  const server: Server = createServer((request, response) => {
    void (async () => {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405).end()
        return
      }
      const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname)
      const file = normalize(join(base, pathname.endsWith('/') ? `${pathname}index.html` : pathname))
      if (file !== base && !file.startsWith(base + sep)) {
        response.writeHead(403).end()
        return
      }
      const info = await stat(file).catch(() => undefined)
      if (info === undefined || !info.isFile()) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
        return
      }
      response.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': info.size,
        'cache-control': 'no-store',
      })
      if (request.method === 'HEAD') response.end()
      else createReadStream(file).pipe(response)
    })().catch(() => {
      if (!response.headersSent) response.writeHead(500)
      response.end()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const { port: bound } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
