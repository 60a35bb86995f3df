/**
 * The hub's HTTP server: a cap on TCP sockets beside engine.io's cap on connections,
 * listening with a one-line error for a busy port, and a close that does not wait on
 * peers that never answer the WebSocket close handshake.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { errorMessage } from '../../core/api/errors.js'
import type { HubSettings } from './options.js'

/** How long `close()` lets connections finish their close handshake before dropping them. */
const CLOSE_GRACE_MS = 1000

export interface HubHttpServer {
  readonly server: Server
  /** Listens on the settings' host and port; resolves the port bound. */
  listen(): Promise<number>
  /** Closes every connection once `stopping` (Socket.IO's own close) settles, or after a grace period. */
  close(stopping: Promise<unknown>): Promise<void>
}

export function createHttpServer(settings: HubSettings, warnOnce: (kind: string, message: string) => void): HubHttpServer {
  const { host, log } = settings
  const server = createServer()
  // engine.io counts connections for maxConnections; this caps TCP sockets too (ones still
  // in their HTTP request or being refused), with a tenth more room, at least 16.
  server.maxConnections = settings.maxConnections + Math.max(16, Math.ceil(settings.maxConnections / 10))
  server.on('drop', () => warnOnce('tcp', `closed a TCP connection at accept: ${server.maxConnections} sockets open (maxConnections)`))
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  return {
    server,
    listen: () =>
      new Promise<number>((resolve, reject) => {
        const onError = (error: NodeJS.ErrnoException): void => {
          const reason = error.code === 'EADDRINUSE' ? 'address already in use' : errorMessage(error)
          reject(Object.assign(new Error(`cannot listen on ${host}:${settings.port}: ${reason}`, { cause: error }), { code: error.code }))
        }
        server.once('error', onError)
        server.listen(settings.port, host, () => {
          server.off('error', onError)
          server.on('error', (error) => log.error(`http server error: ${errorMessage(error)}`))
          const address: AddressInfo | string | null = server.address()
          resolve(typeof address === 'object' && address !== null ? address.port : settings.port)
        })
      }),
    async close(stopping) {
      server.closeAllConnections()
      // A peer that never answers the WebSocket close handshake would hold this for 30 s.
      const force = setTimeout(() => {
        for (const socket of sockets) socket.destroy()
      }, CLOSE_GRACE_MS)
      await stopping
      clearTimeout(force)
    },
  }
}
