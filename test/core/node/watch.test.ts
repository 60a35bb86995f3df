/**
 * `watch(name)` and `watchAll()` over in-memory links: the snapshot first, then every
 * change once and in the registry's order, with nothing lost between the two; leaves on
 * nodedown; unsubscribing, throwing and re-entrant listeners; and a property that a
 * watcher's snapshot with its events applied always equals the registry, whatever runs.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Channel, createMemoryChannelPair, createNode, type DistNode, type Pid, type RegistryWatchEvent, type WatchEvent } from '../../../src/core/index.js'
import { eventually } from '../../support/eventually.js'
import { memoryNodes } from '../../support/memory-nodes.js'

const nodes = memoryNodes()
const node = (id: string): DistNode => nodes.node({ id })
const pair = nodes.pair

/** A watch event as a short string: `current:<a.1.x>,<b.1.y>`, `join:<a.1.x>`, `leave:<a.1.x>`. */
function show(event: WatchEvent | RegistryWatchEvent): string {
  if (event.type !== 'current') return `${event.type}:${event.name}:${event.pid.toString()}`
  if ('pids' in event) return `current:${event.name}:${event.pids.join(',')}`
  return `current:${event.registry.map(([name, pids]) => `${name}=${pids.join(',')}`).join(' ')}`
}

/** Applies watch events to a list of members as `allPidsOf` keeps them; throws on a leave of a pid it does not hold. */
function fold(members: Pid[], event: WatchEvent): void {
  if (event.type === 'current') members.splice(0, members.length, ...event.pids)
  else if (event.type === 'join') members.push(event.pid)
  else {
    let at = members.length - 1
    while (at >= 0 && !(members[at] as Pid).equals(event.pid)) at--
    if (at < 0) throw new Error(`leave of ${event.pid.toString()} from "${event.name}", which the watcher never saw join`)
    members.splice(at, 1)
  }
}

describe('watch', () => {
  it('gives the members at once, then each join and leave, local and remote, in order', async () => {
    const a = node('a')
    const b = node('b')
    await pair(a, b)
    const pa = a.spawn({})
    const pb = b.spawn({})
    b.register('room', pb)
    await eventually(() => a.allPidsOf('room').length === 1)
    const seen: string[] = []
    const members: Pid[] = []
    a.watch('room', (event) => {
      seen.push(show(event))
      fold(members, event)
    })
    expect(seen).toEqual([`current:room:${pb}`]) // synchronous: before watch returned
    a.register('room', pa)
    a.register('room', pa)
    a.register('other', pa)
    b.unregister('room', pb)
    await eventually(() => seen.length === 4)
    a.unregister('room', pa)
    expect(seen).toEqual([`current:room:${pb}`, `join:room:${pa}`, `join:room:${pa}`, `leave:room:${pb}`, `leave:room:${pa}`])
    expect(members).toEqual(a.allPidsOf('room'))
    a.watch('nobody', (event) => seen.push(show(event)))
    expect(seen.at(-1)).toBe('current:nobody:')
  })

  it('a name registered before link() resolved is in the snapshot of a watch made right after it', async () => {
    const a = node('a')
    const b = node('b')
    const pb = b.spawn({})
    b.register('svc', pb)
    b.register('svc', pb)
    await pair(a, b)
    const seen: string[] = []
    a.watch('svc', (event) => seen.push(show(event)))
    expect(seen).toEqual([`current:svc:${pb},${pb}`])
  })

  it('when a node goes down its memberships leave, before nodedown; a stopped process leaves each name', async () => {
    const a = node('a')
    const b = node('b')
    const [x] = await pair(a, b)
    const p1 = b.spawn({})
    const p2 = b.spawn({})
    b.register('room', p1)
    b.register('room', p2)
    b.register('room', p1)
    b.register('lobby', p2)
    await eventually(() => a.allPidsOf('room').length === 3 && a.allPidsOf('lobby').length === 1)
    const seen: string[] = []
    const members: Pid[] = []
    a.watch('room', (event) => {
      seen.push(show(event))
      fold(members, event)
    })
    a.watchAll((event) => {
      if (event.type !== 'current') seen.push(`all ${show(event)}`)
    })
    a.on('nodedown', (id) => seen.push(`nodedown:${id}`))
    x.close()
    await eventually(() => seen.includes('nodedown:b'))
    expect(seen).toEqual([
      `current:room:${p1},${p2},${p1}`,
      `leave:room:${p1}`,
      `all leave:room:${p1}`,
      `leave:room:${p2}`,
      `all leave:room:${p2}`,
      `leave:room:${p1}`,
      `all leave:room:${p1}`,
      `all leave:lobby:${p2}`,
      'nodedown:b',
    ])
    expect(members).toEqual([])

    const local = a.spawn({})
    a.register('room', local)
    a.register('lobby', local)
    seen.length = 0
    a.stop(local)
    expect(seen).toEqual([`leave:room:${local}`, `all leave:room:${local}`, `all leave:lobby:${local}`])
  })

  it('unsubscribing stops deliveries at once, from inside a listener too, also those already due', () => {
    const a = node('a')
    const seen: string[] = []
    const stopFirst = a.watch('n', (event) => seen.push(`first ${show(event)}`))
    let stopSecond = (): void => {}
    // the second watcher, on its first join, unsubscribes itself and the third
    stopSecond = a.watch('n', (event) => {
      seen.push(`second ${show(event)}`)
      if (event.type === 'join') {
        stopSecond()
        stopThird()
        stopThird()
      }
    })
    const stopThird = a.watch('n', (event) => seen.push(`third ${show(event)}`))
    const p = a.spawn({})
    a.register('n', p)
    stopFirst()
    a.register('n', p)
    expect(seen).toEqual(['first current:n:', 'second current:n:', 'third current:n:', `first join:n:${p}`, `second join:n:${p}`])
  })

  it('a listener that throws is reported; the others and later events go on', () => {
    const a = node('a')
    const reported: unknown[] = []
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'reportError')
    Object.defineProperty(globalThis, 'reportError', { value: (error: unknown) => reported.push(error), configurable: true, writable: true })
    try {
      const seen: string[] = []
      a.watch('n', (event) => {
        if (event.type === 'join') throw new Error('listener failed')
      })
      a.watch('n', (event) => seen.push(show(event)))
      const p = a.spawn({})
      a.register('n', p)
      a.unregister('n', p)
      expect(seen).toEqual(['current:n:', `join:n:${p}`, `leave:n:${p}`])
      expect(reported).toHaveLength(1)
      expect((reported[0] as Error).message).toBe('listener failed')
    } finally {
      if (saved) Object.defineProperty(globalThis, 'reportError', saved)
      else delete (globalThis as { reportError?: unknown }).reportError
    }
  })

  it('changes made by a listener come after the current event reached every listener; a watch made by a listener starts after it', () => {
    const a = node('a')
    const [p, q] = [a.spawn({}), a.spawn({})]
    const seen: string[] = []
    const late: string[] = []
    let lateAtReturn: string[] | undefined
    let depth = 0
    let reentered = false
    a.watch('n', (event) => {
      if (depth > 0) reentered = true
      depth++
      seen.push(`first ${show(event)}`)
      if (event.type === 'join' && event.pid.equals(p)) {
        a.register('n', q) // applied now, delivered once this event has reached the second watcher
        a.watch('n', (e) => late.push(show(e)))
        lateAtReturn = [...late] // queued behind the deliveries under way
      }
      depth--
    })
    a.watch('n', (event) => seen.push(`second ${show(event)}`))
    a.register('n', p)
    a.unregister('n', p)
    expect(reentered).toBe(false)
    expect(lateAtReturn).toEqual([])
    expect(seen).toEqual([
      'first current:n:',
      'second current:n:',
      `first join:n:${p}`,
      `second join:n:${p}`,
      `first join:n:${q}`,
      `second join:n:${q}`,
      `first leave:n:${p}`,
      `second leave:n:${p}`,
    ])
    // the late watcher's snapshot already held q (registered before it): no join of q for it
    expect(late).toEqual([`current:n:${p},${q}`, `leave:n:${p}`])
  })

  it('a watch started while a lost node\'s pids are leaving gets only the leaves after its snapshot', async () => {
    const a = node('a')
    const b = node('b')
    const [x] = await pair(a, b)
    const [p1, p2, p3] = [b.spawn({}), b.spawn({}), b.spawn({})]
    for (const p of [p1, p2, p3]) b.register('room', p)
    await eventually(() => a.allPidsOf('room').length === 3)
    const late: string[] = []
    let lateMembers: Pid[] | undefined
    a.on('leave', (_name, pid) => {
      // every membership of b is gone from the registry already; their events are still coming
      if (pid.equals(p1)) {
        lateMembers = []
        const members = lateMembers
        a.watch('room', (event) => {
          late.push(show(event))
          fold(members, event)
        })
      }
    })
    const early: string[] = []
    a.watch('room', (event) => early.push(show(event)))
    x.close()
    await eventually(() => a.nodes().length === 0)
    expect(early).toEqual([`current:room:${p1},${p2},${p3}`, `leave:room:${p1}`, `leave:room:${p2}`, `leave:room:${p3}`])
    expect(late).toEqual(['current:room:'])
    expect(lateMembers).toEqual([])
  })

  it('watchAll gives the whole registry at once, then every change of every name', async () => {
    const a = node('a')
    const b = node('b')
    const pb = b.spawn({})
    b.register('x', pb)
    await pair(a, b)
    const pa = a.spawn({})
    a.register('y', pa)
    const seen: string[] = []
    const stop = a.watchAll((event) => seen.push(show(event)))
    b.register('z', pb)
    await eventually(() => seen.length === 2)
    a.stop(pa)
    stop()
    a.register('y', a.spawn({}))
    expect(seen).toEqual([`current:x=${pb} y=${pa}`, `join:z:${pb}`, `leave:y:${pa}`])
  })

  it('checks its arguments', () => {
    const a = node('a')
    expect(() => a.watch('', () => {})).toThrow(/name/)
    expect(() => a.watch('n', 'no' as never)).toThrow(/listener/)
    expect(() => a.watchAll(undefined as never)).toThrow(/listener/)
  })
})

type Op =
  | { op: 'register'; node: number; proc: number; name: string }
  | { op: 'unregister'; node: number; proc: number; name: string }
  | { op: 'stop'; node: number; proc: number }
  | { op: 'spawn'; node: number }
  | { op: 'unlink' }
  | { op: 'watch'; name: string; nested: boolean }
  | { op: 'unwatch'; index: number }

const NAMES = ['a', 'b']
const ops: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('register' as const), node: fc.nat(1), proc: fc.nat(2), name: fc.constantFrom(...NAMES) }),
  fc.record({ op: fc.constant('register' as const), node: fc.nat(1), proc: fc.nat(2), name: fc.constantFrom(...NAMES) }),
  fc.record({ op: fc.constant('unregister' as const), node: fc.nat(1), proc: fc.nat(2), name: fc.constantFrom(...NAMES) }),
  fc.record({ op: fc.constant('stop' as const), node: fc.nat(1), proc: fc.nat(2) }),
  fc.record({ op: fc.constant('spawn' as const), node: fc.nat(1) }),
  fc.record({ op: fc.constant('unlink' as const) }),
  fc.record({ op: fc.constant('watch' as const), name: fc.constantFrom(...NAMES), nested: fc.boolean() }),
  fc.record({ op: fc.constant('unwatch' as const), index: fc.nat(5) }),
)

describe('watch (property)', () => {
  it("a watcher's snapshot with its events applied equals allPidsOf, whatever runs (watches started from inside listeners, nodes going down)", async () => {
    let run = 0
    await fc.assert(
      fc.asyncProperty(fc.array(ops, { minLength: 1, maxLength: 40 }), async (script) => {
        run++
        const a = createNode({ id: `w${run}-a` })
        const b = createNode({ id: `w${run}-b` })
        let channel: Channel | undefined
        const relink = async (): Promise<void> => {
          const [x, y] = createMemoryChannelPair()
          await Promise.all([a.link(x), b.link(y)])
          channel = x
        }
        const watchers: Array<{ name: string; members: Pid[]; stop: () => void; stopped: boolean }> = []
        const failures: string[] = []
        const watch = (name: string): void => {
          const watcher = { name, members: [] as Pid[], stop: () => {}, stopped: false }
          watchers.push(watcher)
          watcher.stop = a.watch(name, (event) => {
            if (watcher.stopped) failures.push(`event after unsubscribe: ${show(event)}`)
            try {
              fold(watcher.members, event)
            } catch (error) {
              failures.push((error as Error).message)
            }
          })
        }
        // a watcher that starts another watch from inside its listener, in the middle of
        // whatever batch of changes is being delivered (a node's pids leaving all at once)
        let nestedWatch: string | undefined
        a.watchAll((event) => {
          if (event.type === 'leave' && nestedWatch !== undefined) {
            const name = nestedWatch
            nestedWatch = undefined
            watch(name)
          }
        })
        const procs: Pid[][] = [[a.spawn({}), a.spawn({})], [b.spawn({}), b.spawn({})]]
        try {
          await relink()
          for (const o of script) {
            if (o.op === 'watch') {
              if (o.nested) nestedWatch = o.name
              else watch(o.name)
            } else if (o.op === 'unwatch') {
              const watcher = watchers[o.index]
              if (watcher !== undefined) {
                watcher.stop()
                watcher.stopped = true
              }
            } else if (o.op === 'unlink') {
              channel?.close()
              await eventually(() => a.nodes().length === 0 && b.nodes().length === 0)
              await relink()
            } else {
              const n = o.node === 0 ? a : b
              if (o.op === 'spawn') procs[o.node]!.push(n.spawn({}))
              else {
                const pid = procs[o.node]![o.proc]
                if (pid === undefined || !n.isAlive(pid)) continue
                if (o.op === 'register') n.register(o.name, pid)
                else if (o.op === 'unregister') n.unregister(o.name, pid)
                else n.stop(pid)
              }
            }
            await new Promise((r) => setTimeout(r, 0))
          }
          // joins that raced are listed in another order on each node: compare as sets of memberships
          const view = (n: DistNode): string => JSON.stringify(n.registry().flatMap(([name, pids]) => pids.map((pid) => `${name}=${pid}`)).sort())
          await eventually(() => view(a) === view(b), 2000, 'the two nodes to agree')
          expect(failures).toEqual([])
          for (const watcher of watchers) if (!watcher.stopped) expect(watcher.members.map(String)).toEqual(a.allPidsOf(watcher.name).map(String))
        } finally {
          await Promise.all([a.close(), b.close()])
        }
      }),
      { numRuns: 100 },
    )
  })
})
