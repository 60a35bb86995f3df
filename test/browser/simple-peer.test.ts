/**
 * simple-peer's browser build (src/vendor/simple-peer/simple-peer.js, what `createBrowserPeer` uses):
 * it is what scripts/simple-peer/build.mjs makes from the installed simple-peer, it has no
 * Node built-in or global left for an app's bundler to trip on, and it carries the library
 * over real WebRTC (node-datachannel standing in for the browser's RTCPeerConnection)
 * exactly as simple-peer's prebundled file did: the Channel compliance checks, and the
 * messages that arrive before the channel is made.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createContext, runInContext } from 'node:vm'
import { transform } from 'esbuild'
import { describe, expect, it } from 'vitest'
import Peer from '../../src/vendor/simple-peer/simple-peer.js'
import { channelFromPeer } from '../../src/core/webrtc/data-channel.js'
import { unreadMessagesOf, type PeerLike } from '../../src/core/webrtc/simple-peer.js'
import { nodeWrtc } from '../../src/server/wrtc.js'
import { channelCompliance, type ChannelPair } from '../../src/testing/index.js'
import { eventually } from '../support/eventually.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const built = readFileSync(new URL('../../src/vendor/simple-peer/simple-peer.js', import.meta.url), 'utf8')

type PeerClass = typeof Peer
const wrtc = nodeWrtc as unknown as NonNullable<Peer.Options['wrtc']>

/** Two connected peers of `Class` (a failed connect fails the test: none may fail). */
async function peerPair(Class: PeerClass = Peer): Promise<[PeerLike, PeerLike]> {
  const a: PeerLike = new Class({ initiator: true, trickle: true, config: { iceServers: [] }, wrtc })
  const b: PeerLike = new Class({ initiator: false, trickle: true, config: { iceServers: [] }, wrtc })
  a.on('signal', (data) => b.destroyed || b.signal(data))
  b.on('signal', (data) => a.destroyed || a.signal(data))
  const connected = (p: PeerLike): Promise<void> =>
    new Promise((resolve, reject) => {
      p.on('connect', resolve)
      p.on('error', reject)
    })
  try {
    await Promise.all([connected(a), connected(b)])
    return [a, b]
  } catch (error) {
    a.destroy()
    b.destroy()
    throw error
  }
}

describe("simple-peer's browser build", () => {
  it('is what scripts/simple-peer/build.mjs makes now', () => {
    const check = spawnSync(process.execPath, ['scripts/simple-peer/build.mjs', '--check'], { cwd: root, encoding: 'utf8' })
    expect(check.stderr).toBe('')
    expect(check.status).toBe(0)
  })

  it('runs with only what a browser has: no require, process, global or Buffer', async () => {
    expect(built).not.toMatch(/\brequire\(\s*["']/)
    expect(built).toMatch(/^export (default |\{\s*\w+ as default\s*\})/m)
    // The module, evaluated where only the browser APIs it may use exist, makes two peers
    // that connect and talk: a Node global on any path they take would throw.
    const { code } = await transform(built, { format: 'iife', globalName: 'build' })
    // The data channel (node-datachannel, here) hands over this realm's ArrayBuffers, as a page's does its own.
    const browserish = { queueMicrotask, crypto, TextEncoder, TextDecoder, console, setTimeout, clearTimeout, setInterval, clearInterval, ArrayBuffer, Uint8Array }
    const context = createContext({ ...browserish })
    runInContext(code, context)
    const [a, b] = await peerPair((context.build as { default: PeerClass }).default)
    const got: unknown[] = []
    b.on('data', (data) => got.push(Array.from(data as Uint8Array)))
    a.send('hi')
    a.send(new Uint8Array([0, 255]))
    await eventually(() => got.length === 2, 5000, 'both arrived')
    expect(got).toEqual([[104, 105], [0, 255]])
    const closed = new Promise<void>((resolve) => b.on('close', resolve))
    a.destroy()
    await closed
  }, 30_000)

  it('hands the messages that came before the channel was made to it first, then the rest, in order', async () => {
    const [a, b] = await peerPair()
    const ca = channelFromPeer(a)
    const big = new Uint8Array(40_000).map((_, i) => i % 251)
    ca.send('early 1')
    ca.send(big)
    ca.send('early 2')
    // Nothing reads b yet: simple-peer's stream holds what arrives.
    const held = unreadMessagesOf(b)
    await eventually(() => (held?.length ?? 0) >= 7 + 40_001 + 7 - 1, 5000, 'b holds the early messages')
    const cb = channelFromPeer(b)
    const got: Array<string | Uint8Array> = []
    cb.onMessage((message) => got.push(message))
    ca.send('direct 1')
    ca.send(new Uint8Array([1, 2]))
    await eventually(() => got.length === 5, 5000, 'all five arrived')
    expect(got[0]).toBe('early 1')
    expect(Array.from(got[1] as Uint8Array)).toEqual(Array.from(big))
    expect(got.slice(2, 4)).toEqual(['early 2', 'direct 1'])
    expect(Array.from(got[4] as Uint8Array)).toEqual([1, 2])
    expect(held?.length).toBe(0)
    ca.close()
    cb.close()
  }, 30_000)

  it("delivers a text message through its 'data' event as UTF-8 bytes, as simple-peer's prebundled file did", async () => {
    const [a, b] = await peerPair()
    const data = new Promise<unknown>((resolve) => b.on('data', resolve))
    a.send('héllo')
    const got = await data
    expect(got).toBeInstanceOf(Uint8Array)
    expect(new TextDecoder().decode(got as Uint8Array)).toBe('héllo')
    const closed = new Promise<void>((resolve) => b.on('close', resolve))
    a.destroy()
    await closed
    expect(b.destroyed).toBe(true)
  }, 30_000)
})

describe('Channel compliance: the browser build of simple-peer over WebRTC', () => {
  const pair = async (): Promise<ChannelPair> => {
    const [a, b] = await peerPair()
    return { a: channelFromPeer(a), b: channelFromPeer(b) }
  }
  channelCompliance((name, fn) => it(name, fn, 30_000), pair, { largeBytes: 4 * 1024 * 1024 })
})
