/**
 * A hub for a test: on a free port, its log lines kept (`lines`), and raw Socket.IO clients
 * of it (no reconnection, WebSocket only), each closed by the test file's `cleanups`.
 */
import { io as connectRaw, type ManagerOptions, type Socket as RawSocket, type SocketOptions } from 'socket.io-client'
import { createHub, type Hub, type HubOptions } from '../../src/server/hub/hub.js'
import { recordingLogger } from './hub-logger.js'

/** What a test file closes after each test, last first. */
export type Cleanups = Array<() => unknown>
export type TestHub = Hub & { lines: string[] }

/** Starts a hub with `options` (port 0 and a recording logger unless given). */
export async function startTestHub(cleanups: Cleanups, options: HubOptions = {}): Promise<TestHub> {
  const logger = recordingLogger()
  const hub = await createHub({ port: 0, logger, ...options })
  cleanups.push(() => hub.close())
  return Object.assign(hub, { lines: logger.lines })
}

/** A raw client of `hub`, resolved once connected; `options` adds to the defaults (e.g. Node's `localAddress`). */
export function rawSocket(hub: Hub, cleanups: Cleanups, options: Partial<ManagerOptions & SocketOptions> & { localAddress?: string } = {}): Promise<RawSocket> {
  const socket = connectRaw(hub.url, { transports: ['websocket'], forceNew: true, reconnection: false, ...options } as Partial<ManagerOptions & SocketOptions>)
  cleanups.push(() => socket.disconnect())
  return new Promise<RawSocket>((resolve, reject) => {
    socket.once('connect', () => resolve(socket))
    socket.once('connect_error', reject)
  })
}
