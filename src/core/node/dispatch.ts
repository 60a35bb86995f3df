/**
 * What a node does with each frame from a linked peer. Frames arrive parsed (see
 * `protocol.ts`); this file checks what parsing cannot: that the link is in the right
 * state, that a peer speaks only for its own pids, and that refs are known.
 */
import { decodeValue, encodeValue, type Payload } from '../wire/codec.js'
import { callErrorFromWire, distributedToWire, thrownToWire } from '../wire/error-wire.js'
import { BadArgError, DistributedError, NoProcError } from '../api/errors.js'
import type { NodeRuntime } from './node.js'
import type { PeerState } from './linked-node.js'
import { Pid } from '../api/pid.js'
import type { Outcome } from './process.js'
import { type CallFrame, type CastFrame, type Frame, PROTOCOL_VERSION } from '../wire/protocol.js'

const v = PROTOCOL_VERSION

export function handleFrame(node: NodeRuntime, peer: PeerState, frame: Frame): void {
  if (frame.t === 'ping') return
  if (frame.t === 'bye') return peer.link.close('closed', `the peer said bye: ${frame.reason}`)
  if (frame.t === 'hello') return node.helloReceived(peer, frame.node, frame.inc)
  if (frame.t === 'sync') return peer.link.up ? node.syncReceived(peer, frame.names) : node.report(peer, 'sync frame before the handshake')
  // Nothing but the handshake is acted on until it is complete: a peer is known by the id
  // of its hello only once its registry is in.
  if (!peer.synced) return node.report(peer, `${frame.t} frame before the handshake`)
  switch (frame.t) {
    case 'join':
    case 'leave': {
      const pid = node.ownPid(peer, frame.pid)
      if (pid === undefined) return
      if (frame.t === 'join') node.registryReplica.join(frame.name, pid)
      else if (!node.registryReplica.leave(frame.name, pid)) node.report(peer, `leave of ${pid.toString()} from "${frame.name}", which it had not joined`)
      return
    }
    case 'call':
    case 'cast':
      return deliver(node, peer, frame)
    case 'reply': {
      const call = peer.calls.get(frame.ref)
      if (call === undefined) return // a late reply to a call that timed out
      peer.calls.delete(frame.ref)
      if (call.timer !== undefined) clearTimeout(call.timer)
      if (!frame.ok) return call.reject(callErrorFromWire(frame.error))
      let value: unknown
      try {
        value = decodeValue(frame.value, node.options)
      } catch (error) {
        node.report(peer, `undecodable reply: ${String(error)}`)
        return call.reject(new BadArgError('the reply could not be decoded'))
      }
      return call.resolve(value)
    }
    case 'mon': {
      if (peer.monitorsIn.has(frame.ref)) return node.report(peer, `duplicate monitor ref ${frame.ref}`)
      const process = node.processes.get(frame.pid)
      if (process === undefined) return void peer.link.answer({ v, t: 'down', ref: frame.ref, reason: 'noproc' })
      if (peer.monitorsIn.size >= node.options.maxMonitorsPerLink) {
        node.report(peer, `holds ${peer.monitorsIn.size} monitors already (maxMonitorsPerLink); monitor ${frame.ref} refused`)
        return void peer.link.answer({ v, t: 'down', ref: frame.ref, reason: 'system_limit' })
      }
      const watcherRef = node.nextRef()
      const ref = frame.ref
      process.watchers.set(watcherRef, (reason) => {
        peer.monitorsIn.delete(ref)
        peer.link.answer({ v, t: 'down', ref, reason })
      })
      peer.monitorsIn.set(ref, { process, watcherRef })
      return
    }
    case 'demon': {
      const entry = peer.monitorsIn.get(frame.ref)
      if (entry === undefined) return
      peer.monitorsIn.delete(frame.ref)
      entry.process.watchers.delete(entry.watcherRef)
      return
    }
    case 'down': {
      const onDown = peer.monitorsOut.get(frame.ref)
      if (onDown === undefined) return // demonitored meanwhile
      peer.monitorsOut.delete(frame.ref)
      node.safely(() => onDown(frame.reason))
      return
    }
    case 'rpc':
      return node.rpc.incoming(peer, frame)
    case 'rpc-ok':
    case 'rpc-err':
      return node.rpc.answered(peer, frame)
    case 'rpc-done':
      return node.rpc.done(peer, frame.ref)
  }
}

function deliver(node: NodeRuntime, peer: PeerState, frame: CallFrame | CastFrame): void {
  let from: Pid | undefined
  if (frame.from !== undefined) {
    from = node.ownPid(peer, frame.from)
    if (from === undefined) {
      if (frame.t === 'call') replyError(peer, frame.ref, distributedToWire(new BadArgError('forged caller pid')))
      return
    }
  }
  // The target first: a message for a process that is not alive is never decoded.
  const process = node.processes.get(frame.to)
  if (process === undefined) {
    if (frame.t === 'call') replyError(peer, frame.ref, distributedToWire(new NoProcError(`<${node.id}.${frame.to}> is not alive`)))
    return
  }
  let msg: unknown
  try {
    msg = decodeValue(frame.msg, node.options)
  } catch (error) {
    node.report(peer, `undecodable ${frame.t} message: ${String(error)}`)
    if (frame.t === 'call') replyError(peer, frame.ref, distributedToWire(new BadArgError('the message could not be decoded')))
    return
  }
  if (frame.t === 'cast') return process.post({ kind: 'cast', msg, from })
  const ref = frame.ref
  process.post({ kind: 'call', msg, from, reply: (outcome) => reply(peer, ref, outcome) })
}

function reply(peer: PeerState, ref: number, outcome: Outcome): void {
  if (!peer.link.up) return
  if (!outcome.ok) {
    const error = outcome.error
    return replyError(peer, ref, error instanceof NoProcError ? distributedToWire(error) : thrownToWire(error))
  }
  let value: Payload
  try {
    value = encodeValue(outcome.value)
  } catch (error) {
    return replyError(peer, ref, { code: 'remote', name: 'EncodeError', message: `the reply could not be encoded: ${String(error)}` })
  }
  try {
    peer.link.answer({ v, t: 'reply', ref, ok: true, value })
  } catch (error) {
    replyError(peer, ref, error instanceof DistributedError ? distributedToWire(error) : thrownToWire(error))
  }
}

function replyError(peer: PeerState, ref: number, error: ReturnType<typeof thrownToWire>): void {
  peer.link.answer({ v, t: 'reply', ref, ok: false, error })
}
