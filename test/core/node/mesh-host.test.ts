/**
 * The seam between a node and its mesh (src/core/node/mesh-host.ts): what `MeshHost` lets
 * a transport do, what its `MeshHooks` tell the node back, and that the node behind them
 * shows nothing but `DistNode`.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryChannelPair, createNode, type DistNode, type LinkPath } from '../../../src/core/index.js'
import type { MeshHooks, MeshHost } from '../../../src/core/node/mesh-host.js'
import { createHostedNode } from '../../../src/core/node/node.js'
import { eventually } from '../../support/eventually.js'

const open: DistNode[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((node) => node.close()))
})

/** A transport that keeps what it is told: its paths and claims are set by the test. */
function hosted(id: string): { node: DistNode; host: MeshHost; hooks: MeshHooks & { stopped: number; path: Map<string, LinkPath> } } {
  const path = new Map<string, LinkPath>()
  const made = createHostedNode({ id }, 7, () => ({
    stopped: 0,
    path,
    paths: () => path,
    claimsOf: (member: string) => (member === id ? { role: 'self' } : undefined),
    stop() {
      this.stopped++
    },
  }))
  open.push(made.node)
  return made
}

describe('MeshHost', () => {
  it('links a channel, tells whether the link is up, and hears links come and go', async () => {
    const { host } = hosted('a')
    const b = createNode({ id: 'b' })
    open.push(b)
    expect(host.id).toBe('a')
    expect(host.incarnation).toBe(7)
    expect(host.maxFrameBytes).toBeGreaterThan(0)
    const heard: string[] = []
    host.onLink('nodeup', (node) => heard.push(`up ${node}`))
    host.onLink('nodedown', (node) => heard.push(`down ${node}`))
    const [x, y] = createMemoryChannelPair()
    expect(host.isLinked('b')).toBe(false)
    await Promise.all([host.link(x, { expect: 'b', incarnation: b.incarnation }), b.link(y)])
    expect(host.isLinked('b')).toBe(true)
    expect(host.hasLink('b')).toBe(true)
    await b.close()
    await eventually(() => heard.length === 2, 3000, 'nodedown')
    expect(heard).toEqual(['up b', 'down b'])
    expect(host.isLinked('b')).toBe(false)
  })

  it("tells the mesh's events to the node's listeners, and only those", () => {
    const { node, host } = hosted('a')
    const told: unknown[][] = []
    node.on('path', (...args) => told.push(['path', ...args]))
    node.on('hub', (...args) => told.push(['hub', ...args]))
    node.on('unlinked', (...args) => told.push(['unlinked', ...args]))
    host.emit('path', 'b', 'relay')
    host.emit('hub', 'lost', 'http://hub')
    host.emit('unlinked', 'c', 'no room')
    expect(told).toEqual([
      ['path', 'b', 'relay'],
      ['hub', 'lost', 'http://hub'],
      ['unlinked', 'c', 'no room'],
    ])
    const typesOnly = (): void => {
      // @ts-expect-error the node tells nodeup itself
      host.emit('nodeup', 'b')
    }
    void typesOnly
  })

  it('reports through the error event, and closes the node', async () => {
    const { node, host, hooks } = hosted('a')
    const errors: string[] = []
    node.on('error', (error) => errors.push(error.message))
    host.report('a transport error')
    expect(errors).toEqual(['a transport error'])
    await host.close()
    expect(hooks.stopped).toBe(1)
    expect(() => node.spawn({})).toThrow(/closed/)
    await node.close()
    expect(hooks.stopped).toBe(1)
  })
})

describe('MeshHooks', () => {
  it("give the node's links their paths and its members their claims", async () => {
    const { node, hooks } = hosted('a')
    const b = createNode({ id: 'b' })
    open.push(b)
    const [x, y] = createMemoryChannelPair()
    await Promise.all([node.link(x), b.link(y)])
    expect(node.links()).toEqual([{ node: 'b', path: 'direct' }])
    hooks.path.set('b', 'relay')
    expect(node.links()).toEqual([{ node: 'b', path: 'relay' }])
    expect(node.claimsOf('a')).toEqual({ role: 'self' })
    expect(node.claimsOf('b')).toBeUndefined()
    expect(b.claimsOf('a')).toBeUndefined() // a node without a transport knows no claims
  })
})

describe('the node behind the seams', () => {
  it('has no state to assign and no member past DistNode: closed, events, the replica, rpc and its seams are its own', () => {
    const plain = createNode({ id: 'a' }) as unknown as Record<string, unknown>
    const { node } = hosted('b')
    open.push(plain as unknown as DistNode)
    const internal = ['closed', 'events', 'registryReplica', 'rpc', 'options', 'report', 'linked', 'localProcess', 'callFrom', 'meshHost', 'attach', 'beforeClose', 'describeLinks', 'hasLink']
    for (const key of internal) {
      expect(key in plain, key).toBe(false)
      expect(key in node, key).toBe(false)
    }
  })
})
