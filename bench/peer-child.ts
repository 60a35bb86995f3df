/**
 * The far end of the benchmarks, in its own process. Modes (argv[2]):
 *
 * A raw echo is a bare simple-peer over node-datachannel, signals over IPC. It echoes every
 * message, except messages starting with `C` (counted) and `C!` (answered `DONE:<n>`),
 * and messages starting with `B` (kept) and `B!` (joins the kept messages into one value,
 * as a receiver needs it, and answers `BDONE:<bytes>`).
 *
 * - `pair`: two peers, signals tagged with their index `k`: peer 0 a raw echo, and peer 1
 *   wrapped by `channelFromPeer` and linked to a distribunator node with an `echo`
 *   process (replies with the message), a `size` process (replies with the length of a
 *   string or a byte array) and a `sink` process (counts casts; a call answers the count).
 * - `mesh-raw <hub> <cluster> <id>`: `mesh`, and in the same process a raw echo (what a
 *   tab measures that node against); `ready` once the node joined.
 * - `mesh <hub> <cluster> <id> [maxDirectLinks] [password]`: a node that joins a cluster through the hub, serves
 *   `echo:<id>`, and casts `{ name, id, at }` to `acks` whenever a name starting with
 *   `probe:` is joined anywhere (`at`: when it saw the join, as epoch milliseconds), and
 *   serves `fanout:<id>`, which answers a cast `{ name }` with the same kind of ack.
 * - `relay-server`: a socket.io server that relays each `call` event (with ack) from one
 *   client to the other client as `req` (emit with ack) and acks the answer back: what
 *   users do without WebRTC. Prints `ready <port>`.
 * - `relay-client <url>`: a socket.io client that answers `req` events with their payload.
 *
 * Prints `ready` on stdout once it can be used.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server, type Socket } from 'socket.io'
import { io } from 'socket.io-client'
import { channelFromPeer } from '../src/core/webrtc/data-channel.js'
import { connect, createNode, createNodePeer, type DistNode } from '../src/server/index.js'
import { BARE_LINK_LIVENESS } from './children.js'

const [mode, ...rest] = process.argv.slice(2)

function serve(node: DistNode, suffix = ''): void {
  node.register(`echo${suffix}`, node.spawn({ handleCall: (msg) => msg }))
  node.register(`size${suffix}`, node.spawn({ handleCall: (msg) => (typeof msg === 'string' ? msg.length : msg instanceof Uint8Array ? msg.byteLength : -1) }))
  let count = 0
  node.register(`sink${suffix}`, node.spawn({ handleCast: () => void count++, handleCall: () => count }))
}

/** Echoes every message on `peer`, with the `C` and `B` exceptions of a raw echo (above). */
function rawEcho(peer: ReturnType<typeof createNodePeer>): void {
  let count = 0
  let bulk: Uint8Array[] = []
  peer.on('data', (data) => {
    const bytes = data as Uint8Array
    if (bytes[0] === 0x43 /* C */) {
      if (bytes[1] === 0x21 /* ! */) peer.send(`DONE:${count}`)
      else count++
      return
    }
    if (bytes[0] === 0x42 /* B */) {
      if (bytes.byteLength === 2 && bytes[1] === 0x21 /* ! */) {
        // the value whole, as a receiver of a 10 MB value needs it
        const whole = Buffer.concat(bulk)
        peer.send(`BDONE:${whole.byteLength}`)
        bulk = []
      } else bulk.push(bytes)
      return
    }
    peer.send(bytes)
  })
}

/**
 * Answers the peers this process is offered over IPC (signals tagged with their index
 * `k`): a raw echo for `raw`, a node for `ours`; `connected` runs once all are connected.
 */
function answerPeers(kinds: ReadonlyArray<'raw' | 'ours'>, connected: () => void): Array<ReturnType<typeof createNodePeer>> {
  let count = 0
  const peers = kinds.map((kind, k) => {
    const peer = createNodePeer({ initiator: false })
    peer.on('signal', (data) => process.send?.({ type: 'signal', k, data }))
    peer.on('connect', () => {
      if (kind === 'raw') rawEcho(peer)
      else {
        const node = createNode({ id: 'far', ...BARE_LINK_LIVENESS })
        void node.link(channelFromPeer(peer))
        serve(node)
      }
      if (++count === kinds.length) connected()
    })
    return peer
  })
  process.on('message', (m: { type: string; k?: number; data: unknown }) => {
    if (m.type === 'signal') peers[m.k ?? 0]?.signal(m.data)
  })
  return peers
}

if (mode === 'pair') {
  // peer 0 is the raw echo and peer 1 the node, so that both baselines run between the
  // same two processes (two far processes on 2 cores do not answer alike: the one started
  // second measured 2–8% slower with the same raw echo in each)
  const peers = answerPeers(['raw', 'ours'], () => console.log('ready'))
  process.on('disconnect', () => {
    for (const peer of peers) peer.destroy()
    setTimeout(() => process.exit(0), 100)
  })
} else if (mode === 'mesh' || mode === 'mesh-raw') {
  // `mesh-raw`: the raw echo a tab measures this node against lives in the same process
  const peers = mode === 'mesh-raw' ? answerPeers(['raw'], () => {}) : []
  const [hub, cluster, id, budget, password] = rest as [string, string, string, string | undefined, string | undefined]
  const node = await connect({ hub, cluster, id, ...(budget === undefined ? {} : { maxDirectLinks: Number(budget) }), ...(password === undefined ? {} : { password }) })
  serve(node, `:${id}`)
  node.on('join', (name) => {
    // the moment of seeing the join, on a clock every process on this machine shares
    if (name.startsWith('probe:')) node.cast('acks', { name, id, at: performance.timeOrigin + performance.now() })
  })
  // the same acknowledgement for a plain cast: the floor a fan-out to every node can reach
  const fanout = node.spawn({
    handleCast: (msg) => node.cast('acks', { name: (msg as { name: string }).name, id, at: performance.timeOrigin + performance.now() }),
  })
  node.register(`fanout:${id}`, fanout)
  process.on('disconnect', () => {
    for (const peer of peers) peer.destroy()
    void node.close().then(() => process.exit(0))
  })
  console.log('ready')
} else if (mode === 'relay-server') {
  const http = createServer()
  const server = new Server(http, { transports: ['websocket'] })
  const clients: Socket[] = []
  server.on('connection', (socket) => {
    clients.push(socket)
    socket.on('disconnect', () => clients.splice(clients.indexOf(socket), 1))
    socket.on('call', async (payload: unknown, ack: (reply: unknown) => void) => {
      const other = clients.find((c) => c !== socket)
      if (other) ack(await other.emitWithAck('req', payload))
    })
  })
  http.listen(0, '127.0.0.1', () => console.log(`ready ${(http.address() as AddressInfo).port}`))
  process.on('disconnect', () => process.exit(0))
} else if (mode === 'relay-client') {
  const socket = io(rest[0] as string, { transports: ['websocket'] })
  socket.on('req', (payload: unknown, ack: (reply: unknown) => void) => ack(payload))
  socket.on('connect', () => console.log('ready'))
  process.on('disconnect', () => process.exit(0))
} else {
  throw new Error(`unknown mode ${String(mode)}`)
}
