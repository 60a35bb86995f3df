/** Nodes a test file makes, closed after each of its tests, and in-memory links between them. */
import { afterEach } from 'vitest'
import { type Channel, createMemoryChannelPair, createNode, type DistNode, type NodeOptions } from '../../src/core/index.js'

export interface MemoryNodes {
  /** A node closed after the current test. */
  node(options?: NodeOptions): DistNode
  /** Links `a` and `b` over a memory channel pair; resolves once both handshakes are done. */
  pair(a: DistNode, b: DistNode): Promise<[Channel, Channel]>
}

/** Call at the top of a test file: registers the `afterEach` that closes the nodes. */
export function memoryNodes(): MemoryNodes {
  const open: DistNode[] = []
  afterEach(async () => {
    await Promise.all(open.splice(0).map((n) => n.close()))
  })
  return {
    node(options: NodeOptions = {}): DistNode {
      const n = createNode(options)
      open.push(n)
      return n
    },
    async pair(a: DistNode, b: DistNode): Promise<[Channel, Channel]> {
      const [x, y] = createMemoryChannelPair()
      await Promise.all([a.link(x), b.link(y)])
      return [x, y]
    },
  }
}
