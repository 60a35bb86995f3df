/**
 * A pid names one process of one incarnation of a node: a node restarted under the same
 * id hands out pids that never equal, and never reach, the processes of its earlier life.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryChannelPair, createNode, type DistNode, NoProcError } from '../../../src/core/index.js'
import { eventually } from '../../support/eventually.js'

const open: DistNode[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close()))
})

function node(id: string): DistNode {
  const n = createNode({ id })
  open.push(n)
  return n
}

async function link(a: DistNode, b: DistNode): Promise<void> {
  const [x, y] = createMemoryChannelPair()
  await Promise.all([a.link(x), b.link(y)])
}

describe('incarnations', () => {
  it('a node restarted under the same id never answers for the pids of its earlier life', async () => {
    const watcher = node('watcher')
    const first = node('x')
    await link(watcher, first)
    first.register('svc', first.spawn({ handleCall: () => 'first' }))
    await eventually(() => watcher.allPidsOf('svc').length === 1)
    const old = watcher.allPidsOf('svc')[0]!
    expect(await watcher.call(old, 'hi')).toBe('first')
    await first.close()
    await eventually(() => watcher.nodes().length === 0)

    const casts: unknown[] = []
    const second = node('x')
    expect(second.incarnation).not.toBe(first.incarnation)
    await link(watcher, second)
    const fresh = second.spawn({ handleCall: () => 'second', handleCast: (m) => void casts.push(m) })
    second.register('svc', fresh)
    await eventually(() => watcher.allPidsOf('svc').length === 1)
    const now = watcher.allPidsOf('svc')[0]!
    // same node id and pid number, another incarnation: never equal, never confused
    expect(now.node).toBe(old.node)
    expect(now.id).toBe(old.id)
    expect(now.equals(old)).toBe(false)
    expect(String(now)).not.toBe(String(old))
    await expect(watcher.call(old, 'hi')).rejects.toBeInstanceOf(NoProcError)
    watcher.cast(old, 'to the old one')
    watcher.cast(now, 'to the new one')
    await eventually(() => casts.length === 1)
    await new Promise((r) => setTimeout(r, 20))
    expect(casts).toEqual(['to the new one'])
    const reasons: string[] = []
    watcher.monitor(old, (reason) => reasons.push(reason))
    await eventually(() => reasons.length === 1)
    expect(reasons).toEqual(['noproc'])
    expect(await watcher.call(now, 'hi')).toBe('second')
    // on the node itself too
    expect(second.isAlive(old)).toBe(false)
    expect(() => second.register('svc', old)).toThrow(NoProcError)
    second.unregister('svc', old) // not a member: nothing happens
    expect(second.allPidsOf('svc')).toEqual([fresh])
  })

  it('a pid of another incarnation inside a message arrives as that incarnation', async () => {
    const a = node('a')
    const b = node('b')
    await link(a, b)
    const seen: unknown[] = []
    const target = b.spawn({ handleCall: (m) => (seen.push(m), m) })
    b.register('t', target)
    await eventually(() => a.allPidsOf('t').length === 1)
    const mine = a.spawn({})
    const back = await a.call<{ pid: typeof mine }>('t', { pid: mine })
    expect(back.pid.equals(mine)).toBe(true)
    expect(back.pid.incarnation).toBe(a.incarnation)
  })
})
