/**
 * The processes an end-to-end test needs besides the browser: a signaling hub (the demo's,
 * in a child process so a test can kill and restart it) and the demo's Node
 * worker (demo/worker.ts), each on a free port, each stopped when the test is done.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

export interface Service {
  readonly process: ChildProcess
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>
  /** Everything it printed, for failure messages. */
  output(): string
  /** SIGTERM (or the given signal), then SIGKILL after 3 s; resolves once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>
}

export interface HubService extends Service {
  readonly url: string
  readonly port: number
}

/** The key by which the demo's hub admits the worker as the server (one per test run), handed to both. */
const serverKey = { DEMO_SERVER_KEY: randomBytes(24).toString('base64url') }

/** Starts a TypeScript entry point with tsx and waits for a line matching `ready`. */
async function startTs(label: string, args: string[], ready: RegExp, timeoutMs = 30_000): Promise<{ service: Service; match: RegExpExecArray }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...serverKey } })
  let out = ''
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const service: Service = {
    process: child,
    exited,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal)
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
        await exited
        clearTimeout(timer)
      }
    },
  }
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs)
    const onData = (chunk: Buffer): void => {
      out += chunk.toString()
      const found = ready.exec(out)
      if (found) {
        clearTimeout(timer)
        child.off('exit', onExit)
        resolve(found)
      }
    }
    const onExit = (code: number | null): void => fail(`exited with ${code}`)
    function fail(why: string): void {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`${label} ${why}:\n${out}`))
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.once('exit', onExit)
  })
  return { service, match }
}

/**
 * Starts the demo's hub (the library's hub with the demo's admission: the worker is the
 * server, every tab a player; demo/hub.ts) on `port` (0: a free one).
 *
 * @example
 * const hub = await startHub()
 * await hub.stop('SIGKILL')
 * const again = await startHub(hub.port)
 */
export async function startHub(port = 0): Promise<HubService> {
  const { service, match } = await startTs('hub', ['demo/hub.ts', '--port', String(port)], /listening on (http:\/\/\S+)/)
  const url = match[1] ?? ''
  return { ...service, url, port: Number(new URL(url).port) }
}

/** Starts the demo's Node worker (id `worker`) in `cluster`. */
export async function startWorker(hub: string, cluster: string): Promise<Service> {
  const { service } = await startTs('worker', ['demo/worker.ts', '--hub', hub, '--cluster', cluster, '--quiet'], /^ready /m)
  return service
}
