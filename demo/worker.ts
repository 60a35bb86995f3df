/**
 * The demo's Node worker: a Node.js process that joins the same cluster as the tabs, over
 * the same WebRTC links, and serves them:
 *
 * - `counter`: a process holding the shared counter. Tabs change it with `call`; every
 *   new value is cast to each pid registered under `counter:view` (one per tab).
 * - `Demo.square(n, replyTo, tag)`: the rpc the demo shows step by step. The function
 *   monitors its caller (the short-lived rpc process) and, when that process ends, casts
 *   an `rpc-exit` report to `replyTo`; the caller's callback has returned by then.
 * - `Probe`: makes the worker call or cast any pid and report its registry, its links and
 *   the nodedowns it saw, so a tab (or a test) can drive Node → tab traffic and check
 *   the worker's view.
 *
 *   DEMO_SERVER_KEY=... node --import tsx demo/worker.ts [--hub http://127.0.0.1:8080] [--cluster demo] [--id worker]
 *
 * It joins with the run's server key (`DEMO_SERVER_KEY`, which `npm start` makes and hands
 * to the hub too) as `auth`, so the demo's hub (demo/hub.ts) admits it as the `server`:
 * only it may hold `counter` (every node's `acceptRegistration`, in shared.ts).
 * Prints `ready <id>` once it has joined; stops cleanly on SIGINT and SIGTERM.
 */
import { parseArgs } from 'node:util'
import { connect, isPid, type DistNode, type Pid, type RpcContext } from '../src/server/index.js'
import {
  DEFAULT_CLUSTER,
  DEFAULT_HUB_PORT,
  Modules,
  acceptRegistration,
  Names,
  WORKER_ID,
  parseCounterCall,
  parsePresenceCall,
  type CounterUpdate,
  type Profile,
  type RpcExitSeen,
} from './shared.js'

const { values } = parseArgs({
  options: {
    hub: { type: 'string', default: process.env.HUB_URL ?? `http://127.0.0.1:${DEFAULT_HUB_PORT}` },
    cluster: { type: 'string', default: DEFAULT_CLUSTER },
    id: { type: 'string', default: WORKER_ID },
    quiet: { type: 'boolean', default: false },
  },
})

const log = (message: string): void => {
  if (!values.quiet) console.log(message)
}

function servePresence(node: DistNode): void {
  const profile: Profile = { id: node.id, kind: 'node', since: Date.now() }
  const pid = node.spawn({
    handleCall: (msg) => {
      const call = parsePresenceCall(msg)
      if (call === null) throw new TypeError('expected { type: "profile" | "ping" }')
      return call.type === 'profile' ? profile : 'pong'
    },
  })
  node.register(Names.presence, pid)
}

function serveCounter(node: DistNode): void {
  let value = 0
  const add = (by: number, from: string): number => {
    value += by
    const update: CounterUpdate = { type: 'counter', value, by, from }
    // Pushed to every tab showing the counter: a cast to each pid of the name.
    for (const view of node.allPidsOf(Names.counterView)) node.cast(view, update)
    log(`counter ${value} (${by >= 0 ? '+' : ''}${by} from ${from})`)
    return value
  }
  // Who changed it is the node the call came from (`ctx.fromNode`, from the link), never a
  // field a tab writes into its own message.
  const pid = node.spawn({
    handleCall: (msg, ctx) => {
      const call = parseCounterCall(msg)
      if (call === null) throw new TypeError('expected { type: "get" } or { type: "add", by: integer }')
      return call.type === 'get' ? value : add(call.by, ctx.fromNode)
    },
    // A cast works too (fire and forget): the new value still reaches every tab.
    handleCast: (msg, ctx) => {
      const call = parseCounterCall(msg)
      if (call?.type === 'add') add(call.by, ctx.fromNode)
    },
  })
  node.register(Names.counter, pid)
}

function asPid(value: unknown, what: string): Pid {
  if (!isPid(value)) throw new TypeError(`${what} must be a pid`)
  return value
}

function exposeModules(node: DistNode): void {
  node.expose(Modules.demo, {
    square(this: RpcContext, n: unknown, replyTo: unknown, tag: unknown): number {
      if (typeof n !== 'number' || !Number.isFinite(n)) throw new TypeError('n must be a finite number')
      const reportTo = asPid(replyTo, 'replyTo')
      const rpcPid = this.caller
      if (rpcPid !== undefined) {
        // The rpc process stands for the caller; it ends only after the caller's callback.
        node.monitor(rpcPid, (reason) => {
          const seen: RpcExitSeen = { type: 'rpc-exit', tag: String(tag), rpcPid: rpcPid.toString(), reason }
          if (node.nodes().includes(reportTo.node)) node.cast(reportTo, seen)
        })
      }
      log(`Demo.square(${n}) for ${this.callerNode} in rpc process ${String(rpcPid)}`)
      return n * n
    },
  })
  node.expose(Modules.probe, {
    call: (pid: unknown, msg: unknown, timeoutMs: unknown) =>
      node.call(asPid(pid, 'pid'), msg, typeof timeoutMs === 'number' ? timeoutMs : undefined),
    cast: (pid: unknown, msg: unknown) => node.cast(asPid(pid, 'pid'), msg),
    registry: () => node.registry(),
    nodes: () => node.nodes(),
    /** Each link of the worker and the path it runs on (direct or through the hub's relay). */
    links: () => node.links(),
    /** Every `nodedown` this worker saw: which node, why, and when (ms since the epoch). */
    nodedowns: () => nodedowns,
  })
}

const nodedowns: Array<{ id: string; reason: string; at: number }> = []
const serverKey = process.env.DEMO_SERVER_KEY
if (serverKey === undefined || serverKey === '') console.error('worker: DEMO_SERVER_KEY is not set: the hub will admit this worker as a player, and no node takes its counter')
const node = await connect({ hub: values.hub, cluster: values.cluster, id: values.id, auth: serverKey, acceptRegistration }).catch((error: unknown) => {
  console.error(`worker: cannot join cluster "${values.cluster}" through ${values.hub}: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
servePresence(node)
serveCounter(node)
exposeModules(node)
node.on('nodeup', (id) => log(`linked to ${id} (${node.nodes().length} peer${node.nodes().length === 1 ? '' : 's'})`))
node.on('nodedown', (id, reason) => {
  nodedowns.push({ id, reason, at: Date.now() })
  if (nodedowns.length > 1000) nodedowns.shift()
  log(`lost ${id}: ${reason}`)
})
node.on('error', (error) => log(`dropped: ${error.message}`))

let stopping = false
const stop = (): void => {
  if (stopping) return
  stopping = true
  const force = setTimeout(() => process.exit(0), 2000)
  force.unref()
  void node.close().then(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
console.log(`ready ${node.id}`)
