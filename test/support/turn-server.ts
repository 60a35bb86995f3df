/**
 * coturn's turnserver for the TURN tests, on a free loopback port: long-term credentials
 * (a static user), no TLS, loopback peers allowed (both ends of the tested links are on
 * this machine). `$TURNSERVER` or /usr/bin/turnserver (`npm test` installs Debian's
 * coturn when it is missing).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createConnection } from 'node:net'
import { freePort } from './redis-server.js'

export interface TurnServer {
  readonly port: number
  readonly username: string
  readonly credential: string
  /** A TURN URL over TCP (`turn:127.0.0.1:<port>?transport=tcp`): what a browser without UDP uses. */
  readonly tcpUrl: string
  /** A TURN URL over UDP (`turn:127.0.0.1:<port>`): what node-datachannel (libjuice) speaks. */
  readonly udpUrl: string
  stop(): Promise<void>
}

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })

/** Starts turnserver and resolves once it accepts TCP connections. */
export async function startTurnServer(): Promise<TurnServer> {
  const port = await freePort()
  const username = 'distribunator'
  const credential = 'turn-secret-for-tests'
  const child: ChildProcess = spawn(
    process.env['TURNSERVER'] || '/usr/bin/turnserver',
    ['-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`, '--no-tls', '--no-dtls', '--lt-cred-mech', `--user=${username}:${credential}`, '--realm=distribunator', '--fingerprint', '--no-cli', '--allow-loopback-peers', '--log-file=stdout'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  child.stdout?.on('data', (chunk: Buffer) => (out = (out + chunk.toString()).slice(-4000)))
  child.stderr?.on('data', (chunk: Buffer) => (out = (out + chunk.toString()).slice(-4000)))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const deadline = Date.now() + 10_000
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`turnserver did not start: ${out}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    port,
    username,
    credential,
    tcpUrl: `turn:127.0.0.1:${port}?transport=tcp`,
    udpUrl: `turn:127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000)
      await exited
      clearTimeout(timer)
    },
  }
}
