// Three hubs sharing one real Redis server act as one: real nodes made with `connect()`,
// some in this process and some in child processes, joined through different hubs, form
// one full mesh with one registry view; when a hub closes or its process is killed, its
// nodes move to another hub with their ids, links and pids. A missing
// /usr/bin/redis-server fails this suite.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createSocketIoSignaling } from '../../src/server/index.js'
import { joinMesh } from '../../src/core/mesh/mesh.js'
import type { JoinResult, MemberInfo, Signaling } from '../../src/core/hub/signaling.js'
import type { PeerFactory, PeerLike } from '../../src/core/webrtc/simple-peer.js'
import { connect, createHub, type DistNode, type Hub, type HubLogger, type Pid } from '../../src/server/index.js'
import { type ChildPeer, startChildPeer, stopChildPeer } from '../support/child-peers.js'
import { eventually } from '../support/eventually.js'
import { startRedisServer, type RedisServer } from '../support/redis-server.js'

let redis: RedisServer | undefined
const open: Array<{ close(): Promise<void> }> = []
const hubs: Hub[] = []
const children: ChildPeer[] = []
const hubProcesses: ChildProcess[] = []
let clusterCount = 0

afterEach(async () => {
  await Promise.all(children.splice(0).map(stopChildPeer))
  for (const item of open.splice(0).reverse()) await item.close()
  for (const hub of hubs.splice(0).reverse()) await hub.close()
  for (const proc of hubProcesses.splice(0)) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
})

const quiet: HubLogger = { info: () => {}, warn: () => {}, error: (m) => console.error(`[hub] ${m}`) }

async function startHub(port = 0): Promise<Hub> {
  if (redis === undefined) throw new Error('redis-server did not start')
  const hub = await createHub({ port, redisUrl: redis.url, logger: quiet })
  hubs.push(hub)
  return hub
}

/** Runs the `distribunator-hub` CLI in a child process; resolves with its URL once it listens. */
async function startHubProcess(): Promise<{ url: string; process: ChildProcess }> {
  if (redis === undefined) throw new Error('redis-server did not start')
  const cli = fileURLToPath(new URL('../../src/server/cli.ts', import.meta.url))
  const proc = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0', '--redis', redis.url], { stdio: ['ignore', 'pipe', 'inherit'] })
  hubProcesses.push(proc)
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`the hub process did not start: ${out}`)), 15_000)
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(out)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    proc.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the hub process exited with ${code}: ${out}`))
    })
  })
  return { url, process: proc }
}

async function peer(hub: readonly string[], cluster: string, id: string): Promise<DistNode> {
  const node = await connect({ hub, cluster, id })
  open.push(node)
  return node
}

async function child(hub: readonly string[], cluster: string, id: string): Promise<ChildPeer> {
  const c = await startChildPeer(hub, cluster, id)
  children.push(c)
  return c
}

/** The hub URLs starting with the `first`-th: a node joins through that hub and moves on in order. */
function via(urls: readonly string[], first: number): string[] {
  return [...urls.slice(first), ...urls.slice(0, first)]
}

/** Ids of the members of `cluster` connected to this very hub (not the whole cluster). */
async function membersOn(hub: Hub, cluster: string): Promise<string[]> {
  const ids: string[] = []
  for (const socket of await hub.io.local.fetchSockets()) {
    const data: unknown = socket.data
    if (typeof data !== 'object' || data === null) continue
    const id: unknown = Reflect.get(data, 'id')
    if (Reflect.get(data, 'cluster') === cluster && Reflect.get(data, 'state') === 'member' && typeof id === 'string') ids.push(id)
  }
  return ids.sort()
}

let probeCount = 0
/** Members a fresh client sees when it joins through `url` (its id sorts first, so nobody offers it a link). */
async function membersSeenThrough(url: string, cluster: string): Promise<string[]> {
  const signaling = createSocketIoSignaling({ hub: url, cluster, id: `a-probe-${++probeCount}` })
  try {
    return (await signaling.join()).members.map((m) => m.id).sort()
  } finally {
    signaling.close()
  }
}

/** A registry as plain text: names sorted, pids of each name sorted (member order is per node). */
function view(registry: Array<[string, Pid[]]>): string {
  return JSON.stringify(registry.map(([name, pids]) => [name, pids.map(String).sort()]).sort(([x], [y]) => String(x).localeCompare(String(y))))
}

const sorted = (ids: readonly string[]): string[] => [...ids].sort()
const others = (all: readonly string[], me: string): string[] => sorted(all.filter((id) => id !== me))

/** Polls an async check until it holds, at most `ms`. */
async function eventuallyAsync(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** Serves `svc` and `svc:<id>` on an in-process node: answers every call with who got what. */
function serve(node: DistNode): void {
  const svc = node.spawn({ handleCall: (msg) => ({ by: node.id, msg }) })
  node.register('svc', svc)
  node.register(`svc:${node.id}`, svc)
  node.expose('Info', { where: () => node.id, peers: () => sorted(node.nodes()) })
}

describe('several hubs sharing one Redis act as one', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    redis = await startRedisServer()
  })

  afterAll(async () => {
    await redis?.dispose()
  })

  it('nodes joined through different hubs form one mesh and one registry; call and nodeRpc cross hubs', async () => {
    const [a, b, c] = [await startHub(), await startHub(), await startHub()]
    const urls = [a.url, b.url, c.url]
    const cluster = `so${++clusterCount}`
    const p1 = await peer(via(urls, 0), cluster, 'p1')
    serve(p1)
    await Promise.all([child(via(urls, 1), cluster, 'k1'), child(via(urls, 0), cluster, 'k2')])
    const p2 = await peer(via(urls, 2), cluster, 'p2')
    // connect() resolves once the members present at join are linked.
    expect(sorted(p2.nodes())).toEqual(['k1', 'k2', 'p1'])
    serve(p2)
    const all = ['k1', 'k2', 'p1', 'p2']
    expect(await membersOn(a, cluster)).toEqual(['k2', 'p1'])
    expect(await membersOn(b, cluster)).toEqual(['k1'])
    expect(await membersOn(c, cluster)).toEqual(['p2'])
    for (const url of urls) expect(await membersSeenThrough(url, cluster)).toEqual(all)

    // full mesh, seen from every node (the children answer through rpc)
    await eventually(() => p1.nodes().length === 3 && p2.nodes().length === 3, 10_000, 'full mesh in this process')
    // k1 and k2 joined at once through two hubs: when neither hub's reply listed the other,
    // each opens their link when its hub tells it of the other (a room within the default
    // direct-link budget), and the two first packets cross
    const linked = async (k: string): Promise<boolean> => sorted(await p1.doNodeRpc<string[]>(k, 'Fixture', 'nodes', [])).join() === others(all, k).join()
    for (const k of ['k1', 'k2']) await eventuallyAsync(() => linked(k), 10_000, `full mesh seen from ${k}`)
    for (const k of ['k1', 'k2']) expect(sorted(await p1.doNodeRpc<string[]>(k, 'Fixture', 'nodes', []))).toEqual(others(all, k))

    // one registry view on every node
    const expected = ['echo', 'echo:k1', 'echo:k2', 'sink:k1', 'sink:k2', 'svc', 'svc:p1', 'svc:p2']
    await eventually(() => p1.registry().length === expected.length && p2.registry().length === expected.length, 5000, 'registry sync')
    expect(p1.registry().map(([name]) => name).sort()).toEqual(expected)
    const reference = view(p1.registry())
    expect(view(p2.registry())).toBe(reference)
    for (const k of ['k1', 'k2']) expect(view(await p2.doNodeRpc<Array<[string, Pid[]]>>(k, 'Fixture', 'registry', []))).toBe(reference)
    expect(sorted(p1.allNodesOf('echo'))).toEqual(['k1', 'k2'])

    // call: hub C → hub B (child), hub A → hub C, hub C → hub A (child)
    const value = { at: new Date(3), tags: new Set(['x']), n: 2n ** 65n }
    expect(await p2.call('echo:k1', value)).toEqual(value)
    expect(await p1.call('svc:p2', 'hello')).toEqual({ by: 'p2', msg: 'hello' })
    expect(await p2.call('echo:k2', 'across')).toBe('across')

    // nodeRpc by name and doNodeRpc by node, with the callback while the rpc process lives
    expect(await p2.nodeRpc('echo:k2', 'Fixture', 'whoami', [])).toBe('k2')
    const seen: string[] = []
    const where = await p1.nodeRpc<string>('svc:p2', 'Info', 'where', [], (result, rpcPid) => {
      seen.push(`${result} via ${String(rpcPid?.node)}`)
    })
    expect(where).toBe('p2')
    expect(seen).toEqual(['p2 via p2'])
    expect(await p2.doNodeRpc('p1', 'Info', 'peers', [])).toEqual(['k1', 'k2', 'p2'])

    // child → this process across hubs: k1 (hub B) reports to an observer on p1 (hub A)
    const events: unknown[] = []
    p1.register('observer', p1.spawn({ handleCast: (m) => void events.push(m) }))
    await eventuallyAsync(async () => (await p1.doNodeRpc<Array<[string, Pid[]]>>('k1', 'Fixture', 'registry', [])).some(([n]) => n === 'observer'), 5000, 'k1 sees the observer')
    expect(await p1.doNodeRpc<string>('k1', 'Fixture', 'watch', ['cross-hub'])).toMatch(/^watching <k1\.\d+\.[0-9a-z]+>$/)
    await eventually(() => events.length === 1, 5000, 'the report from k1')
    expect(events).toEqual([{ tag: 'cross-hub', event: 'rpc process exited', reason: 'normal' }])
  })

  it('a closed hub: its nodes move to another hub with their id and links; newcomers through any hub link to every member', async () => {
    const [a, b, c] = [await startHub(), await startHub(), await startHub()]
    const urls = [a.url, b.url, c.url]
    const cluster = `so${++clusterCount}`
    const p1 = await peer(via(urls, 0), cluster, 'p1') // A, then B
    await child([a.url, c.url, b.url], cluster, 'k1') // A, then C
    const p2 = await peer(via(urls, 1), cluster, 'p2') // B
    const p3 = await peer(via(urls, 2), cluster, 'p3') // C
    const inProcess = [p1, p2, p3]
    for (const node of inProcess) serve(node)
    const all = ['k1', 'p1', 'p2', 'p3']
    await eventually(() => inProcess.every((n) => n.nodes().length === 3), 10_000, 'full mesh')
    await eventually(() => inProcess.every((n) => n.registry().length === 7), 5000, 'registry sync')
    expect(sorted(await p2.doNodeRpc<string[]>('k1', 'Fixture', 'nodes', []))).toEqual(others(all, 'k1'))
    const before = view(p2.registry())
    const k1Echo = String(p3.allPidsOf('echo:k1')[0])
    const downs: string[] = []
    for (const node of inProcess) node.on('nodedown', (id: string) => downs.push(`${node.id} lost ${id}`))

    await a.close()
    await eventuallyAsync(
      async () => (await membersOn(b, cluster)).join() === 'p1,p2' && (await membersOn(c, cluster)).join() === 'k1,p3',
      10_000,
      'p1 and k1 rejoined through B and C',
    )
    for (const url of [b.url, c.url]) expect(await membersSeenThrough(url, cluster)).toEqual(all)
    // same ids, same links, same pids: the data channels never noticed the hub going away
    expect(downs).toEqual([])
    for (const node of inProcess) expect(sorted(node.nodes())).toEqual(others(all, node.id))
    expect(sorted(await p1.doNodeRpc<string[]>('k1', 'Fixture', 'nodes', []))).toEqual(others(all, 'k1'))
    expect(view(p1.registry())).toBe(before)
    expect(String(p1.allPidsOf('echo:k1')[0])).toBe(k1Echo)
    expect(await p1.call('echo:k1', 'after the move')).toBe('after the move')

    // a newcomer through B, then one (in a child process) through a new hub on A's old port
    const late = await peer([b.url], cluster, 'late')
    expect(sorted(late.nodes())).toEqual(all)
    serve(late)
    const a2 = await startHub(a.port)
    expect(a2.url).toBe(a.url)
    await child([a2.url], cluster, 'k2')
    const everyone = [...all, 'k2', 'late']
    for (const url of [a2.url, b.url, c.url]) expect(await membersSeenThrough(url, cluster)).toEqual(sorted(everyone))
    const meshed = [...inProcess, late]
    await eventually(() => meshed.every((n) => n.nodes().length === 5), 10_000, 'everyone linked to both newcomers')
    for (const node of meshed) expect(sorted(node.nodes())).toEqual(others(everyone, node.id))
    for (const k of ['k1', 'k2']) expect(sorted(await late.doNodeRpc<string[]>(k, 'Fixture', 'nodes', []))).toEqual(others(everyone, k))
    await eventually(() => meshed.every((n) => n.registry().length === 10), 5000, 'registry sync with the newcomers')
    const reference = view(late.registry())
    for (const node of meshed) expect(view(node.registry())).toBe(reference)
    for (const k of ['k1', 'k2']) expect(view(await late.doNodeRpc<Array<[string, Pid[]]>>(k, 'Fixture', 'registry', []))).toBe(reference)
    expect(await late.call('echo:k2', 'newest')).toBe('newest')
    expect(await late.nodeRpc('svc:p1', 'Info', 'where', [])).toBe('p1')
    expect(downs).toEqual([])
  })

  it('relayed pairs on different hubs: the relay crosses hubs through Redis, and survives one hub closing', async () => {
    const [a, b, c] = [await startHub(), await startHub(), await startHub()]
    const urls = [a.url, b.url, c.url]
    const cluster = `so${++clusterCount}`
    const relayOnly = async (first: number, id: string): Promise<DistNode> => {
      const node = await connect({ hub: via(urls, first), cluster, id, maxDirectLinks: 0 })
      open.push(node)
      return node
    }
    const nodes = [await relayOnly(0, 'r1'), await relayOnly(1, 'r2'), await relayOnly(2, 'r3')]
    for (const node of nodes) node.register(`echo:${node.id}`, node.spawn({ handleCall: (msg) => msg }))
    await eventually(() => nodes.every((n) => n.nodes().length === 2 && n.registry().length === 3), 10_000, 'every pair linked over the relay')
    for (const node of nodes) expect(node.links().map((l) => l.path)).toEqual(['relay', 'relay'])
    const [r1, r2, r3] = nodes as [DistNode, DistNode, DistNode]
    expect(await r1.call('echo:r3', 'from hub A to hub C')).toBe('from hub A to hub C')
    const big = new Uint8Array(1024 * 1024).map((_, i) => i & 0xff)
    expect(((await r3.call('echo:r2', big)) as Uint8Array).byteLength).toBe(big.byteLength)
    const downs: string[] = []
    for (const node of nodes) node.on('nodedown', (id: string) => downs.push(`${node.id} lost ${id}`))
    await a.close() // r1 moves to B; r2 and r3 hear it is away, not gone
    await eventuallyAsync(async () => (await membersOn(b, cluster)).join() === 'r1,r2', 10_000, 'r1 rejoined through B')
    expect(await r2.call('echo:r1', 'after the move')).toBe('after the move')
    expect(await r1.call('echo:r3', 'and back')).toBe('and back')
    expect(downs).toEqual([])
  })

  it('a hub process killed outright: its nodes move on and keep their links', async () => {
    const [dead, b] = await Promise.all([startHubProcess(), startHub()])
    const c = await startHub()
    const cluster = `so${++clusterCount}`
    const p1 = await peer([dead.url, b.url], cluster, 'p1')
    await child([dead.url, c.url], cluster, 'k1')
    const p2 = await peer([b.url], cluster, 'p2')
    const all = ['k1', 'p1', 'p2']
    await eventually(() => p1.nodes().length === 2 && p2.nodes().length === 2, 10_000, 'full mesh')
    await eventually(() => p2.allPidsOf('echo:k1').length === 1, 5000, 'registry sync')
    const k1Echo = String(p2.allPidsOf('echo:k1')[0])
    const downs: string[] = []
    for (const node of [p1, p2]) node.on('nodedown', (id: string) => downs.push(`${node.id} lost ${id}`))

    dead.process.kill('SIGKILL')
    await eventuallyAsync(
      async () => (await membersOn(b, cluster)).join() === 'p1,p2' && (await membersOn(c, cluster)).join() === 'k1',
      10_000,
      'p1 and k1 rejoined through the other hubs',
    )
    expect(await membersSeenThrough(c.url, cluster)).toEqual(all)
    expect(downs).toEqual([])
    expect(String(p1.allPidsOf('echo:k1')[0])).toBe(k1Echo)
    expect(await p2.call('echo:k1', 'still linked')).toBe('still linked')
    const late = await peer([c.url], cluster, 'late')
    expect(sorted(late.nodes())).toEqual(all)
    await eventually(() => p1.nodes().length === 3 && p2.nodes().length === 3, 10_000, 'everyone linked to the newcomer')
    expect(sorted(await late.doNodeRpc<string[]>('k1', 'Fixture', 'nodes', []))).toEqual(['late', 'p1', 'p2'])
    expect(downs).toEqual([])
  })
})

describe('member events racing the join reply', () => {
  // With several hubs, members join all the time; a member-join can come in the same read
  // from the socket as this node's join reply, so the signaling reports it before the
  // mesh has resumed from `await join()`. The signaling reports the member list first
  // (onJoined), then the change; the mesh must keep that member, or a failed first link
  // attempt to it is never retried.
  it('keeps a member announced before join() resumed, and retries a failed link to it', async () => {
    let onJoin: (member: MemberInfo) => void = () => {}
    let onJoined: (result: JoinResult) => void = () => {}
    let onSignal: (from: string, fromInc: number, data: unknown) => void = () => {}
    const signaling: Signaling = {
      incarnation: 1,
      join: () =>
        new Promise<JoinResult>((resolve) => {
          setTimeout(() => {
            onJoined({ id: 'a', members: [] })
            resolve({ id: 'a', members: [] })
            onJoin({ id: 'b', inc: 2 }) // same task as the reply: before the mesh resumes
          }, 0)
        }),
      onMemberJoin: (handler) => void (onJoin = handler),
      onMemberLeave: () => {},
      onSignal: (handler) => void (onSignal = handler),
      onJoined: (handler) => void (onJoined = handler),
      // b has room for a direct link each time it is asked
      sendSignal: (to, _inc, data) => void (to === 'b' && (data as { type?: string }).type === 'ask' && setTimeout(() => onSignal('b', 2, { type: 'go' }), 0)),
      close: () => {},
    }
    let created = 0
    const failingPeer: PeerFactory = () => {
      created++
      const closers: Array<() => void> = []
      let destroyed = false
      const peer: PeerLike = {
        signal: () => {},
        send: () => {},
        destroy: () => {
          if (destroyed) return
          destroyed = true
          for (const close of closers) close()
        },
        on: (event: string, listener: (...args: never[]) => unknown) => {
          if (event === 'close') closers.push(() => listener())
          return peer
        },
        get destroyed() {
          return destroyed
        },
      }
      setTimeout(() => peer.destroy(), 10) // the link attempt fails
      return peer
    }
    const node = await joinMesh({ id: 'a', meshTimeoutMs: 50 }, signaling, failingPeer)
    try {
      await eventually(() => created >= 2, 3000, 'a second attempt to b')
    } finally {
      await node.close()
    }
  })
})
