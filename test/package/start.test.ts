/**
 * `npm start` (scripts/start.mjs) stops its whole group however it is told to: SIGTERM or
 * SIGHUP to it, or SIGTERM to the npm process that runs it (npm passes the signal to its
 * shell, which dies without passing it on). Each case starts the demo on free ports, waits
 * for the URL, records every process under it, sends the signal, and checks that all of
 * them are gone and both ports free again within a few seconds. Linux only (reads /proc).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createServer, connect as connectTcp } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ port, host: '127.0.0.1' })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** Parent pid and state of every process, from /proc. */
function processTable(): Map<number, { ppid: number; state: string }> {
  const table = new Map<number, { ppid: number; state: string }>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      table.set(Number(name), { ppid: Number(ppid), state: state ?? '' })
    } catch {
      // gone meanwhile
    }
  }
  return table
}

/** `pid` and every process under it. */
function processTree(pid: number): number[] {
  const table = processTable()
  const tree = [pid]
  for (let i = 0; i < tree.length; i++) {
    for (const [child, { ppid }] of table) if (ppid === tree[i]) tree.push(child)
  }
  return tree
}

/** The pids of `pids` still running (an exited process not yet reaped counts as gone). */
function alive(pids: readonly number[]): number[] {
  const table = processTable()
  return pids.filter((pid) => {
    const entry = table.get(pid)
    return entry !== undefined && entry.state !== 'Z'
  })
}

async function until(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

let launched: ChildProcess | undefined
let group: number[] = []

afterEach(() => {
  // A failed case must not leave the demo running.
  for (const pid of alive(group)) process.kill(pid, 'SIGKILL')
  launched?.kill('SIGKILL')
  launched = undefined
  group = []
})

/**
 * Starts the demo (`through` npm or node), waits until it prints its URL, sends `signal` to
 * the process started, and checks that the whole group stopped and released its ports.
 */
async function stopsOn(signal: NodeJS.Signals, through: 'node' | 'npm'): Promise<void> {
  const hubPort = await freePort()
  let demoPort = await freePort()
  while (demoPort === hubPort) demoPort = await freePort()
  const ports = ['--hub-port', String(hubPort), '--port', String(demoPort)]
  const [command, args] = through === 'npm' ? [npm, ['start', '--', ...ports]] : [process.execPath, ['scripts/start.mjs', ...ports]]
  const child = spawn(command, args, { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
  launched = child
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  const pid = child.pid
  if (pid === undefined) throw new Error(`${command} did not start`)

  await until(`no URL from npm start (output: ${output})`, 60_000, () => {
    if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${output}`)
    return output.includes(`Open http://127.0.0.1:${demoPort}/`)
  })
  group = processTree(pid)
  // node (or npm, sh and node), the hub, the worker and Vite at least.
  expect(group.length, output).toBeGreaterThanOrEqual(through === 'npm' ? 6 : 4)
  expect(await listening(hubPort)).toBe(true)
  expect(await listening(demoPort)).toBe(true)

  process.kill(pid, signal)
  await until(`still running after ${signal}: ${alive(group).join(', ')}\n${output}`, 8_000, () => alive(group).length === 0)
  await until(`a port still in use after ${signal}`, 2_000, async () => !(await listening(hubPort)) && !(await listening(demoPort)))
}

describe.runIf(process.platform === 'linux' && existsSync('/proc/self/stat'))('npm start', () => {
  it('stops the hub, the worker and Vite on SIGTERM', () => stopsOn('SIGTERM', 'node'), 90_000)
  it('stops the hub, the worker and Vite on SIGHUP', () => stopsOn('SIGHUP', 'node'), 90_000)
  it('stops them all when the npm process running it gets SIGTERM', () => stopsOn('SIGTERM', 'npm'), 90_000)
})
