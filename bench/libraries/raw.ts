/**
 * The baseline: a bare `RTCPeerConnection` per pair with one reliable, ordered
 * `RTCDataChannel`, no ICE servers, trickle ICE through the minimal relay
 * (bench/libraries/servers.ts `relay`). A newcomer offers to every id the relay lists as
 * present; the others answer.
 *
 * On the channel, the least a user of a raw channel writes: text `M<json>` is a one-way
 * message, `Q<json>` a request and `A<json>` its answer (in order, so answers match
 * requests first in, first out); a byte array goes as binary messages of `CHUNK` bytes
 * followed by `Q{"$bytes":1}`, and the far end joins them into one value. Sends wait for
 * `bufferedamountlow` when more than `HIGH` bytes are buffered, as a careful user does
 * (1 MiB, the high-water mark of the WebRTC project's data-transfer sample). On this
 * machine a lower mark (64 KiB, trystero's) makes the first 10 MB on a fresh link faster
 * and later ones slower; neither wins both.
 */
import { type Member, PeerList, type Start } from './adapter.js'

const CHUNK = 64 * 1024
const HIGH = 1024 * 1024

interface Link {
  readonly pc: RTCPeerConnection
  channel?: RTCDataChannel
  /** Messages waiting for the channel's buffer to drain. */
  readonly queue: Array<string | Uint8Array>
  /** Requests in flight, oldest first. */
  readonly waiting: Array<(answer: unknown) => void>
  /** Binary pieces of a byte array being received. */
  readonly pieces: Uint8Array[]
  /** Signals handled one after another (a candidate must wait for its description). */
  signals: Promise<void>
}

function join(pieces: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const piece of pieces) {
    out.set(piece, at)
    at += piece.byteLength
  }
  return out
}

export const start: Start = ({ id, room, servers, serve }) =>
  new Promise((resolve, reject) => {
    const peers = new PeerList()
    const links = new Map<string, Link>()
    const socket = new WebSocket(`${servers.relay}/?id=${encodeURIComponent(id)}&room=${encodeURIComponent(room)}`)
    const signal = (to: string, data: unknown): void => socket.send(JSON.stringify({ to, data }))

    const flush = (link: Link): void => {
      const channel = link.channel
      if (channel === undefined || channel.readyState !== 'open') return
      while (link.queue.length > 0 && channel.bufferedAmount <= HIGH) {
        const next = link.queue.shift()!
        if (typeof next === 'string') channel.send(next)
        else channel.send(next as Uint8Array<ArrayBuffer>)
      }
    }
    const out = (link: Link, message: string | Uint8Array): void => {
      link.queue.push(message)
      if (link.queue.length === 1) flush(link)
    }

    const open = (peer: string, link: Link, channel: RTCDataChannel): void => {
      link.channel = channel
      channel.binaryType = 'arraybuffer'
      channel.bufferedAmountLowThreshold = HIGH / 4
      channel.onbufferedamountlow = () => flush(link)
      channel.onopen = () => {
        flush(link)
        peers.add(peer)
      }
      channel.onmessage = ({ data }: MessageEvent<string | ArrayBuffer>) => {
        if (typeof data !== 'string') return void link.pieces.push(new Uint8Array(data))
        const body = JSON.parse(data.slice(1)) as unknown
        if (data[0] === 'M') serve.message(body)
        else if (data[0] === 'A') link.waiting.shift()?.(body)
        else if (data[0] === 'Q') {
          const isBytes = typeof body === 'object' && body !== null && '$bytes' in body
          const value = isBytes ? join(link.pieces.splice(0)) : body
          out(link, `A${JSON.stringify(serve.answer(value))}`)
        }
      }
      channel.onerror = (event) => console.error(`raw channel to ${peer}: ${(event as RTCErrorEvent).error.message}`)
    }

    const linkTo = (peer: string, initiator: boolean): Link => {
      const pc = new RTCPeerConnection({ iceServers: [] })
      const link: Link = { pc, queue: [], waiting: [], pieces: [], signals: Promise.resolve() }
      links.set(peer, link)
      pc.onicecandidate = ({ candidate }) => {
        if (candidate) signal(peer, { candidate: candidate.toJSON() })
      }
      if (initiator) {
        open(peer, link, pc.createDataChannel('data'))
        link.signals = pc.setLocalDescription().then(() => signal(peer, { sdp: pc.localDescription }))
      } else pc.ondatachannel = ({ channel }) => open(peer, link, channel)
      return link
    }

    const onSignal = (from: string, data: { sdp?: RTCSessionDescriptionInit; candidate?: RTCIceCandidateInit }): void => {
      const link = links.get(from) ?? linkTo(from, false)
      const { pc } = link
      link.signals = link.signals
        .then(async () => {
          if (data.sdp) {
            await pc.setRemoteDescription(data.sdp)
            if (data.sdp.type === 'offer') {
              await pc.setLocalDescription()
              signal(from, { sdp: pc.localDescription })
            }
          } else if (data.candidate) await pc.addIceCandidate(data.candidate)
        })
        .catch((error: unknown) => console.error(`raw signal from ${from}: ${String(error)}`))
    }

    const channelOf = (peer: string): Link => {
      const link = links.get(peer)
      if (link?.channel?.readyState !== 'open') throw new Error(`raw: no open channel to ${peer}`)
      return link
    }
    const member: Member = {
      id,
      onPeer: (listener) => peers.listen(listener),
      request(peer, data) {
        const link = channelOf(peer)
        return new Promise((resolve) => {
          link.waiting.push(resolve)
          if (data instanceof Uint8Array) {
            for (let at = 0; at < data.byteLength; at += CHUNK) out(link, data.subarray(at, at + CHUNK))
            out(link, 'Q{"$bytes":1}')
          } else out(link, `Q${JSON.stringify(data)}`)
        })
      },
      send(peer, data) {
        out(channelOf(peer), `M${JSON.stringify(data)}`)
      },
      close() {
        for (const link of links.values()) link.pc.close()
        socket.close()
        return Promise.resolve()
      },
    }

    socket.onmessage = ({ data }: MessageEvent<string>) => {
      const message = JSON.parse(data) as { peers?: string[]; from?: string; data?: never }
      if (message.peers) {
        for (const peer of message.peers) linkTo(peer, true)
        resolve(member)
      } else if (message.from !== undefined && message.data) onSignal(message.from, message.data)
    }
    socket.onerror = () => reject(new Error(`raw: the relay at ${servers.relay} refused ${id}`))
  })
