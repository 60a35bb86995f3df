/**
 * A member that can reach the hub and no peer: a Node process in its own network
 * namespace (`unshare -n`), reaching the hub through a Unix-socket bridge. It registers,
 * calls and is called over the relay, and its SIGKILL takes it down everywhere at once.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { connect, createHub, NodeDownError } from '../../src/server/index.js'
import { readyLine } from '../support/child-peers.js'
import { eventually } from '../support/eventually.js'
import { pipeServer } from '../support/pipe.js'

const fixture = fileURLToPath(new URL('../fixtures/netns-peer.ts', import.meta.url))
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A Unix socket that pipes every connection to the hub's TCP port. */
async function unixBridge(path: string, port: number): Promise<Server> {
  const server = pipeServer(() => createConnection(port, '127.0.0.1'))
  await new Promise<void>((resolve) => server.listen(path, resolve))
  return server
}

function startIsolated(socket: string, cluster: string, id: string): { child: ChildProcess; ready: Promise<void> } {
  const command = `ip link set lo up && exec "${process.execPath}" --import tsx "${fixture}" "${socket}" "${cluster}" "${id}"`
  const child = spawn('unshare', ['-n', 'sh', '-c', command], { stdio: ['pipe', 'pipe', 'inherit'] })
  const ready = readyLine(child, `ready ${id}`, 'the isolated peer', 30_000)
  return { child, ready }
}

describe('a member in its own network namespace', { timeout: 60_000 }, () => {
  it('reaches everyone over the relay, is reached, and goes down at once when killed', async () => {
    const hub = await createHub({ port: 0, logger: { info() {}, warn() {}, error() {} } })
    cleanups.push(() => hub.close())
    const dir = mkdtempSync(join(tmpdir(), 'distribunator-netns-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const socket = join(dir, 'hub.sock')
    const bridge = await unixBridge(socket, hub.port)
    cleanups.push(() => new Promise((resolve) => bridge.close(resolve)))

    const main = await connect({ hub: hub.url, cluster: 'ns', id: 'main' })
    cleanups.push(() => main.close())
    const seen: unknown[] = []
    main.register('observer', main.spawn({ handleCast: (m) => void seen.push(m), handleCall: (m) => ['main saw', m] }))
    const { child, ready } = startIsolated(socket, 'ns', 'isolated')
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
    await ready
    await eventually(() => main.allPidsOf('echo:isolated').length === 1, 10_000, 'the isolated member linked')

    // main → isolated call, and isolated → main (its rpc calls back through its own node)
    expect(await main.call('echo:isolated', { n: 1 })).toEqual({ n: 1 })
    expect(await main.doNodeRpc('isolated', 'Fixture', 'whoami', [])).toBe('isolated')
    expect(await main.doNodeRpc('isolated', 'Fixture', 'callName', ['observer', 'hi'])).toEqual(['main saw', 'hi'])
    expect(await main.doNodeRpc<string[]>('isolated', 'Fixture', 'nodes', [])).toEqual(['main'])
    // the link cannot go direct: WebRTC from the namespace reaches nothing
    await new Promise((r) => setTimeout(r, 2000))
    expect(main.links()).toEqual([{ node: 'isolated', path: 'relay' }])
    expect(await main.doNodeRpc('isolated', 'Fixture', 'links', [])).toEqual([{ node: 'main', path: 'relay' }])

    const downs: Array<[string, string]> = []
    main.on('nodedown', (id, reason) => downs.push([id, reason]))
    const pending = main.call('echo:isolated', 'hang', 60_000).catch((e: unknown) => e)
    const killedAt = Date.now()
    child.kill('SIGKILL')
    expect(await pending).toBeInstanceOf(NodeDownError)
    expect(Date.now() - killedAt).toBeLessThan(1000)
    expect(downs).toEqual([['isolated', 'left_cluster']])
    expect(main.allPidsOf('echo:isolated')).toEqual([])
  })
})
