#!/usr/bin/env node
// `npm start`: runs the demo. Starts the signaling hub, a Node worker that joins the demo
// cluster as a peer node, and the Vite dev server for the demo page, then prints the URL
// to open. Ctrl-C stops all three, as do SIGTERM and SIGHUP, and so does the end of the
// process that started this one (`npm start` killed: npm's shell dies without passing the
// signal on, and this process would otherwise keep the three running).
//
//   npm start -- [--hub-port 8080] [--port 5173]
//   HUB_PORT=8080 DEMO_PORT=5173 npm start
//
// Only Node built-ins are imported here: `ensureDependencies()` may first have to run
// `npm ci`, and everything from node_modules runs in child processes.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ensureDependencies, root } from './ensure.mjs'

const USAGE = `usage: npm start -- [--hub-port N] [--port N]
  --hub-port N   port of the signaling hub (default: $HUB_PORT or 8080)
  --port N       port of the demo page (default: $DEMO_PORT or 5173)`

const color = process.stdout.isTTY && !process.env.NO_COLOR
const paint = (code, text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text)
const bold = (text) => paint('1', text)
const dim = (text) => paint('2', text)

function fail(message) {
  console.error(`npm start: ${message}`)
  process.exit(1)
}

function readOptions() {
  let values
  try {
    ;({ values } = parseArgs({
      options: {
        'hub-port': { type: 'string', default: process.env.HUB_PORT || '8080' },
        port: { type: 'string', default: process.env.DEMO_PORT || '5173' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }))
  } catch (error) {
    fail(`${error.message}\n${USAGE}`)
  }
  if (values.help) {
    console.log(USAGE)
    process.exit(0)
  }
  const port = (text, what) => {
    const n = Number(text)
    if (!/^\d+$/.test(text) || n < 1 || n > 65535) fail(`invalid ${what} ${JSON.stringify(text)}: expected 1..65535\n${USAGE}`)
    return n
  }
  const hubPort = port(values['hub-port'], 'hub port')
  const demoPort = port(values.port, 'demo port')
  if (hubPort === demoPort) fail(`the hub and the demo page need two different ports (both are ${hubPort})`)
  return { hubPort, demoPort }
}

/** Resolves when `port` can be bound on 127.0.0.1, rejects with the reason otherwise. */
function checkPort(port) {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve()))
  })
}

async function ensureFree(port, what, flag, env) {
  try {
    await checkPort(port)
  } catch (error) {
    const reason = error.code === 'EADDRINUSE' ? 'is already in use' : error.code === 'EACCES' ? 'needs more privileges' : `cannot be used (${error.message})`
    fail(`port ${port} for the ${what} ${reason}.\nStop what is using it, or pick another: npm start -- ${flag} <port>  (or ${env}=<port> npm start)`)
  }
}

const children = []
let stopping = false

/** Starts a child process whose output lines are prefixed with `label`; none once stopping. */
function start(label, args, env = {}) {
  if (stopping) throw new Error(`not starting the ${label}: stopping`)
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const entry = { label, child, exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal))) }
  children.push(entry)
  const lines = []
  const forward = (stream, write) => {
    let rest = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk) => {
      const parts = (rest + chunk).split('\n')
      rest = parts.pop() ?? ''
      for (const line of parts) {
        lines.push(line)
        if (lines.length > 50) lines.shift()
        if (line.trim() !== '') write(`${dim(`[${label}]`)} ${line}\n`)
        for (const waiter of [...entry.waiters]) waiter(line)
      }
    })
  }
  entry.waiters = new Set()
  entry.lines = lines
  forward(child.stdout, (text) => process.stdout.write(text))
  forward(child.stderr, (text) => process.stderr.write(text))
  child.once('exit', (code, signal) => {
    // Ctrl-C reaches the children too; give this process a moment to notice it first.
    setTimeout(() => {
      if (stopping) return
      console.error(`\n${bold(label)} stopped unexpectedly (${signal ?? `exit code ${code}`}); stopping the rest.`)
      void stopAll(1)
    }, 300)
  })
  return entry
}

/** Resolves once `entry` prints a line matching `pattern`; rejects if it exits or takes too long. */
function waitForLine(entry, pattern, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${entry.label} was not ready after ${timeoutMs / 1000} s`)), timeoutMs)
    const onLine = (line) => {
      const match = pattern.exec(line)
      if (match) done(undefined, match)
    }
    const onExit = () => done(new Error(`${entry.label} exited before it was ready`))
    function done(error, match) {
      clearTimeout(timer)
      entry.waiters.delete(onLine)
      entry.child.off('exit', onExit)
      if (error) reject(error)
      else resolve(match)
    }
    entry.waiters.add(onLine)
    entry.child.once('exit', onExit)
  })
}

/** Resolves once `url` answers HTTP, polling. */
async function waitForHttp(entry, url, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (entry.child.exitCode !== null || entry.child.signalCode !== null) throw new Error(`${entry.label} exited before it was ready`)
    try {
      const response = await fetch(url)
      if (response.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`${entry.label} did not answer at ${url} after ${timeoutMs / 1000} s`)
}

/** Ends one child: SIGTERM, then SIGKILL if it is still there after 3 s. */
async function stop(entry) {
  const { child } = entry
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM')
    const late = await Promise.race([entry.exited.then(() => false), new Promise((resolve) => setTimeout(() => resolve(true), 3000).unref())])
    if (late) child.kill('SIGKILL')
  }
  await entry.exited
}

async function stopAll(code) {
  if (stopping) return
  stopping = true
  if (code === 0) console.log('\nstopping…')
  // The worker and the page first, so the worker says goodbye to the tabs; the hub last.
  await Promise.all(children.filter((entry) => entry.label !== 'hub').map(stop))
  await Promise.all(children.filter((entry) => entry.label === 'hub').map(stop))
  if (code === 0) console.log('stopped the worker, the demo page and the hub')
  process.exit(code)
}

/**
 * Stops everything when this process is orphaned: `npm start` runs it under `sh -c`, and
 * when npm is killed (SIGTERM, SIGHUP, SIGKILL) the shell dies without passing the signal
 * on. The parent's end shows as a new parent id.
 */
function stopWithParent() {
  const parent = process.ppid
  const timer = setInterval(() => {
    if (process.ppid === parent) return
    clearInterval(timer)
    console.error('\nthe parent process (npm) is gone; stopping')
    void stopAll(0)
  }, 250)
  timer.unref()
}

async function main() {
  ensureDependencies()
  const { hubPort, demoPort } = readOptions()
  await ensureFree(hubPort, 'hub', '--hub-port', 'HUB_PORT')
  await ensureFree(demoPort, 'demo page', '--port', 'DEMO_PORT')

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void stopAll(0))
  // A closed terminal or a dead parent's pipe must not end this process before it has
  // stopped the children: output that cannot be written is dropped.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})
  stopWithParent()

  const tsx = ['--import', 'tsx']
  // The demo's hub admits the worker as the server by this key (a new one each run) and
  // every tab as a player: only the worker may hold the counter (demo/hub.ts).
  const serverKey = { DEMO_SERVER_KEY: randomBytes(24).toString('base64url') }
  const hub = start('hub', [...tsx, 'demo/hub.ts', '--port', String(hubPort)], serverKey)
  const [, hubUrl] = await waitForLine(hub, /listening on (\S+)/, 20_000)

  const worker = start('worker', [...tsx, 'demo/worker.ts', '--hub', hubUrl, '--cluster', 'demo', '--id', 'worker'], serverKey)
  await waitForLine(worker, /^ready /, 20_000)

  const demoUrl = `http://127.0.0.1:${demoPort}/`
  const vite = start('vite', [join(root, 'node_modules/vite/bin/vite.js'), '--host', '127.0.0.1', '--port', String(demoPort), '--strictPort', '--clearScreen', 'false', '--logLevel', 'warn'], {
    VITE_HUB_URL: hubUrl,
  })
  await waitForHttp(vite, demoUrl, 30_000)

  console.log(`
${bold('distribunator demo is running')}

  Open ${bold(paint('36', demoUrl))} in two or more tabs or browsers.

  ${dim('hub')}     ${hubUrl}
  ${dim('worker')}  a Node.js peer in cluster "demo" (holds the shared counter)
  ${dim('page')}    ${demoUrl}  (Vite dev server; ?hub=<url> points a page at another hub)

  Ctrl-C stops all three.
`)
}

main().catch((error) => {
  // Stopping makes the steps still waiting fail: that is no error of theirs.
  if (stopping) return
  console.error(`npm start: ${error.message}`)
  for (const entry of children) {
    const tail = entry.lines.slice(-5).join('\n')
    if (tail.trim()) console.error(`last output of ${entry.label}:\n${tail}`)
  }
  void stopAll(1)
})
