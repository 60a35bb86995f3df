/**
 * Moving a link between the relay and a direct path while messages flow both ways:
 * nothing lost, repeated or reordered, and the direct path closed only once drained.
 */
import { describe, expect, it } from 'vitest'
import { LinkLostError } from '../../../src/core/api/channel.js'
import { type Path, PathChannel } from '../../../src/core/mesh/path-channel.js'
import { eventually } from '../../support/eventually.js'

type Item = { message: string | Uint8Array } | { control: number }

/** Two ends of an in-memory path: messages and control chunks in order, after a random delay per batch. */
interface TestPath extends Path {
  closed: boolean
  peer: TestPath | undefined
  deliver(item: Item): void
}

function pathPair(maxDelayMs: number): [TestPath, TestPath] {
  const make = (): TestPath => {
    // like a data channel, what arrives before the handlers are set waits for them
    let onMessage: ((m: string | Uint8Array) => void) | undefined
    let onControl: ((k: number) => void) | undefined
    const early: Item[] = []
    const hand = (item: Item): void => {
      if (onMessage === undefined || onControl === undefined) early.push(item)
      else if ('message' in item) onMessage(item.message)
      else onControl(item.control)
    }
    const flushEarly = (): void => {
      if (onMessage === undefined || onControl === undefined) return
      for (const item of early.splice(0)) hand(item)
    }
    let onClose: (e?: Error) => void = () => {}
    let chain = Promise.resolve()
    let lastAt = 0
    const end: TestPath = {
      closed: false,
      peer: undefined,
      send(message: string | Uint8Array) {
        if (!end.closed) end.peer?.deliver({ message })
      },
      sendControl(kind: number) {
        if (!end.closed) end.peer?.deliver({ control: kind })
      },
      onMessage: (h: (m: string | Uint8Array) => void) => {
        onMessage = h
        flushEarly()
      },
      onControl: (h: (k: number) => void) => {
        onControl = h
        flushEarly()
      },
      onClose: (h: typeof onClose) => void (onClose = h),
      close() {
        if (end.closed) return
        end.closed = true
        chain = chain.then(() => onClose())
        end.peer?.close()
      },
      deliver(item: Item) {
        // in order, each at most maxDelayMs after it was sent: paths run at different speeds
        const at = Math.max(lastAt, performance.now() + Math.random() * maxDelayMs)
        lastAt = at
        const arrived = new Promise<void>((r) => setTimeout(r, at - performance.now()))
        chain = chain.then(() => arrived).then(() => {
          if (!end.closed) hand(item)
        })
      },
    }
    return end
  }
  const a = make()
  const b = make()
  a.peer = b
  b.peer = a
  return [a, b]
}

const now = (): number => performance.now()

describe('path channel', () => {
  it('moves relay → direct → relay under a stream both ways: every message once, in order; the direct path closes once drained', async () => {
    const [ra, rb] = pathPair(3)
    const [da, db] = pathPair(1)
    const a = new PathChannel({ relay: ra }, { maxHeldBytes: 1 << 20, now })
    const b = new PathChannel({ relay: rb }, { maxHeldBytes: 1 << 20, now })
    const gotA: string[] = []
    const gotB: string[] = []
    a.onMessage((m) => gotA.push(String(m)))
    b.onMessage((m) => gotB.push(String(m)))
    let n = 0
    const pump = setInterval(() => {
      for (let i = 0; i < 5; i++, n++) {
        a.send(`a${n}`)
        b.send(`b${n}`)
      }
    }, 2)
    await new Promise((r) => setTimeout(r, 30))
    a.attachDirect(da) // the two sides open at different moments
    await new Promise((r) => setTimeout(r, 15))
    b.attachDirect(db)
    await eventually(() => a.heartbeat && b.heartbeat, 2000, 'both directions direct')
    expect([a.via, b.via]).toEqual(['direct', 'direct'])
    await new Promise((r) => setTimeout(r, 30))
    b.demote() // one side demotes; the other follows
    await eventually(() => da.closed && db.closed, 3000, 'the direct path closed after draining')
    expect([a.via, b.via]).toEqual(['relay', 'relay'])
    expect(a.hasDirect || b.hasDirect).toBe(false)
    clearInterval(pump)
    await eventually(() => gotA.length === n && gotB.length === n, 3000, 'every message')
    expect(gotB).toEqual(Array.from({ length: n }, (_, i) => `a${i}`))
    expect(gotA).toEqual(Array.from({ length: n }, (_, i) => `b${i}`))
  })

  it('a direct path that fails while it carries the link fails the link; one that fails idle is dropped', async () => {
    const [ra, rb] = pathPair(1)
    const [da, db] = pathPair(1)
    const a = new PathChannel({ relay: ra }, { maxHeldBytes: 1 << 20, now })
    const b = new PathChannel({ relay: rb }, { maxHeldBytes: 1 << 20, now })
    a.onMessage(() => {})
    b.onMessage(() => {})
    const closes: Array<Error | undefined> = []
    a.onClose((e) => closes.push(e))
    a.attachDirect(da)
    b.attachDirect(db)
    await eventually(() => a.heartbeat)
    da.close()
    await eventually(() => closes.length === 1)
    expect(closes[0]).toBeInstanceOf(LinkLostError)

    const [rc, rd] = pathPair(1)
    const [dc] = pathPair(1)
    const c = new PathChannel({ relay: rc }, { maxHeldBytes: 1 << 20, now })
    new PathChannel({ relay: rd }, { maxHeldBytes: 1 << 20, now }).onMessage(() => {})
    const cCloses: unknown[] = []
    c.onClose((e) => cCloses.push(e))
    c.attachDirect(dc)
    c.demote() // back on the relay before anything went on the direct path
    ;(dc as Path).close()
    await new Promise((r) => setTimeout(r, 20))
    expect(cCloses).toEqual([])
  })

  it('what comes on the new path before the switch is held within a bound', async () => {
    const [ra] = pathPair(1)
    const [da, db] = pathPair(0)
    const a = new PathChannel({ relay: ra }, { maxHeldBytes: 100, now })
    const closes: Array<Error | undefined> = []
    a.onClose((e) => closes.push(e))
    a.onMessage(() => {})
    a.attachDirect(da)
    for (let i = 0; i < 20; i++) db.send('x'.repeat(10)) // a hostile peer floods the direct path, never switching
    await eventually(() => closes.length === 1)
    expect(closes[0]).toMatchObject({ reason: 'transport_error' })
  })
})
