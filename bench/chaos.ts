/**
 * The chaos run: six Node members in their own processes cast to each other every 50 ms
 * through one hub (its own process too) while faults come one after another: a member
 * SIGKILLed or SIGTERMed and started again under the same id, a member SIGSTOPped for
 * 4 s, the hub SIGKILLed and started again on the same port. Three members (m1..m3) are
 * never faulted, the others take the member faults.
 *
 * What it counts (`ChaosResult`):
 * - false nodedowns: a member reporting another down while neither is in a fault (from
 *   its start to 2 s after its end);
 * - the time from each fault's end (the new `connect()` resolved, SIGCONT, the hub
 *   listening again) until every member is linked to every other and sees its sink;
 * - lost, repeated or reordered casts between members never faulted;
 * - `error` events (none is expected: restarts are the normal case, not a protocol error).
 *
 *   npm run chaos -- [--seconds 120] [--seed 1]
 * Prints each fault as it goes and the result as JSON. `test/cluster/chaos.test.ts` runs a
 * shorter one in `npm test`.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { freePort } from '../test/support/redis-server.js'

const MEMBER = fileURLToPath(new URL('../test/fixtures/chaos-member.ts', import.meta.url))
const CLI = fileURLToPath(new URL('../src/server/cli.ts', import.meta.url))
const IDS = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'] as const
const STABLE = new Set(['m1', 'm2', 'm3'])
/** A fault counts until this long after its end (a nodedown then is the fault's, not false). */
const SETTLE_MS = 2000
const STOP_MS = 4000

export type FaultKind = 'SIGKILL' | 'SIGTERM' | 'SIGSTOP' | 'hub'

export interface FaultRecord {
  readonly kind: FaultKind
  readonly member: string | undefined
  /** From the fault's end until the cluster was whole again, in ms (Infinity: it never was). */
  readonly convergedMs: number
}

export interface ChaosResult {
  readonly seconds: number
  readonly faults: readonly FaultRecord[]
  readonly nodedowns: number
  readonly falseNodedowns: readonly string[]
  /** A member seen down more than once by the same member within one fault (a link that flapped). */
  readonly repeatedNodedowns: readonly string[]
  readonly errors: readonly string[]
  /** Lost, repeated or reordered casts between members never faulted. */
  readonly stableAnomalies: readonly string[]
  /** Every anomaly, faulted pairs included (casts in flight when a member died are lost). */
  readonly anomalies: number
  /** Casts the never-faulted members received. */
  readonly stableReceived: number
  readonly maxConvergedMs: number
}

interface Report {
  readonly t: string
  readonly id: string
  readonly at: number
  readonly [key: string]: unknown
}

interface Member {
  readonly id: string
  child: ChildProcess
  /** Its latest view: linked nodes and how many peer sinks it sees. */
  nodes: readonly string[]
  sinks: number
  /** Its hub connection is up (it said `lost` and not yet `back`: false). */
  hubUp: boolean
  ready: Promise<void>
  exited: Promise<void>
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A seeded pseudo-random sequence (the same faults for the same seed). */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

export async function runChaos(options: { seconds: number; seed?: number; log?: (line: string) => void }): Promise<ChaosResult> {
  const log = options.log ?? (() => {})
  const next = random(options.seed ?? 1)
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const cluster = `chaos-${process.pid}`
  const reports: Report[] = []
  const members = new Map<string, Member>()
  /** Fault windows of each member: [start, end + SETTLE_MS]. */
  const windows = new Map<string, Array<[number, number]>>()
  const children = new Set<ChildProcess>()

  let hub: ChildProcess | undefined
  const startHub = async (): Promise<void> => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--port', String(port), '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] })
    children.add(child)
    child.once('exit', () => children.delete(child))
    child.stderr?.resume()
    hub = child
    await new Promise<void>((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => reject(new Error(`the hub did not start: ${out}`)), 20_000)
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        if (out.includes('listening on')) {
          clearTimeout(timer)
          resolve()
        }
      })
      child.once('exit', (code) => reject(new Error(`the hub exited with ${String(code)}: ${out}`)))
    })
  }

  const startMember = (id: string): Member => {
    const child = fork(MEMBER, [url, cluster, id, IDS.join(',')], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
    children.add(child)
    const member: Member = {
      id,
      child,
      nodes: [],
      sinks: 0,
      hubUp: true,
      ready: new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${id} did not get ready`)), 30_000)
        child.on('message', (message: unknown) => {
          const report = message as Report
          if (report.t === 'ready') {
            clearTimeout(timer)
            resolve()
          }
        })
        child.once('exit', () => clearTimeout(timer))
      }),
      exited: new Promise<void>((resolve) => child.once('exit', () => resolve())),
    }
    child.once('exit', () => children.delete(child))
    child.on('message', (message: unknown) => {
      const report = message as Report
      reports.push(report)
      if (Array.isArray(report['nodes'])) member.nodes = report['nodes'] as string[]
      if (typeof report['sinks'] === 'number') member.sinks = report['sinks']
      if (report.t === 'hub') member.hubUp = report['status'] === 'back'
    })
    members.set(id, member)
    return member
  }

  /** Every member joined to the hub, linked to all five others and seeing their sinks. */
  const whole = (): boolean => [...members.values()].every((m) => m.hubUp && m.nodes.length === IDS.length - 1 && m.sinks === IDS.length - 1)
  const converge = async (from: number, limitMs: number): Promise<number> => {
    const deadline = from + limitMs
    while (!whole()) {
      if (Date.now() > deadline) return Infinity
      await sleep(20)
    }
    return Math.max(0, Date.now() - from)
  }

  const faults: FaultRecord[] = []
  const started = Date.now()
  try {
    await startHub()
    for (const id of IDS) startMember(id)
    await Promise.all([...members.values()].map((m) => m.ready))
    if ((await converge(Date.now(), 20_000)) === Infinity) throw new Error('the cluster never formed')
    log(`chaos: 6 members on ${url}, faults for ${options.seconds} s`)
    const until = Date.now() + options.seconds * 1000
    const kinds: FaultKind[] = ['SIGKILL', 'SIGTERM', 'SIGSTOP', 'hub']
    while (Date.now() < until) {
      const kind = kinds[Math.floor(next() * kinds.length)] as FaultKind
      const target = kind === 'hub' ? undefined : (['m4', 'm5', 'm6'][Math.floor(next() * 3)] as string)
      const start = Date.now()
      let end: number
      if (kind === 'hub') {
        const old = hub as ChildProcess
        const gone = new Promise<void>((resolve) => old.once('exit', () => resolve()))
        old.kill('SIGKILL')
        await gone
        await sleep(300)
        for (const member of members.values()) member.hubUp = false // until each says it is back
        await startHub()
        end = Date.now()
      } else {
        const member = members.get(target as string) as Member
        if (kind === 'SIGSTOP') {
          member.child.kill('SIGSTOP')
          await sleep(STOP_MS)
          member.child.kill('SIGCONT')
          end = Date.now()
        } else {
          member.child.kill(kind)
          await member.exited
          const fresh = startMember(member.id)
          await fresh.ready // its connect() resolved
          end = Date.now()
        }
        const list = windows.get(member.id) ?? []
        list.push([start, end + SETTLE_MS])
        windows.set(member.id, list)
      }
      const convergedMs = await converge(end, 10_000)
      faults.push({ kind, member: target, convergedMs })
      log(`chaos: ${kind}${target === undefined ? '' : ` ${target}`}: whole again ${convergedMs === Infinity ? 'never (10 s)' : `${convergedMs} ms`} after the fault ended`)
      await sleep(500 + next() * 1500)
    }
    for (const member of members.values()) member.child.send('finish')
    await sleep(300)
  } finally {
    for (const child of children) {
      child.kill('SIGCONT')
      child.kill('SIGKILL')
    }
  }

  const inFault = (id: string, at: number): boolean => (windows.get(id) ?? []).some(([from, to]) => at >= from && at <= to)
  const downs = reports.filter((r) => r.t === 'down')
  const falseNodedowns = downs
    .filter((r) => !inFault(r.id, r.at) && !inFault(String(r['peer']), r.at))
    .map((r) => `${r.id} saw ${String(r['peer'])} down (${String(r['reason'])}: ${String(r['detail'])}) at +${r.at - started} ms`)
  const perFault = new Map<string, number>()
  for (const r of downs) {
    const peer = String(r['peer'])
    // the latest fault of either side that the nodedown falls in
    const window = [peer, r.id]
      .flatMap((id) => (windows.get(id) ?? []).filter(([from, to]) => r.at >= from && r.at <= to).map(([from]) => ({ id, from })))
      .sort((x, y) => y.from - x.from)
      .map(({ id, from }) => `${id}@${from}`)[0]
    if (window === undefined) continue
    const key = `${r.id} saw ${peer} down during the fault of ${window.replace(/@.*/, '')} at +${Number(window.replace(/.*@/, '')) - started} ms`
    perFault.set(key, (perFault.get(key) ?? 0) + 1)
  }
  const repeatedNodedowns = [...perFault].filter(([, count]) => count > 1).map(([key, count]) => `${key}: ${count} times`)
  const anomalies = reports.filter((r) => r.t === 'anomaly')
  const stableAnomalies = anomalies
    .filter((r) => STABLE.has(r.id) && STABLE.has(String(r['from'])))
    .map((r) => `${r.id} from ${String(r['from'])}: ${String(r['kind'])} (got ${String(r['seq'])}, expected ${String(r['expected'])})`)
  const stableReceived = reports.filter((r) => r.t === 'stats' && STABLE.has(r.id)).reduce((sum, r) => sum + Number(r['received']), 0)
  return {
    seconds: options.seconds,
    faults,
    nodedowns: downs.length,
    falseNodedowns,
    repeatedNodedowns,
    errors: reports.filter((r) => r.t === 'error').map((r) => `${r.id}: ${String(r['message'])}`),
    stableAnomalies,
    anomalies: anomalies.length,
    stableReceived,
    maxConvergedMs: Math.max(0, ...faults.map((f) => f.convergedMs)),
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name: string, fallback: number): number => {
    const at = process.argv.indexOf(`--${name}`)
    return at === -1 ? fallback : Number(process.argv[at + 1])
  }
  const result = await runChaos({ seconds: arg('seconds', 120), seed: arg('seed', 1), log: (line) => console.log(line) })
  console.log(JSON.stringify(result, (_, v: unknown) => (v === Infinity ? 'never' : v), 2))
  const ok = result.falseNodedowns.length === 0 && result.repeatedNodedowns.length === 0 && result.stableAnomalies.length === 0 && result.errors.length === 0 && result.maxConvergedMs <= SETTLE_MS
  console.log(ok ? 'chaos: every target met' : 'chaos: a target was missed')
  process.exit(ok ? 0 : 1)
}
