/**
 * The one place that reads engine.io's and ws's insides for the hub: what a connection
 * holds for its peer and how to drop a peer at once. engine.io queues outgoing packets in
 * its own buffer while the transport is busy, then in the WebSocket's (`bufferedAmount`)
 * once the kernel's socket buffer is full; neither has a bound of its own. Closing
 * politely waits for both to drain, which a peer that does not read never lets happen.
 */
import type { Socket } from 'socket.io'

type EngineSocket = Socket['conn']

const field = (value: unknown, name: string): unknown =>
  (typeof value === 'object' || typeof value === 'function') && value !== null ? Reflect.get(value, name) : undefined

/** Size of a packet's payload as engine.io holds it: characters of a string, bytes of binary. */
function packetSize(packet: unknown): number {
  const data = field(packet, 'data')
  if (typeof data === 'string') return data.length
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength
  return 0
}

/** The ws `WebSocket` under a connection's transport, if it has one. */
function webSocketOf(conn: EngineSocket): unknown {
  return field(conn.transport, 'socket')
}

/** Bytes the WebSocket has accepted but the kernel has not taken yet. */
function webSocketBuffered(conn: EngineSocket): number {
  const amount = field(webSocketOf(conn), 'bufferedAmount')
  return typeof amount === 'number' ? amount : 0
}

/**
 * Calls `onQueue` with the bytes held for the peer each time the connection queues a
 * packet for it. Constant work per packet: engine.io's queue is counted as packets enter
 * it (`packetCreate`) and leave it (`flush`), each packet once.
 */
export function watchOutgoing(conn: EngineSocket, onQueue: (bytes: number) => void): void {
  let queued = 0
  conn.on('packetCreate', (packet: unknown) => {
    queued += packetSize(packet)
    onQueue(queued + webSocketBuffered(conn))
  })
  conn.on('flush', (packets: unknown) => {
    if (!Array.isArray(packets)) return
    for (const packet of packets) queued -= packetSize(packet)
  })
  conn.once('close', (reason: unknown) => {
    queued = 0
    // A peer that stopped answering pings will not answer the close handshake either:
    // free its socket and buffers now rather than after ws's 30 s close timeout.
    if (reason === 'ping timeout') terminate(conn)
  })
}

/** Destroys the TCP socket under the connection, discarding whatever is queued for it. */
export function terminate(conn: EngineSocket): void {
  const ws = webSocketOf(conn)
  const kill = field(ws, 'terminate')
  if (typeof kill === 'function') Reflect.apply(kill, ws, [])
  conn.close(true)
}
