/**
 * What a node does with each frame from a linked node once its handshake is complete
 * (links.ts gates everything before that). Frames arrive parsed (wire/protocol.ts); this
 * file routes them and checks what parsing cannot: that a linked node speaks only for
 * its own pids.
 */
import type { Frame } from '../wire/protocol.js'
import { callReceived, replyReceived } from './calls.js'
import type { LinkedNode } from './linked-node.js'
import { demonitorRequested, downReceived, monitorRequested } from './monitors.js'
import type { NodeCore } from './node-core.js'

export function handleFrame(node: NodeCore, linked: LinkedNode, frame: Frame): void {
  switch (frame.t) {
    case 'join':
    case 'leave': {
      const pid = node.ownPid(linked, frame.pid)
      if (pid === undefined) return
      if (frame.t === 'join') {
        if (!node.accepts(linked, frame.name)) return
        if (linked.memberships >= node.options.maxNamesPerLink) {
          return linked.link.close('system_limit', `over maxNamesPerLink ${node.options.maxNamesPerLink} memberships in this node's registry`)
        }
        linked.memberships++
        node.registryReplica.join(frame.name, pid)
      } else if (node.registryReplica.leave(frame.name, pid)) linked.memberships--
      else if (!linked.refusedNames.has(frame.name)) node.report(linked, `leave of ${pid.toString()} from "${frame.name}", which it had not joined`)
      return
    }
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
