/**
 * PeerJS in the comparison: a `Peer` registered on the local PeerJS server under this
 * tab's id, with no ICE servers (PeerJS's default lists a public STUN and TURN server).
 * PeerJS has no discovery, so a tab connects to the ids it is given (`dial`) with
 * `peer.connect(id, { reliable: true })` (the documented setting for large transfers; all
 * libraries here deliver in order), in the default serialization (BinaryPack). PeerJS has
 * no request/response either, so requests are `{ q, d }` objects answered `{ a, d }` on
 * the same connection, the way its examples reply on `conn.send`.
 */
import { type DataConnection, Peer } from 'peerjs'
import { type Member, PeerList, type Start } from './adapter.js'

interface Waiter {
  resolve(value: unknown): void
  reject(error: Error): void
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !(value instanceof ArrayBuffer) && !ArrayBuffer.isView(value)
}

export const start: Start = ({ id, servers, serve, dial }) =>
  new Promise((resolve, reject) => {
    const peers = new PeerList()
    const connections = new Map<string, DataConnection>()
    const waiting = new Map<number, Waiter>()
    let nextRequest = 1
    const peer = new Peer(id, { host: '127.0.0.1', port: servers.peer, path: '/peerjs', secure: false, config: { iceServers: [] }, debug: 0 })

    const use = (conn: DataConnection): void => {
      conn.on('data', (data) => {
        if (isRecord(data) && typeof data.q === 'number') void conn.send({ a: data.q, d: serve.answer(data.d) })
        else if (isRecord(data) && typeof data.a === 'number') {
          const waiter = waiting.get(data.a)
          waiting.delete(data.a)
          waiter?.resolve(data.d)
        } else serve.message(data)
      })
      conn.on('open', () => {
        connections.set(conn.peer, conn)
        peers.add(conn.peer)
      })
      conn.on('error', (error) => console.error(`peerjs connection to ${conn.peer}: ${error.message}`))
    }
    peer.on('connection', use)
    peer.on('error', (error) => {
      console.error(`peerjs: ${error.type}: ${error.message}`)
      reject(error)
    })

    const connection = (to: string): DataConnection => {
      const conn = connections.get(to)
      if (conn === undefined) throw new Error(`peerjs: no open connection to ${to}`)
      return conn
    }
    const member: Member = {
      id,
      onPeer: (listener) => peers.listen(listener),
      request(to, data) {
        const q = nextRequest++
        return new Promise((resolve, reject) => {
          waiting.set(q, { resolve, reject })
          void connection(to).send({ q, d: data })
        })
      },
      send(to, data) {
        void connection(to).send(data)
      },
      close() {
        peer.destroy()
        return Promise.resolve()
      },
    }
    peer.on('open', () => {
      for (const to of dial) use(peer.connect(to, { reliable: true }))
      resolve(member)
    })
  })
