/**
 * End to end with a password: the hub (and an observer on it) sees only ciphertext of the
 * relayed traffic and the signals; a member with another password never links and is
 * reported by name; a signal the hub alters makes the pair refuse to link.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { passwordSealer } from '../../src/core/hub/sealed.js'
import { connect, createHub, type DistNode, type Hub } from '../../src/server/index.js'
import { eventually } from '../support/eventually.js'

const open: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close().catch(() => {})
})

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A hub whose observer records every relay and signal payload, as text. */
async function observedHub(): Promise<{ hub: Hub; seen: string[] }> {
  const hub = await createHub({ port: 0, logger: { info() {}, warn() {}, error() {} } })
  open.push(hub)
  const seen: string[] = []
  hub.io.on('connection', (socket) => {
    socket.onAny((event: string, payload: unknown) => {
      if (event !== 'relay' && event !== 'signal') return
      const d = typeof payload === 'object' && payload !== null ? Reflect.get(payload, event === 'relay' ? 'd' : 'data') : undefined
      seen.push(d instanceof Uint8Array ? Buffer.from(d).toString('latin1') : JSON.stringify(d ?? null))
    })
  })
  return { hub, seen }
}

async function member(hub: Hub, cluster: string, id: string, extra: Record<string, unknown>): Promise<DistNode & { errors: string[] }> {
  const node = await connect({ hub: hub.url, cluster, id, ...extra })
  open.push(node)
  const errors: string[] = []
  node.on('error', (error: Error) => void errors.push(error.message))
  return Object.assign(node, { errors })
}

describe('password', { timeout: 30_000 }, () => {
  it('relayed calls and signals pass the hub as ciphertext only; the pair still links, over the relay and then directly', async () => {
    const { hub, seen } = await observedHub()
    const a = await member(hub, 'secret', 'a', { password: 'correct horse battery staple' })
    const b = await member(hub, 'secret', 'b', { password: 'correct horse battery staple' })
    b.register('vault', b.spawn({ handleCall: (msg) => `b keeps ${String(msg)}` }))
    await eventually(() => a.allPidsOf('vault').length === 1, 5000)
    expect(await a.call('vault', 'the-plaintext-marker')).toBe('b keeps the-plaintext-marker')
    await eventually(() => a.links()[0]?.path === 'direct', 10_000, 'the direct link (through sealed signals)')
    expect(await a.call('vault', 'after the move')).toBe('b keeps after the move')
    expect(seen.length).toBeGreaterThan(5)
    for (const text of seen) {
      // markers of five bytes or more: a ciphertext matches a shorter one by chance (base64
      // has no quote, so '"sdp"' cannot appear in a sealed signal's text unless in plain)
      for (const plain of ['the-plaintext-marker', 'vault', 'hello', '"sdp"', 'candidate', 'fingerprint']) expect(text, `the hub saw ${plain}`).not.toContain(plain)
    }
    expect([...a.errors, ...b.errors]).toEqual([])
  })

  it('a member with another password never links, and the others name it', async () => {
    const { hub } = await observedHub()
    const a = await member(hub, 'pw', 'a', { password: 'right' })
    const b = await member(hub, 'pw', 'b', { password: 'right' })
    const wrong = await member(hub, 'pw', 'wrong', { password: 'wrong' })
    await eventually(() => a.errors.some((e) => e.includes('wrong')) && b.errors.some((e) => e.includes('wrong')), 5000, 'a and b name it')
    await sleep(1500)
    expect(a.nodes()).toEqual(['b'])
    expect(wrong.nodes()).toEqual([])
    await eventually(() => wrong.errors.some((e) => e.includes('does not open')), 3000, 'the wrong one told too')
  })

  it('a signal the hub alters makes the pair refuse to link (relay: false: no other path)', async () => {
    const { hub } = await observedHub()
    hub.io.on('connection', (socket) => {
      socket.use(([event, payload], next) => {
        const data = event === 'signal' && typeof payload === 'object' && payload !== null ? Reflect.get(payload, 'data') : undefined
        const sealed = typeof data === 'object' && data !== null ? Reflect.get(data, 'sealed') : undefined
        if (typeof sealed === 'string') Reflect.set(data as object, 'sealed', (sealed[0] === 'A' ? 'B' : 'A') + sealed.slice(1))
        next()
      })
    })
    const a = await member(hub, 'mitm', 'a', { password: 'pw', relay: false })
    const b = await member(hub, 'mitm', 'b', { password: 'pw', relay: false })
    await eventually(() => a.errors.length + b.errors.length > 0, 5000, 'the altered signal reported')
    await sleep(1500)
    expect(a.nodes()).toEqual([])
    expect(b.nodes()).toEqual([])
  })

  it('without WebCrypto (a plain-http page on a LAN address) a password fails at once, saying why', async () => {
    await expect(passwordSealer('pw', 'c', {})).rejects.toThrow(/secure page/)
  })
})
