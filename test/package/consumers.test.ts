/**
 * The package as it is published. A copy of the working tree without `dist/` (what a
 * fresh clone has) is packed with `npm pack`, whose `prepack` builds it; the tarball is
 * checked by publint and by @arethetypeswrong/cli (ESM only), then unpacked into consumer
 * projects under the system's temporary directory, which type-check against it with
 * `skipLibCheck: false`: a strict Node-only one (lib ES2022, types node, no DOM) and a
 * browser one (lib DOM, no Node types), and the typed API fixture (test/fixtures/typed-api.ts)
 * in the Node one's settings. The Node consumer also runs the server entry without the
 * optional Redis packages.
 *
 * A consumer gets exactly the packed `dependencies`, linked to this repository's
 * installed copies (nothing is downloaded); optional peer dependencies are left out.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { outputOf, run } from '../support/run.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const repoModules = realpathSync(join(root, 'node_modules'))
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

/** The JavaScript file of a package's command-line tool, run with this Node. */
function binOf(pkg: string, name: string): string {
  const manifest = JSON.parse(readFileSync(join(repoModules, pkg, 'package.json'), 'utf8')) as { bin: Record<string, string> }
  const bin = manifest.bin[name]
  if (bin === undefined) throw new Error(`${pkg} has no bin ${name}`)
  return join(repoModules, pkg, bin)
}
const tsc = binOf('typescript', 'tsc')

let work = ''
let tarball = ''
let files: string[] = []

/**
 * Gives `to` this repository's node_modules as a directory of its own: hard links where the
 * file system allows (a fraction of a second), a copy otherwise. Not a symlink: the build
 * writes paths relative to the package root into generated code, and a symlinked
 * node_modules would resolve to paths outside the clone.
 */
function linkModules(to: string): void {
  const linked = spawnSync('cp', ['-al', repoModules, join(to, 'node_modules')])
  if (linked.status === 0) return
  rmSync(join(to, 'node_modules'), { recursive: true, force: true })
  cpSync(repoModules, join(to, 'node_modules'), { recursive: true, verbatimSymlinks: true })
}

/** Copies what a clone of the working tree holds: tracked and unignored files, no build output. */
function cloneWorkingTree(to: string): void {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`)
  for (const path of listed.stdout.split('\0')) {
    // a path ending in / is another repository inside this one (a nested work tree): no clone has it
    if (path === '' || path.endsWith('/') || path.split('/')[0] === 'node_modules' || !existsSync(join(root, path))) continue
    mkdirSync(dirname(join(to, path)), { recursive: true })
    cpSync(join(root, path), join(to, path))
  }
  linkModules(to)
}

/** Packs a fresh copy of the working tree; returns the tarball's path. */
async function packFreshClone(): Promise<string> {
  const clone = join(work, 'clone')
  cloneWorkingTree(clone)
  expect(existsSync(join(clone, 'dist')), 'an unbuilt clone has no dist/').toBe(false)
  const packs = join(work, 'packs')
  mkdirSync(packs)
  const packed = await run(npm, ['pack', '--pack-destination', packs, '--json'], { cwd: clone, timeoutMs: 90_000 })
  expect(packed.code, outputOf(packed)).toBe(0)
  const [report] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[]
  if (report === undefined) throw new Error(`npm pack reported nothing\n${outputOf(packed)}`)
  files = report.files.map((file) => file.path)
  return join(packs, report.filename)
}

/**
 * Makes a consumer project: the tarball unpacked as node_modules/distribunator, its
 * `dependencies` linked from this repository, and `types` (such as @types/node) too.
 */
function consumer(name: string, tsconfig: object, main: string, types: readonly string[]): string {
  const dir = join(work, name)
  const modules = join(dir, 'node_modules')
  mkdirSync(join(modules, 'distribunator'), { recursive: true })
  const untar = spawnSync('tar', ['-xzf', tarball, '-C', join(modules, 'distribunator'), '--strip-components=1'])
  if (untar.status !== 0) throw new Error(`tar failed: ${String(untar.stderr)}`)
  const manifest = JSON.parse(readFileSync(join(modules, 'distribunator', 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }
  for (const dependency of [...Object.keys(manifest.dependencies ?? {}), ...types]) {
    mkdirSync(dirname(join(modules, dependency)), { recursive: true })
    symlinkSync(join(repoModules, dependency), join(modules, dependency), 'dir')
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }))
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: tsconfig, files: ['main.ts'] }))
  writeFileSync(join(dir, 'main.ts'), main)
  return dir
}

/** The first `node_modules/<name>` a module in `dir` would find, if any. */
function findUp(dir: string, name: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, 'node_modules', name))) return join(at, 'node_modules', name)
    if (dirname(at) === at) return undefined
  }
}

const STRICT = {
  strict: true,
  skipLibCheck: false,
  noEmit: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  target: 'ES2022',
}

const NODE_MAIN = `
import { createMemoryChannelPair, createNode, DistributedError, NodeDownError, type Channel, type DistNode } from 'distribunator'
import { cleanupNodeWebRtc, connect, createHub, nodeWrtc, type ConnectOptions, type Hub } from 'distribunator/server'
import { channelComplianceChecks } from 'distribunator/testing'

const options: ConnectOptions = { hub: 'http://127.0.0.1:8080', cluster: 'demo', iceServers: [{ urls: 'stun:stun.example.org:3478' }] }

export async function main(): Promise<void> {
  const hub: Hub = await createHub({ port: 0, redisUrl: 'redis://127.0.0.1:6379' })
  const node: DistNode = await connect({ ...options, hub: hub.url, id: 'worker' })
  node.register('counter', node.spawn({ handleCall: (msg) => msg }))
  const [a, b]: [Channel, Channel] = createMemoryChannelPair()
  const local = createNode({ id: 'local' })
  await Promise.all([local.link(a), createNode().link(b)])
  const error: DistributedError = new NodeDownError('worker')
  console.log(error.code, channelComplianceChecks(() => ({ a, b })).length, typeof nodeWrtc.RTCPeerConnection)
  await node.close()
  await hub.close()
  await cleanupNodeWebRtc()
}
`

const BROWSER_MAIN = `
import { connect, createMemoryChannelPair, type Channel, type DistNode } from 'distribunator/browser'
import { createNode, TimeoutError } from 'distribunator'
import { channelCompliance } from 'distribunator/testing'

const servers: RTCIceServer[] = [{ urls: 'stun:stun.example.org:3478' }]
const node: DistNode = await connect({ hub: 'http://localhost:8080', cluster: 'demo', iceServers: servers })
node.on('join', (name, pid) => document.title = \`\${String(pid)} joined \${name}\`)
const [a, b]: [Channel, Channel] = createMemoryChannelPair()
await createNode().link(a)
channelCompliance((name, fn) => void fn().catch((error: unknown) => console.error(name, error instanceof TimeoutError)), () => ({ a, b }))
`

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'distribunator-package-'))
  tarball = await packFreshClone()
}, 120_000)

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true })
})

describe('the packed package', () => {
  it('ships the build, the license and the docs, and no source maps pointing at unshipped sources', () => {
    for (const file of ['LICENSE', 'README.md', 'PROTOCOL.md', 'package.json', 'dist/core/index.js', 'dist/core/index.d.ts', 'dist/browser/index.js', 'dist/browser/index.d.ts', 'dist/server/index.js', 'dist/server/index.d.ts', 'dist/server/cli.js', 'dist/testing/index.js', 'dist/testing/index.d.ts']) {
      expect(files).toContain(file)
    }
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([])
    expect(files.filter((file) => file.startsWith('src/') || file.includes('.test.'))).toEqual([])
    const unpacked = join(work, 'unpacked')
    mkdirSync(unpacked)
    expect(spawnSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1']).status).toBe(0)
    const imported: string[] = []
    for (const file of files.filter((name) => name.endsWith('.js'))) {
      const code = readFileSync(join(unpacked, file), 'utf8')
      expect(code, file).not.toContain('sourceMappingURL')
      for (const [, specifier] of code.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
        imported.push(posix.join(posix.dirname(file), specifier ?? ''))
      }
    }
    // Every relative import of the shipped code is shipped too.
    expect(imported.length).toBeGreaterThan(50)
    expect(imported.filter((file) => !files.includes(file))).toEqual([])
    expect(readFileSync(join(unpacked, 'dist/server/cli.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true)
    const license = readFileSync(join(unpacked, 'LICENSE'), 'utf8')
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} distribunator contributors\n/)
    const manifest = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as Record<string, unknown>
    expect(manifest.license).toBe('MIT')
  })

  it('passes publint (warnings count as errors)', async () => {
    const result = await run(process.execPath, [binOf('publint', 'publint'), 'run', tarball, '--strict'], { cwd: work, timeoutMs: 30_000 })
    expect(result.code, outputOf(result)).toBe(0)
  }, 40_000)

  it('passes @arethetypeswrong/cli for an ESM-only package', async () => {
    const args = [tarball, '--profile', 'esm-only', '--format', 'ascii', '--no-definitely-typed', '--no-emoji', '--no-color']
    const result = await run(process.execPath, [binOf('@arethetypeswrong/cli', 'attw'), ...args], { cwd: work, timeoutMs: 30_000 })
    expect(result.code, outputOf(result)).toBe(0)
    // attw also passes a package that ships no types at all: each entry must have been checked.
    for (const entry of ['distribunator', 'distribunator/browser', 'distribunator/server', 'distribunator/testing']) {
      expect(result.stdout, outputOf(result)).toContain(`"${entry}"\n\nnode16 (from ESM): OK (ESM)\nbundler: OK`)
    }
  }, 40_000)

  it('type-checks in a strict Node-only project (no DOM, skipLibCheck false)', async () => {
    const dir = consumer('node-consumer', { ...STRICT, module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'], types: ['node'] }, NODE_MAIN, ['@types/node'])
    const result = await run(process.execPath, [tsc, '-p', dir], { cwd: dir, timeoutMs: 60_000 })
    expect(result.code, outputOf(result)).toBe(0)
  }, 70_000)

  it('type-checks the typed API fixture (test/fixtures/typed-api.ts, its @ts-expect-error lines included) against the packed types', async () => {
    const main = readFileSync(join(root, 'test', 'fixtures', 'typed-api.ts'), 'utf8')
    const dir = consumer('typed-consumer', { ...STRICT, module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'], types: ['node'] }, main, ['@types/node'])
    const result = await run(process.execPath, [tsc, '-p', dir], { cwd: dir, timeoutMs: 60_000 })
    expect(result.code, outputOf(result)).toBe(0)
  }, 70_000)

  it('type-checks in a browser project (lib DOM, no Node types, skipLibCheck false)', async () => {
    const dir = consumer('browser-consumer', { ...STRICT, module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM', 'DOM.Iterable'], types: [] }, BROWSER_MAIN, [])
    const result = await run(process.execPath, [tsc, '-p', dir], { cwd: dir, timeoutMs: 60_000 })
    expect(result.code, outputOf(result)).toBe(0)
  }, 70_000)

  it('runs the server entry without the optional Redis packages, and names them when a Redis URL is given', async () => {
    const dir = consumer('runtime-consumer', { ...STRICT, module: 'NodeNext', moduleResolution: 'NodeNext' }, '', [])
    for (const optional of ['redis', '@socket.io/redis-adapter']) expect(findUp(dir, optional), `${optional} must not be reachable`).toBeUndefined()
    const script = `
      const { createHub } = await import('distribunator/server')
      const logger = { info() {}, warn() {}, error() {} }
      const hub = await createHub({ port: 0, logger })
      await hub.close()
      try {
        await createHub({ port: 0, logger, redisUrl: 'redis://127.0.0.1:9' })
        console.log('no error')
      } catch (error) {
        console.log(error.message)
      }`
    const api = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, timeoutMs: 20_000 })
    expect(api.code, outputOf(api)).toBe(0)
    expect(api.stdout).toContain('redis and @socket.io/redis-adapter are not installed: npm install redis @socket.io/redis-adapter')

    const cli = await run(process.execPath, [join(dir, 'node_modules/distribunator/dist/server/cli.js'), '--port', '0', '--redis', 'redis://127.0.0.1:9'], { cwd: dir, timeoutMs: 20_000 })
    expect(cli.code, outputOf(cli)).toBe(1)
    expect(cli.stderr).toContain('npm install redis @socket.io/redis-adapter')
    expect(readdirSync(join(dir, 'node_modules')).sort()).not.toContain('redis')
  }, 50_000)
})
