/**
 * What a node does with each frame from a linked node once its handshake is complete
 * (links.ts gates everything before that). Frames arrive parsed (wire/protocol.ts); this
 * file routes each to the file that holds its exchange, which checks what parsing cannot
 * (that a linked node speaks only for its own pids, and its bounds).
 */
import type { Frame } from '../wire/protocol.js'
import { callReceived, replyReceived } from './calls.js'
import type { LinkedNode } from './linked-node.js'
import { demonitorRequested, downReceived, monitorRequested } from './monitors.js'
import type { LinkHost } from './node-core.js'
import { membershipReceived } from './registry-sync.js'

export function handleFrame(node: LinkHost, linked: LinkedNode, frame: Frame): void {
  switch (frame.t) {
    case 'join':
    case 'leave':
      return membershipReceived(node, linked, frame)
    case 'call':
    case 'cast':
      return callReceived(node, linked, frame)
    case 'reply':
      return replyReceived(node, linked, frame)
    case 'mon':
      return monitorRequested(node, linked, frame)
    case 'demon':
      return demonitorRequested(linked, frame.ref)
    case 'down':
      return downReceived(node, linked, frame)
    case 'rpc':
      return node.rpc.incoming(linked, frame)
    case 'rpc-ok':
    case 'rpc-err':
      return node.rpc.answered(linked, frame)
    case 'rpc-done':
      return node.rpc.done(linked, frame.ref)
    case 'ping':
      return
    case 'hello':
    case 'sync':
    case 'bye':
      // the link table handles the handshake and its end before frames get here
      return
  }
}
