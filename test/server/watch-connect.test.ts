/**
 * `watch` on nodes made by `connect()` through a real hub: what is registered before
 * `connect()` resolves is in the snapshot of a watch made right after it (no `join` is
 * needed to learn of it), later changes follow, and a member that leaves the cluster
 * takes its pids out with a `leave` each, before `nodedown`.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { connect, createHub, type DistNode, type RegistryWatchEvent, type WatchEvent } from '../../src/server/index.js'
import { eventually } from '../support/eventually.js'

const quiet = { info() {}, warn() {}, error() {} }
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function member(url: string, id: string): Promise<DistNode> {
  const node = await connect({ hub: url, cluster: 'watch', id })
  cleanups.push(() => node.close())
  return node
}

function show(event: WatchEvent | RegistryWatchEvent): string {
  if (event.type !== 'current') return `${event.type} ${event.name} ${event.pid.toString()}`
  return 'pids' in event ? `current ${event.pids.join(',')}` : `current ${event.registry.map(([name, pids]) => `${name}=${pids.join(',')}`).join(' ')}`
}

describe('watch over a hub', { timeout: 30_000 }, () => {
  it('right after connect() the snapshot holds the members already there; joins, leaves and a lost member follow', async () => {
    const hub = await createHub({ port: 0, logger: quiet })
    cleanups.push(() => hub.close())
    const worker = await member(hub.url, 'worker')
    const counter = worker.spawn({ handleCall: () => 1 })
    worker.register('presence', counter)
    worker.register('counter', counter)
    const tab = await member(hub.url, 'tab')
    const seen: string[] = []
    tab.watch('presence', (event) => seen.push(show(event)))
    tab.watchAll((event) => {
      if (event.type === 'current') seen.push(`all ${show(event)}`)
    })
    tab.on('nodedown', (id, reason) => seen.push(`nodedown ${id} ${reason}`))
    expect(seen).toEqual([`current ${counter}`, `all current presence=${counter} counter=${counter}`])

    const mine = tab.spawn({})
    tab.register('presence', mine)
    const second = worker.spawn({})
    worker.register('presence', second)
    await eventually(() => seen.length === 4, 5000, 'the joins')
    expect(seen.slice(2)).toEqual([`join presence ${mine}`, `join presence ${second}`])

    await worker.close()
    await eventually(() => seen.some((line) => line.startsWith('nodedown')), 5000, 'nodedown')
    // the bye over the link or the hub's word that it left, whichever comes first
    expect(seen.slice(4).map((line) => line.replace(/ (closed|left_cluster)$/, ''))).toEqual([`leave presence ${counter}`, `leave presence ${second}`, 'nodedown worker'])
    expect(tab.allPidsOf('presence')).toEqual([mine])
  })
})
