/**
 * The multi-node suite, unchanged, over real WebRTC data channels between Node processes:
 * every node lives in a child process (test/fixtures/suite-host.ts) and every link joins
 * two different processes (see test/support/remote-nodes.ts for how the suite drives them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NodeDownError } from '../../src/core/index.js'
import { clusterSuite } from '../support/cluster-suite.js'
import { eventually } from '../support/eventually.js'
import { RemoteCluster } from '../support/remote-nodes.js'

clusterSuite('WebRTC between Node processes', new RemoteCluster(3), { timeoutMs: 30_000 })

describe('the driver’s nodes', () => {
  const cluster = new RemoteCluster(2)
  beforeAll(() => cluster.setup(), 60_000)
  afterAll(() => cluster.teardown(), 60_000)

  it('live in separate processes: a host killed with SIGKILL takes its node down on the other', async () => {
    const a = cluster.createNode('kill-a')
    const b = cluster.createNode('kill-b')
    await cluster.link(a, b)
    expect(new Set([process.pid, a.host.pid, b.host.pid]).size).toBe(3)
    b.register('x', b.spawn({ handleCall: () => new Promise(() => {}) })) // never answers: the call waits for the kill
    await eventually(() => a.allPidsOf('x').length === 1)
    const down = new Promise<string>((resolve) => a.on('nodedown', (node) => resolve(node)))
    const outcome = a.call('x', 'never answered', 60_000).catch((error: unknown) => error)
    process.kill(b.host.pid as number, 'SIGKILL')
    expect(await down).toBe('kill-b')
    expect(await outcome).toBeInstanceOf(NodeDownError)
    expect(a.allPidsOf('x')).toEqual([])
    expect(() => b.nodes()).toThrow(/exited/)
  })
})
