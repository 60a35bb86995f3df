/**
 * A peer that sends anything: the node drops each bad frame with an `error` event, keeps
 * running and loses no state.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type Channel, createMemoryChannelPair, createNode, type DistNode, encodeValue, Pid } from '../../../src/core/index.js'
import { eventually } from '../../support/eventually.js'

interface Harness {
  node: DistNode
  raw: Channel
  received: unknown[]
  errors: string[]
  send(frame: unknown): void
}

const open: DistNode[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close()))
})

/** A node linked to a raw channel end driven by the test, handshake done as `evil`. */
async function harness(): Promise<Harness> {
  const node = createNode({ id: 'victim', maxFrameBytes: 4096 })
  open.push(node)
  const [x, raw] = createMemoryChannelPair()
  const received: unknown[] = []
  const errors: string[] = []
  node.on('error', (e) => errors.push(e.message))
  raw.onMessage((f) => {
    const parsed = JSON.parse(String(f)) as unknown
    if (Array.isArray(parsed)) received.push(...parsed)
    else received.push(parsed)
  })
  const linked = node.link(x)
  const send = (frame: unknown): void => raw.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  send({ v: 2, t: 'hello', node: 'evil', inc: 1 })
  send({ v: 2, t: 'sync', names: [['evil-name', [1]]] })
  await linked // resolves with the sync: the names are in
  expect(node.allPidsOf('evil-name')).toHaveLength(1)
  return { node, raw, received, errors, send }
}

function snapshot(node: DistNode): string {
  return JSON.stringify(node.registry().map(([name, pids]) => [name, pids.map(String)]))
}

describe('hostile frames', () => {
  it('drops malformed, unknown, oversized and forged frames and keeps its state', async () => {
    const h = await harness()
    const mine = h.node.spawn({ handleCall: (m) => m })
    h.node.register('mine', mine)
    const before = snapshot(h.node)
    const bad: unknown[] = [
      'not json',
      '{"v":2,"t":"join"',
      '42',
      'null',
      '[[1,2]]',
      { v: 1, t: 'ping' }, // version 1: no incarnations, no longer spoken
      { t: 'ping' },
      { v: 2, t: 'explode' },
      // frame types named like what every object inherits: never looked up on an object
      { v: 2, t: 'toString' },
      { v: 2, t: 'constructor' },
      { v: 2, t: '__proto__' },
      { v: 2, t: 'hasOwnProperty' },
      { v: 2, t: 7 },
      { v: 2, t: 'join', name: 'mine', pid: ['victim', mine.id] },
      { v: 2, t: 'leave', name: 'mine', pid: ['victim', mine.id] },
      { v: 2, t: 'join', name: '', pid: ['evil', 1] },
      { v: 2, t: 'join', name: 'x', pid: ['evil', -1] },
      { v: 2, t: 'join', name: 'x', pid: 'evil' },
      { v: 2, t: 'sync', names: [['mine', [mine.id]]] },
      { v: 2, t: 'hello', node: 'evil2', inc: 1 },
      { v: 2, t: 'call', ref: 'a', to: mine.id, msg: { json: 1 } },
      { v: 2, t: 'call', ref: 1, to: mine.id },
      { v: 2, t: 'cast', to: mine.id, msg: { json: 1 }, from: ['victim', mine.id] },
      { v: 2, t: 'reply', ref: 12345, ok: true, value: { json: 1 } },
      { v: 2, t: 'reply', ref: 1, ok: 'maybe' },
      { v: 2, t: 'mon', ref: 1.5, pid: 1 },
      { v: 2, t: 'rpc', ref: 1, mod: 'M', fn: 'f', args: 'nope' },
      { v: 2, t: 'leave', name: 'never-joined', pid: ['evil', 1] },
      `{"v":2,"t":"ping","pad":"${'x'.repeat(5000)}"}`,
      '{"__proto__":{"polluted":true},"v":2,"t":"ping"}',
    ]
    for (const frame of bad) h.send(frame)
    // every frame but the late reply (legitimate) and the ping stripped of its __proto__ key
    await eventually(() => h.errors.length === bad.length - 2, 2000, 'an error for every bad frame')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(snapshot(h.node)).toBe(before)
    expect(h.node.nodes()).toEqual(['evil'])
    expect(h.errors.some((e) => /claims pid <victim\./.test(e))).toBe(true)
    expect(h.errors.some((e) => /exceeds the limit/.test(e))).toBe(true)
    expect(h.errors.some((e) => /unsupported protocol version/.test(e))).toBe(true)
    for (const t of ['"toString"', '"constructor"', '"__proto__"', '"hasOwnProperty"', 'number']) {
      expect(h.errors.filter((e) => e.includes(`unknown frame type ${t}`))).toHaveLength(1)
    }
    // "__proto__" is an ordinary name (the registry uses Maps); a "constructor" key is stripped
    h.send('{"v":2,"t":"join","name":"__proto__","pid":["evil",1],"constructor":{"prototype":{"polluted":true}}}')
    await eventually(() => h.node.allPidsOf('__proto__').length === 1)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    // still fully working afterwards
    h.send({ v: 2, t: 'call', ref: 7, to: mine.id, msg: encodeValue({ still: 'alive' }) })
    await eventually(() => h.received.some((f) => (f as { t?: string; ref?: number }).t === 'reply' && (f as { ref: number }).ref === 7))
    const reply = h.received.find((f) => (f as { ref?: number }).ref === 7) as { ok: boolean }
    expect(reply.ok).toBe(true)
  })

  it('answers a call with a forged caller or an undecodable message with an error, not silence', async () => {
    const h = await harness()
    const p = h.node.spawn({ handleCall: (m) => m })
    h.send({ v: 2, t: 'call', ref: 1, to: p.id, from: ['victim', p.id], msg: { json: 1 } })
    h.send({ v: 2, t: 'call', ref: 2, to: p.id, msg: { json: 5, meta: { values: [['custom', 'Pid']] } } })
    h.send({ v: 2, t: 'call', ref: 3, to: 999, msg: { json: 1 } })
    await eventually(() => h.received.filter((f) => (f as { t: string }).t === 'reply').length === 3)
    const replies = h.received.filter((f) => (f as { t: string }).t === 'reply') as Array<{ ref: number; ok: boolean; error: { code: string } }>
    expect(replies.map((r) => [r.ref, r.ok, r.error.code])).toEqual([
      [1, false, 'badarg'],
      [2, false, 'badarg'],
      [3, false, 'noproc'],
    ])
  })

  it('binary attachments: held frames wait for them; missing, stray, miscounted or unused ones are dropped with an error', async () => {
    const h = await harness()
    const sizes: unknown[] = []
    const p = h.node.spawn({
      handleCall: (m) => (m as { file: Uint8Array }).file.byteLength,
      handleCast: (m) => void sizes.push(m instanceof Uint8Array ? m.byteLength : m),
    })
    const meta = { values: { file: [['custom', 'bin']] } }
    // a well-formed call with one attachment, and a cast queued behind it in the same message
    h.raw.send(JSON.stringify([
      { v: 2, t: 'call', ref: 1, to: p.id, msg: { json: { file: 0 }, meta, b: 1 } },
      { v: 2, t: 'cast', to: p.id, msg: { json: 'behind' } },
    ]))
    await new Promise((r) => setTimeout(r, 20))
    expect(sizes).toEqual([]) // the cast waits behind the call's attachment
    h.raw.send(new Uint8Array(1000))
    await eventually(() => sizes.length === 1)
    expect(sizes).toEqual(['behind'])
    await eventually(() => h.received.some((f) => (f as { ref?: number }).ref === 1))
    expect(h.received.find((f) => (f as { ref?: number }).ref === 1)).toMatchObject({ ok: true, value: { json: 1000 } })
    const errorsBefore = h.errors.length
    // announced two, one came, then text: the frame and the frames after it are dropped
    h.raw.send(JSON.stringify([
      { v: 2, t: 'cast', to: p.id, msg: { json: 0, meta: { values: [['custom', 'bin']] }, b: 2 } },
      { v: 2, t: 'cast', to: p.id, msg: { json: 'lost' } },
    ]))
    h.raw.send(new Uint8Array(3))
    h.send({ v: 2, t: 'cast', to: p.id, msg: { json: 'after' } })
    // a stray binary message with nothing waiting: read as text, which is not JSON
    h.raw.send(new Uint8Array([0x80, 0x81]))
    // bad counts: zero, too many, not an integer, without meta
    for (const b of [0, 5000, 1.5]) h.send({ v: 2, t: 'cast', to: p.id, msg: { json: 0, meta: {}, b } })
    h.send({ v: 2, t: 'cast', to: p.id, msg: { json: 0, b: 1 } })
    // an index that points past the attachments
    h.send({ v: 2, t: 'call', ref: 2, to: p.id, msg: { json: { file: 3 }, meta, b: 1 } })
    h.raw.send(new Uint8Array(1))
    await eventually(() => h.received.some((f) => (f as { ref?: number }).ref === 2))
    expect(h.received.find((f) => (f as { ref?: number }).ref === 2)).toMatchObject({ ok: false, error: { code: 'badarg' } })
    await eventually(() => sizes.length === 2)
    expect(sizes).toEqual(['behind', 'after'])
    const errors = h.errors.slice(errorsBefore)
    expect(errors.some((e) => /lost its attachments \(1 of 2 came\); 1 frames after it dropped/.test(e))).toBe(true)
    expect(errors.some((e) => /not valid JSON/.test(e))).toBe(true)
    expect(errors.filter((e) => /cast: bad fields/.test(e))).toHaveLength(4)
    expect(errors.some((e) => /undecodable call message/.test(e))).toBe(true)
    expect(h.node.nodes()).toEqual(['evil'])
  })

  it('text attachments: a long string leaves as its own text message; wrong kinds, bad UTF-8, bad indexes and reuse are dropped', async () => {
    const long = 'ü'.repeat(70_000)
    const encoded = encodeValue({ a: long, b: new Uint8Array([7]) })
    expect(encoded).toMatchObject({ json: { a: 0, b: 0 }, b: 1, s: 1 }) // the string is not in the JSON
    expect(encodeValue('short')).toEqual({ json: 'short' })
    const h = await harness()
    const got: unknown[] = []
    const p = h.node.spawn({ handleCall: (m) => m, handleCast: (m) => void got.push(typeof m === 'string' && m.length > 100 ? m.length : m) })
    const str = { values: [['custom', 'str']] }
    // a text attachment (as text, then as UTF-8 bytes) with a cast behind it
    h.raw.send(JSON.stringify([{ v: 2, t: 'cast', to: p.id, msg: { json: 0, meta: str, s: 1 } }, { v: 2, t: 'cast', to: p.id, msg: { json: 'behind' } }]))
    await new Promise((r) => setTimeout(r, 20))
    expect(got).toEqual([])
    h.raw.send('t'.repeat(3000)) // (this node takes at most 4096 bytes a message)
    h.send({ v: 2, t: 'cast', to: p.id, msg: { json: 0, meta: str, s: 1 } })
    h.raw.send(new TextEncoder().encode('ü'.repeat(2000)))
    await eventually(() => got.length === 3)
    expect(got).toEqual([3000, 'behind', 2000])
    const errorsBefore = h.errors.length
    // bytes that are not UTF-8 where text is due
    h.send({ v: 2, t: 'cast', to: p.id, msg: { json: 0, meta: str, s: 1 } })
    h.raw.send(new Uint8Array([0xc3, 0x28]))
    // text where a byte array is due: the frame lost its attachments
    h.send({ v: 2, t: 'cast', to: p.id, msg: { json: 0, meta: { values: [['custom', 'bin']] }, b: 1, s: 1 } })
    h.raw.send('not bytes')
    // a byte array named as text, an index past the texts, one text used twice
    h.send({ v: 2, t: 'call', ref: 7, to: p.id, msg: { json: 0, meta: str, b: 1 } })
    h.raw.send(new Uint8Array(2))
    h.send({ v: 2, t: 'call', ref: 8, to: p.id, msg: { json: 1, meta: str, s: 1 } })
    h.raw.send('x')
    h.send({ v: 2, t: 'call', ref: 9, to: p.id, msg: { json: [0, 0], meta: { values: { 0: [['custom', 'str']], 1: [['custom', 'str']] } }, s: 1 } })
    h.raw.send('x')
    h.send({ v: 2, t: 'cast', to: p.id, msg: { json: 'last' } })
    await eventually(() => got.includes('last'))
    await eventually(() => [7, 8, 9].every((ref) => h.received.some((f) => (f as { ref?: number }).ref === ref)))
    for (const ref of [7, 8, 9]) expect(h.received.find((f) => (f as { ref?: number }).ref === ref)).toMatchObject({ ok: false, error: { code: 'badarg' } })
    const errors = h.errors.slice(errorsBefore)
    expect(errors.some((e) => /text attachment of a cast frame is not UTF-8/.test(e))).toBe(true)
    expect(errors.some((e) => /lost its attachments \(0 of 2 came\)/.test(e))).toBe(true)
    expect(got).toEqual([3000, 'behind', 2000, 'last'])
  })

  it('rejects a duplicate sync and a second hello without touching the registry', async () => {
    const h = await harness()
    h.send({ v: 2, t: 'sync', names: [['other', [2]]] })
    h.send({ v: 2, t: 'hello', node: 'evil', inc: 1 })
    await eventually(() => h.errors.length === 2)
    expect(h.node.allPidsOf('other')).toEqual([])
    expect(h.node.allPidsOf('evil-name')).toEqual([new Pid('evil', 1, 1)])
  })

  it('a frame before the handshake is dropped', async () => {
    const node = createNode({ id: 'early' })
    open.push(node)
    const errors: string[] = []
    node.on('error', (e) => errors.push(e.message))
    const [x, raw] = createMemoryChannelPair()
    const linked = node.link(x)
    raw.send(JSON.stringify({ v: 2, t: 'join', name: 'n', pid: ['evil', 1] }))
    raw.send(JSON.stringify({ v: 2, t: 'hello', node: 'evil', inc: 1 }))
    raw.send(JSON.stringify({ v: 2, t: 'sync', names: [] }))
    await linked
    expect(errors).toEqual(['join frame before the handshake'])
    expect(node.registry()).toEqual([])
  })

  it('link() resolves with the peer’s registry in; a link lost before the sync rejects and fires no nodedown', async () => {
    const node = createNode({ id: 'waiting' })
    open.push(node)
    const events: string[] = []
    node.on('nodeup', (n) => events.push(`up:${n}`))
    node.on('nodedown', (n) => events.push(`down:${n}`))
    const [x, raw] = createMemoryChannelPair()
    let resolved = false
    const linked = node.link(x).then((id) => ((resolved = true), id))
    raw.send(JSON.stringify({ v: 2, t: 'hello', node: 'slow', inc: 1 }))
    await new Promise((r) => setTimeout(r, 50))
    expect(resolved).toBe(false)
    expect(events).toEqual([])
    raw.send(JSON.stringify({ v: 2, t: 'sync', names: [['there', [3]]] }))
    expect(await linked).toBe('slow')
    expect(node.allPidsOf('there').map(String)).toEqual([new Pid('slow', 3, 1).toString()])
    expect(events).toEqual(['up:slow'])

    const [y, raw2] = createMemoryChannelPair()
    const cut = node.link(y).catch((e: unknown) => e)
    raw2.send(JSON.stringify({ v: 2, t: 'hello', node: 'cut', inc: 1 }))
    await new Promise((r) => setTimeout(r, 20))
    raw2.close()
    expect(await cut).toMatchObject({ code: 'closed' })
    expect(events).toEqual(['up:slow'])
    expect(node.nodes()).toEqual(['slow'])
  })
})
