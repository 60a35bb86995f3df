/**
 * Property: whatever sequence of register / unregister / stop / unlink / relink runs on
 * three nodes, once links are healed every node holds the same registry, and that view is
 * exactly the multiset of live local registrations made (a model tracks them).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Channel, createMemoryChannelPair, createNode, type DistNode, type Pid } from '../../../src/core/index.js'
import { eventually } from '../../support/eventually.js'

const NAMES = ['a', 'b', 'c']

type Op =
  | { op: 'spawn'; node: number }
  | { op: 'register'; node: number; proc: number; name: string }
  | { op: 'unregister'; node: number; proc: number; name: string }
  | { op: 'stop'; node: number; proc: number }
  | { op: 'unlink'; i: number; j: number }

const nodeIx = fc.integer({ min: 0, max: 2 })
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('spawn' as const), node: nodeIx }),
  fc.record({ op: fc.constant('register' as const), node: nodeIx, proc: fc.nat(2), name: fc.constantFrom(...NAMES) }),
  fc.record({ op: fc.constant('register' as const), node: nodeIx, proc: fc.nat(2), name: fc.constantFrom(...NAMES) }),
  fc.record({ op: fc.constant('unregister' as const), node: nodeIx, proc: fc.nat(2), name: fc.constantFrom(...NAMES) }),
  fc.record({ op: fc.constant('stop' as const), node: nodeIx, proc: fc.nat(2) }),
  fc.record({ op: fc.constant('unlink' as const), i: nodeIx, j: nodeIx }).filter((o) => o.i !== o.j),
)

const view = (node: DistNode): string[] =>
  node
    .registry()
    .flatMap(([name, pids]) => pids.map((p) => `${name}=${p.toString()}`))
    .sort()

async function link(nodes: DistNode[], channels: Map<string, Channel>, i: number, j: number): Promise<void> {
  const [x, y] = createMemoryChannelPair()
  channels.set(`${Math.min(i, j)}-${Math.max(i, j)}`, x)
  await Promise.all([(nodes[i] as DistNode).link(x), (nodes[j] as DistNode).link(y)])
}

describe('registry convergence (property)', () => {
  it('converges to the live local registrations on every node', async () => {
    let run = 0
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        run++
        const nodes = [0, 1, 2].map((i) => createNode({ id: `p${run}-${i}` }))
        const channels = new Map<string, Channel>()
        const procs: Pid[][] = [[], [], []]
        const model: string[] = []
        try {
          await link(nodes, channels, 0, 1)
          await link(nodes, channels, 0, 2)
          await link(nodes, channels, 1, 2)
          nodes.forEach((node, i) => procs[i]!.push(node.spawn({}), node.spawn({})))
          for (const o of ops) {
            if (o.op === 'unlink') {
              const key = `${Math.min(o.i, o.j)}-${Math.max(o.i, o.j)}`
              channels.get(key)?.close()
              channels.delete(key)
              continue
            }
            const node = nodes[o.node] as DistNode
            if (o.op === 'spawn') {
              procs[o.node]!.push(node.spawn({}))
              continue
            }
            const pid = procs[o.node]![o.proc]
            if (pid === undefined) continue
            const alive = node.isAlive(pid)
            if (o.op === 'register' && alive) {
              node.register(o.name, pid)
              model.push(`${o.name}=${pid.toString()}`)
            } else if (o.op === 'unregister') {
              node.unregister(o.name, pid)
              const at = model.indexOf(`${o.name}=${pid.toString()}`)
              if (at >= 0) model.splice(at, 1)
            } else if (o.op === 'stop') {
              node.stop(pid)
              for (let k = model.length - 1; k >= 0; k--) if (model[k]!.endsWith(`=${pid.toString()}`)) model.splice(k, 1)
            }
            if (Math.random() < 0.3) await new Promise((r) => setTimeout(r, 0))
          }
          // heal: wait for dropped links to be noticed, then relink every missing pair
          await new Promise((r) => setTimeout(r, 5))
          for (const [i, j] of [[0, 1], [0, 2], [1, 2]] as const) {
            if (!(nodes[i] as DistNode).nodes().includes((nodes[j] as DistNode).id)) await link(nodes, channels, i, j)
          }
          const expected = [...model].sort()
          for (const node of nodes) {
            await eventually(() => JSON.stringify(view(node)) === JSON.stringify(expected), 2000, `convergence of ${node.id}`).catch(() => {})
            expect(view(node)).toEqual(expected)
          }
        } finally {
          await Promise.all(nodes.map((n) => n.close()))
        }
      }),
      { numRuns: 100 },
    )
  })
})
