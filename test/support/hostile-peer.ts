/**
 * A hostile peer for tests: one end of a memory channel driven by the test, linked to a
 * real node. It speaks the frame protocol by hand, so it can say anything.
 */
import { type Channel, createMemoryChannelPair, createNode, type DistNode, type NodeOptions } from '../../src/core/index.js'

export interface HostilePeer {
  node: DistNode
  raw: Channel
  /** Frames the node sent to the hostile end, batches flattened. */
  received: Array<Record<string, unknown>>
  /** Messages of the node's `error` events. */
  errors: string[]
  send(frame: unknown): void
}

/**
 * A node linked to a raw channel end; with `as`, the hostile end completes the handshake
 * (hello and sync) under that id before this resolves.
 */
export async function hostilePeer(options: NodeOptions & { as?: string; expect?: string } = {}): Promise<HostilePeer & { linked: Promise<string> }> {
  const { as, expect, ...nodeOptions } = options
  const node = createNode({ id: 'victim', ...nodeOptions })
  const [x, raw] = createMemoryChannelPair()
  const received: Array<Record<string, unknown>> = []
  const errors: string[] = []
  node.on('error', (e) => errors.push(e.message))
  raw.onMessage((f) => {
    if (typeof f !== 'string') return
    const parsed = JSON.parse(f) as unknown
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) received.push(item as Record<string, unknown>)
  })
  const linked = node.link(x, expect === undefined ? {} : { expect })
  linked.catch(() => {})
  const send = (frame: unknown): void => raw.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  if (as !== undefined) {
    send({ v: 2, t: 'hello', node: as, inc: HOSTILE_INCARNATION })
    send({ v: 2, t: 'sync', names: [] })
    await linked
  }
  return { node, raw, received, errors, send, linked }
}

/** The incarnation the hostile end announces in its hello. */
export const HOSTILE_INCARNATION = 1

/** Milliseconds `fn` takes. */
export async function timed(fn: () => unknown): Promise<number> {
  const start = performance.now()
  await fn()
  return performance.now() - start
}
