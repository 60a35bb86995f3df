// Debug logs in real processes: the hub CLI (`--verbose`, or nothing) and Node peers made
// by `connect()` (test/fixtures/peer-node.ts) with `DEBUG=distribunator*` and without it,
// their stderr read as a person debugging a cluster reads it.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { eventually } from '../support/eventually.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const peerFixture = fileURLToPath(new URL('../fixtures/peer-node.ts', import.meta.url))

interface Proc {
  readonly child: ChildProcess
  stdout(): string
  stderr(): string
  readonly exit: Promise<number | string | null>
}

const running: Proc[] = []
afterEach(async () => {
  for (const proc of running.splice(0)) {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL')
    await proc.exit
  }
})

/** Runs `args` under node with tsx, with `DEBUG` as given (and none inherited). */
function run(args: string[], debug: string | undefined): Proc {
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env.DEBUG
  if (debug !== undefined) env.DEBUG = debug
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
  const exit = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)))
  const proc = { child, stdout: () => out, stderr: () => err, exit }
  running.push(proc)
  return proc
}

/** Starts the hub CLI on a free port; resolves with its URL. */
async function startCli(flags: string[], debug?: string, port = 0): Promise<Proc & { url: string }> {
  const cli = run(['src/server/cli.ts', '--port', String(port), ...flags], debug)
  await eventually(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(cli.stdout()), 15_000, 'the hub to listen')
  return { ...cli, url: /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.stdout())?.[1] ?? '' }
}

async function startPeer(hub: string, cluster: string, id: string, debug?: string): Promise<Proc> {
  const peer = run([peerFixture, hub, cluster, id], debug)
  await eventually(() => peer.stdout().includes(`ready ${id}`), 20_000, `${id} to be ready`)
  return peer
}

/** The lines of `text` that `pattern` matches. */
const lines = (text: string, pattern: RegExp): string[] => text.split('\n').filter((line) => pattern.test(line))

describe('debug logs', () => {
  it('DEBUG=distribunator* shows the join, the members, each link and its path, and why a link went down; without it nothing', async () => {
    const hub = await startCli([])
    const a = await startPeer(hub.url, 'logs', 'a', 'distribunator*')
    const b = await startPeer(hub.url, 'logs', 'b')
    // a joined alone, saw b join, linked it over the relay at once, then moved it to WebRTC
    await eventually(() => /distribunator:mesh b: link moved to direct/.test(a.stderr()), 15_000, "a's link to b moving to the direct path")
    const log = a.stderr()
    expect(lines(log, /distribunator:signaling joined /)).toEqual([expect.stringContaining(`distribunator:signaling joined logs as a via ${hub.url}: 0 members`)])
    expect(log).toMatch(/distribunator:signaling member b joined/)
    expect(log).toMatch(/distribunator:link link to b up/)
    expect(log).toMatch(/distribunator:mesh b: linked over relay/)
    expect(log).toMatch(/distribunator:mesh b: direct attempt, (offering|answering)/)
    // in that order: joined, b seen, linked over the relay, then moved
    const order = ['joined logs as a', 'member b joined', 'b: linked over relay', 'b: link moved to direct'].map((line) => log.indexOf(line))
    expect(order).toEqual([...order].sort((x, y) => x - y))
    // b's process dies: the hub sees it leave, a's link goes down with the reason
    b.child.kill('SIGKILL')
    await eventually(() => /distribunator:link link to b down: left_cluster/.test(a.stderr()), 15_000, "a's link to b down")
    expect(a.stderr()).toMatch(/distribunator:mesh b: left the cluster/)
    // The join key and auth are never in the log; b, without DEBUG, printed nothing of ours.
    expect(a.stderr()).not.toMatch(/key|auth/i)
    expect(lines(b.stderr(), /distribunator/)).toEqual([])
    expect(lines(hub.stderr(), /distribunator/)).toEqual([])
  }, 60_000)

  it('shows the hub going away and coming back on the node', async () => {
    const hub = await startCli([])
    const a = await startPeer(hub.url, 'logs', 'a', 'distribunator:signaling')
    hub.child.kill('SIGTERM')
    await eventually(() => /distribunator:signaling http:\/\/127\.0\.0\.1:\d+: connection lost \(transport close\)/.test(a.stderr()), 15_000, 'the lost hub in the log')
    await eventually(() => /distribunator:signaling .*connection refused: nothing listens on 127\.0\.0\.1:\d+/.test(a.stderr()), 15_000, 'a refused reconnection in the log')
    expect(a.stderr()).toMatch(/distribunator:signaling next attempt in \d+ ms/)
    await startCli([], undefined, Number(new URL(hub.url).port))
    await eventually(() => lines(a.stderr(), /distribunator:signaling joined logs as a via/).length === 2, 15_000, 'the join again in the log')
    // only the namespace asked for
    expect(lines(a.stderr(), /distribunator:(?!signaling )/)).toEqual([])
  }, 60_000)

  it('the hub CLI with --verbose logs joins and leaves; without it, none', async () => {
    // --verbose adds to what DEBUG turns on (socket.io's own log here) rather than replacing it
    const verbose = await startCli(['--verbose'], 'socket.io:socket')
    const quiet = await startCli([])
    for (const hub of [verbose, quiet]) {
      const peer = await startPeer(hub.url, 'cli', 'p')
      peer.child.stdin?.end()
      await peer.exit
    }
    await eventually(() => /distribunator:hub cli\/p left/.test(verbose.stderr()), 15_000, 'the leave in the verbose log')
    expect(verbose.stderr()).toMatch(/distribunator:hub cli\/p joined \(0 other members\)/)
    expect(verbose.stderr()).toMatch(/distribunator:hub \S+ \(cli\/p\) disconnected: /)
    expect(verbose.stderr()).toMatch(/socket\.io:socket /)
    expect(lines(quiet.stderr(), /distribunator/)).toEqual([])
  }, 60_000)

  it('the CLI documents --verbose and refuses a value for it', async () => {
    const help = run(['src/server/cli.ts', '--help'], undefined)
    expect(await help.exit).toBe(0)
    expect(help.stdout()).toMatch(/--verbose\s+log each join, refusal, leave and closed connection/)
    const bad = run(['src/server/cli.ts', '--verbose=yes'], undefined)
    expect(await bad.exit).toBe(1)
    expect(bad.stderr()).toMatch(/--verbose takes no value/)
  }, 30_000)
})
