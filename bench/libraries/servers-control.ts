/**
 * Starting and stopping the comparison's servers (bench/libraries/servers.ts), one child
 * process each, stopped by its own process id.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Servers } from './adapter.js'

const script = fileURLToPath(new URL('./servers.ts', import.meta.url))
const running = new Set<ChildProcess>()

/** Kills every server started here that is still running (on the way out of the benchmark). */
export function killLibraryServers(): void {
  for (const child of running) if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL')
}

interface Server {
  readonly port: number
  stop(): Promise<void>
}

function startServer(mode: string): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, mode], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  running.add(child)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  void exited.then(() => running.delete(child))
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
    process.kill(child.pid, 'SIGTERM')
    const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 3000)
    await exited
    clearTimeout(timer)
  }
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => {
      void stop()
      reject(new Error(`the ${mode} server did not start within 30 s: ${out}`))
    }, 30_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = /ready (\d+)\n/.exec(out)
      if (match) {
        clearTimeout(timer)
        resolve({ port: Number(match[1]), stop })
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the ${mode} server exited with ${code}: ${out}`))
    })
  })
}

/** The hub, PeerJS's server, the MQTT broker and the raw relay, on free ports; `stop` ends all four. */
export async function startServers(): Promise<{ servers: Servers; stop(): Promise<void> }> {
  const started = await Promise.allSettled(['hub', 'peer', 'mqtt', 'relay'].map(startServer))
  const up = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
  const stop = async (): Promise<void> => void (await Promise.all(up.map((s) => s.stop())))
  const failed = started.find((s) => s.status === 'rejected')
  if (failed !== undefined) {
    await stop()
    throw failed.reason
  }
  const [hub, peer, mqtt, relay] = up.map((s) => s.port) as [number, number, number, number]
  return {
    servers: { hub: `http://127.0.0.1:${hub}`, peer, mqtt: `ws://127.0.0.1:${mqtt}`, relay: `ws://127.0.0.1:${relay}` },
    stop,
  }
}
