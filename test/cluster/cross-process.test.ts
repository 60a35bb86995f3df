/**
 * Real parts end to end: a Socket.IO hub, Node peers in separate child processes, and
 * this process as one more peer, all linked by WebRTC data channels (node-datachannel).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { connect, createHub, type DistNode, type Hub, NodeDownError, NoProcError, type Pid } from '../../src/server/index.js'
import { type ChildPeer, startChildPeer, stopChildPeer } from '../support/child-peers.js'
import { eventually } from '../support/eventually.js'

const open: Array<{ close(): Promise<void> }> = []
const children: ChildPeer[] = []
let clusterCount = 0

afterEach(async () => {
  await Promise.all(children.splice(0).map(stopChildPeer))
  for (const item of open.splice(0).reverse()) await item.close()
})

async function hub(port = 0): Promise<Hub> {
  const h = await createHub({ port })
  open.push(h)
  return h
}

async function peer(url: string, cluster: string, id: string, heartbeatTimeoutMs?: number): Promise<DistNode> {
  const node = await connect({
    hub: url,
    cluster,
    id,
    ...(heartbeatTimeoutMs ? { heartbeatTimeoutMs, heartbeatIntervalMs: heartbeatTimeoutMs / 5 } : {}),
  })
  open.push(node)
  return node
}

async function child(url: string, cluster: string, id: string, heartbeatTimeoutMs?: number): Promise<ChildPeer> {
  const c = await startChildPeer(url, cluster, id, heartbeatTimeoutMs)
  children.push(c)
  return c
}

describe('Node peers in separate processes over WebRTC', { timeout: 60_000 }, () => {
  it('mesh, one registry view, call/cast both ways, rpc callback before the target sees the exit', async () => {
    const h = await hub()
    const cluster = `xp${++clusterCount}`
    await child(h.url, cluster, 'c1')
    await child(h.url, cluster, 'c2')
    const me = await peer(h.url, cluster, 'main')
    await eventually(() => me.nodes().length === 2, 10_000, 'links to both children')
    await eventually(() => me.allPidsOf('echo').length === 2, 5000, 'registry sync')
    expect(me.allNodesOf('echo').sort()).toEqual(['c1', 'c2'])

    const value = { at: new Date(7), ids: new Set([1, 2]), big: 2n ** 70n }
    expect(await me.call('echo:c1', value)).toEqual(value)

    // the children see this node's registration and can reach it (Node → Node both ways)
    const events: unknown[] = []
    me.register('observer', me.spawn({ handleCast: (m) => void events.push(m) }))
    await me.doNodeRpc('c2', 'Fixture', 'whoami', [])

    const order: string[] = []
    const result = await me.doNodeRpc<string>('c1', 'Fixture', 'watch', ['rpc-1'], async (r: string, rpcPid: Pid | undefined) => {
      order.push(`callback ${r.startsWith('watching <c1.') ? 'saw result' : r} from ${String(rpcPid?.node)}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(events).toEqual([])
      order.push('callback done')
    })
    expect(result).toMatch(/^watching <c1\.\d+\.[0-9a-z]+>$/)
    await eventually(() => events.length === 1, 5000, 'the target reporting the rpc process exit')
    expect(order).toEqual(['callback saw result from c1', 'callback done'])
    expect(events).toEqual([{ tag: 'rpc-1', event: 'rpc process exited', reason: 'normal' }])
  })

  it('a 10 MB value through call and 100k casts arrive whole and in order', async () => {
    const h = await hub()
    const cluster = `xp${++clusterCount}`
    await child(h.url, cluster, 'bulk')
    const me = await peer(h.url, cluster, 'main')
    await eventually(() => me.allPidsOf('sink:bulk').length === 1, 10_000)
    const big = Array.from({ length: 10 }, (_, i) => String.fromCharCode(97 + i).repeat(1024 * 1024)).join('')
    const back = await me.call<string>('echo:bulk', big, 60_000)
    expect(back.length).toBe(big.length)
    expect(back === big).toBe(true)
    for (let i = 0; i < 100_000; i++) me.cast('sink:bulk', i)
    let stats = { count: 0, inOrder: false }
    const deadline = Date.now() + 30_000
    while (stats.count < 100_000 && Date.now() < deadline) {
      stats = await me.call<typeof stats>('sink:bulk', 'stats', 10_000)
      if (stats.count < 100_000) await new Promise((r) => setTimeout(r, 100))
    }
    expect(stats).toEqual({ count: 100_000, inOrder: true })
  })

  it('SIGKILL of a peer mid-call: nodedown within a second (the hub sees it go), and its names vanish', async () => {
    const h = await hub()
    const cluster = `xp${++clusterCount}`
    const victim = await child(h.url, cluster, 'victim')
    await child(h.url, cluster, 'witness')
    const me = await peer(h.url, cluster, 'main')
    await eventually(() => me.allPidsOf('echo').length === 2, 10_000)
    const downs: Array<[string, string, string]> = []
    me.on('nodedown', (id, reason, detail) => downs.push([id, reason, detail]))
    const pending = me.call('echo:victim', 'hang', 60_000)
    await new Promise((r) => setTimeout(r, 100))
    const killedAt = Date.now()
    victim.process.kill('SIGKILL')
    const error = await pending.catch((e: unknown) => e)
    const noticedAfter = Date.now() - killedAt
    expect(error).toBeInstanceOf(NodeDownError)
    expect(noticedAfter).toBeLessThan(1000)
    // a killed process closes no link cleanly: the hub sees its connection drop (or its data channel errors first)
    expect(downs.map(([id]) => id)).toEqual(['victim'])
    expect(['left_cluster', 'transport_error']).toContain(downs[0]?.[1])
    expect(downs[0]?.[2]).not.toBe('')
    await eventually(() => me.allNodesOf('echo').join() === 'witness', 1000, 'names of the killed node gone')
    expect(me.nodes()).toEqual(['witness'])
    // the surviving child is unaffected
    expect(await me.call('echo:witness', 'still here')).toBe('still here')
  })

  it('a process killed and restarted under the same id never answers for its earlier pids', async () => {
    const h = await hub()
    const cluster = `xp${++clusterCount}`
    const first = await child(h.url, cluster, 'x')
    const me = await peer(h.url, cluster, 'main')
    await eventually(() => me.allPidsOf('sink:x').length === 1, 10_000)
    const old = me.allPidsOf('sink:x')[0] as Pid
    first.process.kill('SIGKILL')
    await eventually(() => me.nodes().length === 0, 5000, 'the killed process down')
    await child(h.url, cluster, 'x')
    await eventually(() => me.allPidsOf('sink:x').length === 1, 10_000, 'the new incarnation linked')
    const now = me.allPidsOf('sink:x')[0] as Pid
    expect([now.node, now.id]).toEqual([old.node, old.id])
    expect(now.equals(old)).toBe(false)
    await expect(me.call(old, 'state')).rejects.toBeInstanceOf(NoProcError)
    me.cast(old, 0) // dropped: it would count as the new sink's first cast
    me.cast(now, 0)
    expect(await me.call(now, 'state')).toEqual({ count: 1, inOrder: true })
  })

  it('links survive a hub restart; nodes rejoin by themselves and a newcomer meshes with them', async () => {
    const first = await createHub({ port: 0 })
    const port = Number(new URL(first.url).port)
    const cluster = `xp${++clusterCount}`
    const c = await child(first.url, cluster, 'survivor')
    const me = await peer(first.url, cluster, 'main')
    await eventually(() => me.allPidsOf('echo').length === 1, 10_000)
    await eventually(() => me.links()[0]?.path === 'direct', 10_000, 'the link on its direct path')
    await first.close()
    expect(await me.call('echo:survivor', 'through the data channel')).toBe('through the data channel')
    const second = await hub(port)
    expect(second.url).toBe(first.url)
    const late = await peer(second.url, cluster, 'late')
    await eventually(() => late.nodes().sort().join() === 'main,survivor', 15_000, 'newcomer linked to both')
    // each end counts the link once its own handshake is done; main's may finish a moment later
    await eventually(() => me.nodes().sort().join() === 'late,survivor', 5000, 'main linked to the newcomer')
    await eventually(() => late.allPidsOf('echo:survivor').length === 1, 5000, 'the newcomer receiving the registry')
    expect(await late.call('echo:survivor', 'hi')).toBe('hi')
    expect(c.process.exitCode).toBe(null)
  })

  it('a peer process exits promptly after close', async () => {
    const h = await hub()
    const cluster = `xp${++clusterCount}`
    const c = await child(h.url, cluster, 'quitter')
    const me = await peer(h.url, cluster, 'main')
    await eventually(() => me.nodes().length === 1, 10_000)
    const downs: Array<[string, string]> = []
    me.on('nodedown', (_, reason, detail) => downs.push([reason, detail]))
    const started = Date.now()
    c.process.stdin?.end()
    expect(await c.exited).toBe(0)
    expect(Date.now() - started).toBeLessThan(2000)
    await eventually(() => me.nodes().length === 0, 3000)
    // Down once. Which news comes first is a race both ways end: the bye over the data
    // channel (closed) or the hub's notice that the process left (left_cluster).
    expect(downs).toHaveLength(1)
    expect(downs[0]).toSatisfy(([reason, detail]: [string, string]) =>
      (reason === 'closed' && detail === 'the peer said bye: node closed') || (reason === 'left_cluster' && detail === 'the hub saw quitter leave the cluster'))
  })

  it('a frozen peer on a direct link goes down with reason heartbeat_timeout, before the hub counts it gone', async () => {
    const h = await hub()
    const cluster = `xp${++clusterCount}`
    const c = await child(h.url, cluster, 'frozen')
    const me = await peer(h.url, cluster, 'main', 1500)
    await eventually(() => me.links()[0]?.path === 'direct', 10_000, 'the link on its direct path')
    const down = new Promise<string>((resolve) => me.on('nodedown', (_, reason) => resolve(reason)))
    c.process.kill('SIGSTOP')
    try {
      expect(await down).toBe('heartbeat_timeout')
    } finally {
      c.process.kill('SIGCONT')
    }
  })
})
