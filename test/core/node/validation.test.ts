/** Every public function of a node checks its arguments and throws (or rejects) BadArgError. */
import { afterEach, describe, expect, it } from 'vitest'
import { BadArgError, createMemoryChannelPair, createNode, type DistNode, Pid } from '../../../src/core/index.js'

const open: DistNode[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close()))
})

function node(): DistNode {
  const n = createNode({ id: 'v' })
  open.push(n)
  return n
}

const junk: unknown[] = [undefined, null, 42, '', {}, [], () => {}, 'x'.repeat(2000)]
const notAPid: unknown[] = [undefined, null, 'p', { node: 'v', id: 1 }, 1]

describe('argument validation', () => {
  it('createNode', () => {
    expect(() => createNode(null as never)).toThrow(BadArgError)
    expect(() => createNode({ id: '' })).toThrow(BadArgError)
    expect(() => createNode({ id: 5 as never })).toThrow(BadArgError)
    expect(() => createNode({ heartbeatIntervalMs: -1 })).toThrow(BadArgError)
    expect(() => createNode({ heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 500 })).toThrow(BadArgError)
  })

  it('names: register, unregister, allPidsOf, allNodesOf, pidOf, module', () => {
    const n = node()
    const p = n.spawn({})
    for (const bad of junk.filter((j) => typeof j !== 'string' || j === '' || j.length > 1024)) {
      expect(() => n.register(bad as string, p)).toThrow(BadArgError)
      expect(() => n.unregister(bad as string, p)).toThrow(BadArgError)
      expect(() => n.allPidsOf(bad as string)).toThrow(BadArgError)
      expect(() => n.allNodesOf(bad as string)).toThrow(BadArgError)
      expect(() => n.pidOf(bad as string)).toThrow(BadArgError)
      expect(() => n.module(bad as string)).toThrow(BadArgError)
    }
  })

  it('pids: register, unregister, stop, isAlive, monitor', () => {
    const n = node()
    for (const bad of notAPid) {
      expect(() => n.register('x', bad as Pid)).toThrow(BadArgError)
      expect(() => n.unregister('x', bad as Pid)).toThrow(BadArgError)
      expect(() => n.stop(bad as Pid)).toThrow(BadArgError)
      expect(() => n.isAlive(bad as Pid)).toThrow(BadArgError)
      expect(() => n.monitor(bad as Pid, () => {})).toThrow(BadArgError)
    }
    const p = n.spawn({})
    expect(() => n.monitor(p, 'nope' as never)).toThrow(BadArgError)
    expect(() => n.stop(p, 5 as never)).toThrow(BadArgError)
    expect(() => n.stop(new Pid('elsewhere', 1, 0))).toThrow(BadArgError)
    expect(() => n.isAlive(new Pid('elsewhere', 1, 0))).toThrow(BadArgError)
    expect(() => n.unregister('x', new Pid('elsewhere', 1, 0))).toThrow(BadArgError)
  })

  it('spawn', () => {
    const n = node()
    for (const bad of [undefined, null, 5, 'b']) expect(() => n.spawn(bad as never)).toThrow(BadArgError)
    expect(() => n.spawn({ handleCall: 5 } as never)).toThrow(BadArgError)
    expect(() => n.spawn({ terminate: 'x' } as never)).toThrow(BadArgError)
  })

  it('call rejects and cast throws', async () => {
    const n = node()
    const p = n.spawn({ handleCall: () => 1 })
    for (const bad of [undefined, null, 5, '', {}]) {
      await expect(n.call(bad as Pid, 'm')).rejects.toBeInstanceOf(BadArgError)
      expect(() => n.cast(bad as Pid, 'm')).toThrow(BadArgError)
    }
    for (const bad of [0, -5, Number.NaN, '100']) await expect(n.call(p, 'm', bad as never)).rejects.toBeInstanceOf(BadArgError)
    const other = createNode({ id: 'w' })
    open.push(other)
    const [x, y] = createMemoryChannelPair()
    await Promise.all([n.link(x), other.link(y)])
    const remote: Pid = other.spawn({ handleCall: () => 1 }) // untyped: cast to it too
    const unencodable = { f: Symbol('s') as unknown }
    Object.defineProperty(unencodable, 'self', { get: () => { throw new Error('getter') }, enumerable: true })
    await expect(n.call(remote, unencodable)).rejects.toBeInstanceOf(BadArgError)
    expect(() => n.cast(remote, unencodable)).toThrow(BadArgError)
    // more byte arrays in one value than a frame may carry as attachments
    const tooMany = Array.from({ length: 4097 }, () => new Uint8Array(1))
    await expect(n.call(remote, tooMany)).rejects.toThrow(/more than 4096 byte arrays/)
    expect(() => n.cast(remote, tooMany)).toThrow(BadArgError)
  })

  it('expose, doNodeRpc, nodeRpc', async () => {
    const n = node()
    for (const bad of junk.filter((j) => typeof j !== 'string' || j === '' || j.length > 1024)) {
      expect(() => n.expose(bad as string, {})).toThrow(BadArgError)
      await expect(n.doNodeRpc(bad as string, 'M', 'f', [])).rejects.toBeInstanceOf(BadArgError)
      await expect(n.doNodeRpc('v', bad as string, 'f', [])).rejects.toBeInstanceOf(BadArgError)
      await expect(n.doNodeRpc('v', 'M', bad as string, [])).rejects.toBeInstanceOf(BadArgError)
      await expect(n.nodeRpc(bad as string, 'M', 'f', [])).rejects.toBeInstanceOf(BadArgError)
    }
    expect(() => n.expose('M', null as never)).toThrow(BadArgError)
    expect(() => n.expose('M', { f: 5 } as never)).toThrow(BadArgError)
    await expect(n.doNodeRpc('v', 'M', 'f', 'args' as never)).rejects.toBeInstanceOf(BadArgError)
    await expect(n.doNodeRpc('v', 'M', 'f', [], 5 as never)).rejects.toBeInstanceOf(BadArgError)
    await expect(n.doNodeRpc('v', 'M', 'f', [], null, { timeoutMs: -1 })).rejects.toBeInstanceOf(BadArgError)
    await expect(n.doNodeRpc('v', 'M', 'f', [], null, null as never)).rejects.toBeInstanceOf(BadArgError)
  })

  it('link and on', async () => {
    const n = node()
    for (const bad of [undefined, null, {}, { send: () => {} }]) await expect(n.link(bad as never)).rejects.toBeInstanceOf(BadArgError)
    expect(() => n.on('nope' as never, () => {})).toThrow(BadArgError)
    expect(() => n.on('join', 'x' as never)).toThrow(BadArgError)
  })
})
