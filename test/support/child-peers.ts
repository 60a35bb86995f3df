/** Starts fixture peers in child processes and waits for them to be meshed. */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const fixture = fileURLToPath(new URL('../fixtures/peer-node.ts', import.meta.url))

export interface ChildPeer {
  readonly id: string
  readonly process: ChildProcess
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly exited: Promise<number | string | null>
}

/**
 * Starts `test/fixtures/peer-node.ts` in a child process and waits until it is meshed.
 * `hub` is one URL or several (the child joins through the first and moves on when it dies).
 */
export async function startChildPeer(hub: string | readonly string[], cluster: string, id: string, heartbeatTimeoutMs?: number): Promise<ChildPeer> {
  const hubs = typeof hub === 'string' ? hub : hub.join(',')
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, hubs, cluster, id, ...(heartbeatTimeoutMs ? [String(heartbeatTimeoutMs)] : [])], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)))
  await readyLine(child, `ready ${id}`, `child ${id}`, 20_000)
  return { id, process: child, exited }
}

/** Resolves once `child` prints `line`; rejects when it exits first or takes over `ms`. */
export function readyLine(child: ChildProcess, line: string, what: string, ms: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`${what} did not get ready: ${out}`)), ms)
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes(line)) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${what} exited with ${String(code)}: ${out}`))
    })
  })
}

/** Ends a child gracefully (stdin closed) and waits for it. */
export async function stopChildPeer(peer: ChildPeer): Promise<void> {
  if (peer.process.exitCode === null && peer.process.signalCode === null) peer.process.stdin?.end()
  await peer.exited
}
