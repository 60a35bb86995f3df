/**
 * trystero in the comparison: `joinRoom` of its MQTT strategy (@trystero-p2p/mqtt) with
 * the local aedes broker as its only relay and no ICE servers (its default lists public
 * STUN servers), a request action (`kind: 'request'`) answering requests and a message
 * action for one-way messages. Peers are trystero's own random ids (`selfId`), learnt
 * from `onPeerJoin`.
 */
import { type DataPayload, joinRoom, selfId } from '@trystero-p2p/mqtt'
import { type Member, PeerList, type Start } from './adapter.js'

export const start: Start = ({ room: appId, servers, serve }) => {
  const peers = new PeerList()
  const room = joinRoom({ appId, relayConfig: { urls: [servers.mqtt] }, rtcConfig: { iceServers: [] } }, 'bench')
  const call = room.makeAction('call', { kind: 'request', onRequest: (data) => serve.answer(data) as DataPayload })
  const message = room.makeAction('msg', { onMessage: (data) => serve.message(data) })
  room.onPeerJoin = (peer) => peers.add(peer)
  const member: Member = {
    id: selfId,
    onPeer: (listener) => peers.listen(listener),
    request: (peer, data) => call.request(data as DataPayload, { target: peer, timeoutMs: 60_000 }),
    send: (peer, data) => message.send(data as DataPayload, { target: peer }),
    close: () => room.leave(),
  }
  return Promise.resolve(member)
}
