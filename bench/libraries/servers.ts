/**
 * The servers of the library comparison (bench/libraries/), one per process, each on a
 * free port of 127.0.0.1; the benchmark stops each by its own process id. Modes (argv[2]):
 *
 * - `hub`: this library's hub (`createHub`), for `connect` in the tabs.
 * - `peer`: PeerJS's own server (`PeerServer` from the `peer` package) at `/peerjs`.
 * - `mqtt`: an aedes MQTT broker over WebSocket (ws's `createWebSocketStream`), for
 *   trystero's MQTT strategy.
 * - `relay`: the minimal signalling relay of the raw RTCPeerConnection pages. A client
 *   opens `ws://host:port/?id=<id>&room=<room>` and is sent `{"peers":[...]}`, the ids
 *   already in its room; then each `{"to","data"}` it sends reaches `to`, if in the same
 *   room, as `{"from","data"}`. Nothing else: no queue, no retries. (Rooms keep a round's
 *   tabs from offering to tabs of an earlier step that are still open, as every other
 *   library's room or cluster does.)
 *
 * Prints `ready <port>` on stdout once it accepts connections.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Aedes } from 'aedes'
import { PeerServer } from 'peer'
import { createWebSocketStream, type WebSocket, WebSocketServer } from 'ws'
import { createHub } from '../../src/server/index.js'
import { LOOPBACK_BUDGET } from '../../test/support/loopback-budget.js'

const mode = process.argv[2]

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}

/** The minimal relay: a map from id to socket, and forwarding. */
async function relay(): Promise<number> {
  const server = createServer()
  const wss = new WebSocketServer({ server })
  const clients = new Map<string, { readonly socket: WebSocket; readonly room: string }>()
  wss.on('connection', (socket, request) => {
    const params = new URL(request.url ?? '/', 'http://relay').searchParams
    const id = params.get('id')
    const room = params.get('room') ?? ''
    if (id === null || clients.has(id)) {
      socket.close(4000, 'an id is needed, once')
      return
    }
    socket.send(JSON.stringify({ peers: [...clients].filter(([, client]) => client.room === room).map(([peer]) => peer) }))
    clients.set(id, { socket, room })
    socket.on('message', (raw) => {
      let message: unknown
      try {
        message = JSON.parse(String(raw))
      } catch {
        return
      }
      if (typeof message !== 'object' || message === null || !('to' in message) || typeof message.to !== 'string') return
      const to = clients.get(message.to)
      if (to?.room === room) to.socket.send(JSON.stringify({ from: id, data: 'data' in message ? message.data : null }))
    })
    socket.on('close', () => {
      if (clients.get(id)?.socket === socket) clients.delete(id)
    })
  })
  return listen(server)
}

function peerServer(): Promise<number> {
  return new Promise((resolve) => {
    PeerServer({ port: 0, host: '127.0.0.1', path: '/peerjs' }, (server) => resolve((server.address() as AddressInfo).port))
  })
}

async function broker(): Promise<number> {
  const aedes = await Aedes.createBroker()
  const server = createServer()
  const wss = new WebSocketServer({ server })
  wss.on('connection', (socket) => aedes.handle(createWebSocketStream(socket)))
  return listen(server)
}

async function hub(): Promise<number> {
  const started = await createHub({ port: 0, ...LOOPBACK_BUDGET, logger: { info() {}, warn() {}, error: console.error } })
  return started.port
}

const start = { hub, peer: peerServer, mqtt: broker, relay }[mode ?? '']
if (start === undefined) {
  console.error(`usage: servers.ts hub|peer|mqtt|relay (got ${mode})`)
  process.exit(2)
}
const port = await start()
console.log(`ready ${port}`)
// the benchmark disconnects the IPC channel or kills this process to stop it
process.on('disconnect', () => process.exit(0))
