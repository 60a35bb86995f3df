/**
 * The page of the browser benchmark (bench/browser-bench.ts): a tab that joins a cluster
 * with `connect` from distribunator/browser, and raw simple-peer links (the same prebundled
 * simple-peer the library uses) whose signals the benchmark relays. Everything is driven
 * through `window.__bench`; round trips are timed here, with performance.now().
 */
import { connect, type DistNode } from 'distribunator/browser'
import Peer from 'simple-peer/simplepeer.min.js'
import { pairedRtt, SMALL, SMALL_TEXT } from '../paired-rtt.js'

export interface BenchPage {
  /** Joins `cluster` as `id` and registers `echo:<id>`, which answers every call with the message. */
  join(hub: string, cluster: string, id: string): Promise<void>
  /** Whether this tab is linked to `node` and sees a pid under `name`. */
  sees(node: string, name: string): boolean
  /**
   * Opens raw link `label`; its signals go to `window.__benchSignal(label, data)`. An `echo`
   * end sends every message back. Resolves once the data channel is open.
   */
  rawOpen(label: string, initiator: boolean, echo: boolean): Promise<void>
  /** Hands a signal of the far end to raw link `label`. */
  rawSignal(label: string, data: unknown): void
  /**
   * `samples` pairs, alternating one raw echo over `label` and one call to `name`, so both
   * see the same moments of a noisy machine; after `warmUp` unrecorded pairs. Sorted ms.
   */
  pairedRtt(label: string, name: string, samples: number, warmUp: number): Promise<{ raw: number[]; ours: number[] }>
  /** Errors the page saw (raw link errors, uncaught errors). */
  errors(): string[]
  close(): Promise<void>
}

declare global {
  interface Window {
    __bench?: BenchPage
    /** Installed by the benchmark (page.exposeFunction): relays a raw link's signal. */
    __benchSignal?: (label: string, data: unknown) => Promise<void>
  }
}


let node: DistNode | undefined
const raws = new Map<string, Peer.Instance>()
const seen: string[] = []
window.addEventListener('error', (event) => void seen.push(`uncaught: ${event.message}`))
window.addEventListener('unhandledrejection', (event) => void seen.push(`unhandled rejection: ${String(event.reason)}`))

function joined(): DistNode {
  if (node === undefined) throw new Error('this tab has not joined')
  return node
}

function raw(label: string): Peer.Instance {
  const peer = raws.get(label)
  if (peer === undefined) throw new Error(`no raw link ${label}`)
  return peer
}

const bench: BenchPage = {
  async join(hub, cluster, id) {
    const joinedNode = await connect({ hub, cluster, id })
    joinedNode.register(`echo:${id}`, joinedNode.spawn({ handleCall: (msg) => msg }))
    node = joinedNode
  },

  sees(other, name) {
    const n = joined()
    return n.nodes().includes(other) && n.allPidsOf(name).length > 0
  },

  rawOpen(label, initiator, echo) {
    const peer = new Peer({ initiator, trickle: true, config: { iceServers: [] } })
    raws.set(label, peer)
    peer.on('signal', (data) => void window.__benchSignal?.(label, data))
    peer.on('error', (error: Error) => void seen.push(`raw ${label}: ${error.message}`))
    if (echo) peer.on('data', (data: Uint8Array) => peer.send(data))
    return new Promise<void>((resolve, reject) => {
      peer.once('connect', () => resolve())
      peer.once('error', reject)
    })
  },

  rawSignal(label, data) {
    raw(label).signal(data as Peer.SignalData)
  },

  pairedRtt(label, name, samples, warmUp) {
    const n = joined()
    const peer = raw(label)
    const rawEcho = (): Promise<void> =>
      new Promise<void>((resolve) => {
        peer.once('data', () => resolve())
        peer.send(SMALL_TEXT)
      })
    return pairedRtt(rawEcho, (i) => n.call(name, { ...SMALL, n: i }), samples, warmUp)
  },

  errors() {
    return [...seen]
  },

  async close() {
    for (const peer of raws.values()) peer.destroy()
    raws.clear()
    await node?.close()
  },
}

window.__bench = bench
