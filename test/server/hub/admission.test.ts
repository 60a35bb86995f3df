/**
 * Admission and removal: `authorize(request)` sees the connection and stamps claims that
 * every member reads with `claimsOf`; `auth` may be a function called at every (re)join,
 * and a refused re-join ends the node; JWTs verified with jose; `hub.kick` takes a member
 * out for good.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportSPKI, generateKeyPair, SignJWT } from 'jose'
import { io as connectRaw } from 'socket.io-client'
import { afterEach, describe, expect, it } from 'vitest'
import { type AuthorizeRequest, connect, createHub, type DistNode, type Hub, type HubOptions } from '../../../src/server/index.js'
import { readyLine } from '../../support/child-peers.js'
import { eventually } from '../../support/eventually.js'

const open: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close().catch(() => {})
})

const quiet = { info() {}, warn() {}, error() {} }

async function hub(options: HubOptions = {}): Promise<Hub> {
  const h = await createHub({ port: 0, logger: quiet, ...options })
  open.push(h)
  return h
}

async function member(url: string, cluster: string, id: string, extra: Record<string, unknown> = {}): Promise<DistNode> {
  const node = await connect({ hub: url, cluster, id, ...extra })
  open.push(node)
  return node
}

const SECRET = 'a-secret-of-at-least-thirty-two-characters'
const hs256 = (claims: Record<string, unknown>, sub: string, expires = '1h'): Promise<string> =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime(expires).sign(new TextEncoder().encode(SECRET))

describe('admission with claims', { timeout: 30_000 }, () => {
  it('authorize sees the headers, the address and the origin of the connection', async () => {
    const seen: AuthorizeRequest[] = []
    const h = await hub({ authorize: (request) => (seen.push(request), true) })
    const socket = connectRaw(h.url, { transports: ['websocket'], forceNew: true, reconnection: false, extraHeaders: { 'x-session': 's-42', origin: 'http://localhost:5173' } })
    open.push({ close: async () => void socket.disconnect() })
    const reply: unknown = await socket.timeout(3000).emitWithAck('join', { v: 2, cluster: 'c', id: 'raw', key: 'raw-key-0123456789', inc: 1, auth: { token: 't' } })
    expect(reply).toMatchObject({ ok: true })
    expect(seen).toHaveLength(1)
    const [request] = seen
    expect(request).toMatchObject({ auth: { token: 't' }, cluster: 'c', id: 'raw', handshake: { origin: 'http://localhost:5173' } })
    expect(request?.handshake.headers['x-session']).toBe('s-42')
    expect(request?.handshake.address).toMatch(/127\.0\.0\.1$/)
  })

  it('stamps the claims it returns on the member: every member reads them, its own included', async () => {
    const h = await hub({ authorize: ({ id, auth }) => ({ claims: { user: `u-${id}`, role: auth === 'server-secret' ? 'server' : 'player' } }) })
    const server = await member(h.url, 'game', 'server', { auth: 'server-secret' })
    const alice = await member(h.url, 'game', 'alice')
    await eventually(() => server.nodes().includes('alice'))
    expect(server.claimsOf('server')).toEqual({ user: 'u-server', role: 'server' })
    expect(server.claimsOf('alice')).toEqual({ user: 'u-alice', role: 'player' })
    expect(alice.claimsOf('server')).toEqual({ user: 'u-server', role: 'server' })
    expect(alice.claimsOf('alice')).toEqual({ user: 'u-alice', role: 'player' })
    expect(alice.claimsOf('nobody')).toBeUndefined()
  })

  it('refuses claims that are not plain JSON of at most 4 KiB', async () => {
    const h = await hub({ authorize: () => ({ claims: { blob: 'x'.repeat(5000) } }) })
    await expect(connect({ hub: h.url, cluster: 'c', id: 'big' })).rejects.toMatchObject({ code: 'unauthorized' })
  })

  it('calls an auth function at every join and re-join; a refused re-join ends the node with the reason, without retrying', async () => {
    let admit = true
    const calls: unknown[] = []
    const first = await hub({ authorize: ({ auth }) => (calls.push(auth), admit) })
    const port = first.port
    let n = 0
    const node = await member(first.url, 'c', 'refreshing', { auth: async () => `token-${++n}` })
    expect(calls).toEqual(['token-1'])
    await first.close()
    const second = await hub({ port, authorize: ({ auth }) => (calls.push(auth), admit) })
    await eventually(() => calls.length === 2, 5000, 'the re-join')
    expect(calls[1]).toBe('token-2')
    // the re-join after the next restart is refused: final, with the hub's reason
    const events: Array<[string, string, string | undefined]> = []
    node.on('hub', (state, url, reason) => void events.push([state, url, reason]))
    admit = false
    await second.close()
    await hub({ port, authorize: ({ auth }) => (calls.push(auth), admit) })
    await eventually(() => events.some(([state]) => state === 'refused'), 5000, 'the refusal')
    const refused = events.find(([state]) => state === 'refused')
    expect(refused?.[2]).toMatch(/not allowed/)
    const attempts = calls.length
    await new Promise((r) => setTimeout(r, 1500))
    expect(calls.length).toBe(attempts) // no retry
    await expect(node.call('anything', 1)).rejects.toMatchObject({ code: 'closed' })
  })
})

describe('JWT admission', { timeout: 30_000 }, () => {
  it('a valid HS256 token joins with its claims; expired, wrong sub, wrong cluster and a bad signature are refused with the reason', async () => {
    const h = await hub({ jwt: { secret: SECRET } })
    const ok = await member(h.url, 'room', 'alice', { auth: await hs256({ role: 'player', name: 'Alice', cluster: 'room' }, 'alice') })
    expect(ok.claimsOf('alice')).toEqual({ role: 'player', name: 'Alice' })
    const cases: Array<[string, string, RegExp]> = [
      ['expired', await hs256({}, 'bob', '-1m'), /expired/],
      ['wrong sub', await hs256({}, 'mallory'), /sub is not bob/],
      ['wrong cluster', await hs256({ cluster: 'other' }, 'bob'), /for cluster "other"/],
      ['bad signature', (await hs256({}, 'bob')).slice(0, -4) + 'AAAA', /signature/],
      ['not a token', 'hello', /not a valid JWT/],
    ]
    for (const [what, token, reason] of cases) {
      const refusal = await connect({ hub: h.url, cluster: 'room', id: 'bob', auth: token }).catch((e: unknown) => e)
      expect(refusal, what).toMatchObject({ code: 'unauthorized' })
      expect((refusal as Error).message, what).toMatch(reason)
    }
    await expect(connect({ hub: h.url, cluster: 'room', id: 'bob' })).rejects.toThrow(/auth must be a JWT/)
  })

  it('RS256 and ES256 through the CLI (--jwt-public-key-file) and HS256 (--jwt-secret-file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jwt-'))
    for (const alg of ['RS256', 'ES256', 'HS256'] as const) {
      let token: string
      let args: string[]
      if (alg === 'HS256') {
        writeFileSync(join(dir, 'secret'), `${SECRET}\n`)
        args = ['--jwt-secret-file', join(dir, 'secret')]
        token = await hs256({ role: 'server' }, 'worker')
      } else {
        const { publicKey, privateKey } = await generateKeyPair(alg)
        writeFileSync(join(dir, `${alg}.pem`), await exportSPKI(publicKey))
        args = ['--jwt-public-key-file', join(dir, `${alg}.pem`)]
        token = await new SignJWT({ role: 'server' }).setProtectedHeader({ alg }).setSubject('worker').setExpirationTime('1h').sign(privateKey)
      }
      const cli = spawn(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      open.push({ close: async () => void cli.kill('SIGKILL') })
      let out = ''
      cli.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
      await readyLine(cli, 'listening on', `hub (${alg})`, 20_000)
      const url = /listening on (\S+)/.exec(out)?.[1] as string
      const node = await member(url, 'c', 'worker', { auth: token })
      expect(node.claimsOf('worker'), alg).toEqual({ role: 'server' })
      await node.close()
      await expect(connect({ hub: url, cluster: 'c', id: 'intruder', auth: token }), alg).rejects.toMatchObject({ code: 'unauthorized' })
      cli.kill('SIGKILL')
    }
  })
})

describe('kick', { timeout: 30_000 }, () => {
  it('takes a member down on every member with reason kicked, its names gone; it gets a final kicked and does not come back', async () => {
    const h = await hub()
    const a = await member(h.url, 'k', 'a')
    const b = await member(h.url, 'k', 'b', { maxDirectLinks: 0 }) // one pair on the relay, one direct
    const cheater = await member(h.url, 'k', 'cheater')
    cheater.register('game', cheater.spawn({ handleCall: () => 'stolen' }))
    await eventually(() => a.allPidsOf('game').length === 1 && b.allPidsOf('game').length === 1, 5000)
    const downs: string[] = []
    for (const node of [a, b]) node.on('nodedown', (id, reason, detail) => void downs.push(`${node.id}: ${id} ${reason} (${detail})`))
    const told: Array<string | undefined> = []
    cheater.on('hub', (state, _url, reason) => void (state === 'kicked' && told.push(reason)))
    const kickedAt = Date.now()
    await h.kick('k', 'cheater', 'caught cheating')
    await eventually(() => downs.length === 2, 1000, 'both members take it down within 1 s')
    expect(Date.now() - kickedAt).toBeLessThan(1000)
    expect(downs.sort()).toEqual(['a: cheater kicked (the hub removed cheater: caught cheating)', 'b: cheater kicked (the hub removed cheater: caught cheating)'])
    expect(a.allPidsOf('game')).toEqual([])
    expect(b.allPidsOf('game')).toEqual([])
    await eventually(() => told.length === 1, 2000, 'the kicked node told')
    expect(told).toEqual(['caught cheating'])
    await new Promise((r) => setTimeout(r, 1500))
    expect(a.nodes()).toEqual(['b'])
    await expect(cheater.call('game', 'x')).rejects.toMatchObject({ code: 'closed' })
  })
})
