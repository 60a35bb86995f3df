// What a node made by connect() tells about its hub: the `hub` event when the connection
// is lost and when it is back (with the URL), and why a first join failed (`hub_unreachable`
// naming the cause, the underlying error as `cause`), against real servers: a hub, a
// closed port, a plain HTTP server, a hub URL with a path, https:// against an http hub,
// a name with no address, a server that never answers.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { connect, createHub, type DistNode, DistributedError, HubUnreachableError, type Hub } from '../../src/server/index.js'
import { eventually } from '../support/eventually.js'

const cleanups: Array<() => Promise<unknown> | unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function startHub(port = 0): Promise<Hub> {
  const hub = await createHub({ port, logger: { info: () => {}, warn: () => {}, error: () => {} } })
  cleanups.push(() => hub.close())
  return hub
}

async function connected(hub: string | string[], id: string): Promise<{ node: DistNode; events: Array<[string, string]> }> {
  const node = await connect({ hub, cluster: 'state', id, hubLostGraceMs: 30_000 })
  cleanups.push(() => node.close())
  const events: Array<[string, string]> = []
  node.on('hub', (state, url) => events.push([state, url]))
  return { node, events }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A port nothing listens on (one the system just handed out and that was closed again). */
async function closedPort(): Promise<number> {
  const server = createTcpServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function listen<S extends HttpServer | TcpServer>(server: S): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise((resolve) => server.close(resolve)))
  return (server.address() as { port: number }).port
}

/** connect() to `hub` that must fail: returns the error and how long it took. */
async function failure(hub: string | string[], joinTimeoutMs = 2000): Promise<{ error: HubUnreachableError; ms: number }> {
  const started = Date.now()
  const error = await connect({ hub, cluster: 'state', joinTimeoutMs }).then(
    (node) => {
      cleanups.push(() => node.close())
      throw new Error(`connect to ${String(hub)} succeeded`)
    },
    (error: unknown) => error,
  )
  expect(error).toBeInstanceOf(HubUnreachableError)
  expect(error).toBeInstanceOf(DistributedError)
  expect(error).toMatchObject({ code: 'hub_unreachable', name: 'HubUnreachableError' })
  return { error: error as HubUnreachableError, ms: Date.now() - started }
}

describe('the hub event', () => {
  it("tells 'lost' when the hub goes and 'back' with the URL when it returns; nothing on the first join or on close", async () => {
    const hub = await startHub()
    const { node, events } = await connected(hub.url, 'a')
    await sleep(300)
    expect(events).toEqual([])
    await hub.close()
    await eventually(() => events.length === 1, 10_000, "the 'lost' event")
    expect(events).toEqual([['lost', hub.url]])
    const again = await startHub(hub.port)
    await eventually(() => events.length === 2, 15_000, "the 'back' event")
    expect(events).toEqual([['lost', hub.url], ['back', again.url]])
    expect(again.url).toBe(hub.url)
    await node.close()
    await again.close()
    await sleep(300)
    expect(events).toHaveLength(2)
  }, 30_000)

  it("'back' names the URL the node joined again through when it moved to another hub", async () => {
    const first = await startHub()
    const second = await startHub()
    const { events } = await connected([first.url, second.url], 'b')
    const { node: other } = await connected(second.url, 'c')
    await first.close()
    await eventually(() => events.length === 2, 15_000, "'lost' and 'back'")
    expect(events).toEqual([['lost', first.url], ['back', second.url]])
    // linked again through the second hub
    await eventually(() => other.nodes().includes('b'), 10_000, 'c sees b')
  }, 30_000)

})

describe('hub_unreachable says why', () => {
  it('a closed port: connection refused, the system error as cause', async () => {
    const port = await closedPort()
    const { error, ms } = await failure(`http://127.0.0.1:${port}`)
    expect(error.message).toMatch(new RegExp(`^no hub answered within 2000 ms: http://127\\.0\\.0\\.1:${port}: connection refused: nothing listens on 127\\.0\\.0\\.1:${port}$`))
    expect(error.cause).toBeInstanceOf(Error)
    expect(error.cause).toMatchObject({ code: 'ECONNREFUSED' })
    expect(ms).toBeLessThan(4000)
  })

  it('a server that is not a hub: its HTTP status', async () => {
    const port = await listen(createHttpServer((_, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>Not here</body></html>')))
    const { error } = await failure(`http://127.0.0.1:${port}`)
    expect(error.message).toMatch(/: the server answered HTTP 404 instead of a WebSocket upgrade: not a distribunator hub, or not at this address$/)
    expect(error.cause).toBeInstanceOf(Error)
    expect((error.cause as Error).message).toBe('Unexpected server response: 404')
  })

  it('a hub URL with a path: the hub listens at the root', async () => {
    const hub = await startHub()
    const { error } = await failure(`${hub.url}/distribunator`)
    expect(error.message).toContain(`${hub.url}/distribunator: not a hub, or a URL with a path (a hub listens at the root: ${hub.url})`)
    expect(error.cause).toBeInstanceOf(Error)
    expect((error.cause as Error).message).toBe('Invalid namespace')
  })

  it('https:// against an http hub: TLS failed', async () => {
    const hub = await startHub()
    const url = hub.url.replace('http:', 'https:')
    const { error } = await failure(url)
    expect(error.message).toMatch(/: TLS failed \(.*\): is the hub served over https\? A plain http hub needs http:\/\/ or ws:\/\/$/)
    expect(error.cause).toMatchObject({ code: 'EPROTO' })
  })

  it('a host name with no address: DNS lookup failed', async () => {
    const { error } = await failure('http://no-such-hub.invalid:8080', 4000)
    expect(error.message).toMatch(/: DNS lookup failed: no address for no-such-hub\.invalid:8080 \((ENOTFOUND|EAI_AGAIN)\)$/)
    expect((error.cause as { code?: unknown }).code).toMatch(/^(ENOTFOUND|EAI_AGAIN)$/)
  })

  it('a server that never answers, and several URLs: each URL with its own reason', async () => {
    const sockets = new Set<Socket>()
    const silent = createTcpServer((socket) => {
      sockets.add(socket) // held open, never answered
    })
    const silentPort = await listen(silent)
    cleanups.push(() => {
      for (const socket of sockets) socket.destroy()
    })
    const closed = await closedPort()
    // the closed port fails at once, then the silent server holds the attempt to the end
    const { error, ms } = await failure([`http://127.0.0.1:${closed}`, `http://127.0.0.1:${silentPort}`], 1500)
    expect(error.message).toContain(`http://127.0.0.1:${silentPort}: no answer yet`)
    expect(error.message).toContain(`http://127.0.0.1:${closed}: connection refused`)
    expect(ms).toBeLessThan(3500)
  })
})
