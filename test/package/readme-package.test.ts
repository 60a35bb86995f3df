/**
 * The README as the package ships it. A fresh copy of the working tree is packed with
 * `npm pack` (test/support/pack.ts), and then:
 *
 * - every relative link and image of every Markdown file in the tarball (the README, the
 *   docs it ships) names a file in the tarball, and every `#anchor` a heading of its
 *   document; a link to the repository is an absolute URL built from `repository` and
 *   names a file the repository has; `repository`, `homepage` and `bugs` are set;
 * - the README stays under 20 kB;
 * - the README's Node example (its ```js block, plain JavaScript) runs with plain `node`
 *   as `worker.mjs` in a project that has the tarball installed: a hub started from the
 *   tarball's `distribunator-hub`, the example with the hub's URL in place of
 *   `http://127.0.0.1:8080`, and a member in another process standing in for the tab
 *   (it registers `screens`, calls `clock` and is greeted); then the worker and the hub
 *   are stopped.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, posix } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { consumer, type Packed, packFreshClone, unpack, workingTreeFiles } from '../support/pack.js'
import { outputOf, run } from '../support/run.js'

const REPOSITORY = 'https://github.com/distribunator/distribunator'

let work = ''
let packed: Packed = { tarball: '', files: [] }
/** The tarball unpacked: the package root. */
let unpacked = ''
const started: ChildProcess[] = []

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'distribunator-readme-'))
  packed = await packFreshClone(work)
  unpacked = join(work, 'unpacked')
  unpack(packed.tarball, unpacked)
}, 150_000)

afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  if (work !== '') rmSync(work, { recursive: true, force: true })
})

interface Link {
  readonly doc: string
  readonly line: number
  readonly target: string
}

/** A document's text with fenced code blocks blanked out (lines kept, for line numbers) and inline code removed. */
function prose(markdown: string): string {
  let fence: string | undefined
  return markdown
    .split('\n')
    .map((line) => {
      const marker = /^\s*(```|~~~)/.exec(line)?.[1]
      if (marker !== undefined && (fence === undefined || fence === marker)) {
        fence = fence === undefined ? marker : undefined
        return ''
      }
      return fence === undefined ? line : ''
    })
    .join('\n')
    .replace(/`[^`\n]*`/g, '')
}

/** Every link and image of a Markdown document: inline, reference definitions, and HTML src/href. */
function linksOf(doc: string, markdown: string): Link[] {
  const text = prose(markdown)
  const lineAt = (index: number): number => text.slice(0, index).split('\n').length
  const found: Link[] = []
  const patterns = [/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g, /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm, /<(?:img|a|source)\s[^>]*?(?:src|href|srcset)="([^"]+)"/g]
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) found.push({ doc, line: lineAt(match.index), target: match[1] ?? '' })
  }
  return found
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase()
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-')
}

/** The anchors of a document's headings, repeated headings numbered as GitHub does. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  for (const line of prose(markdown.replace(/`([^`\n]*)`/g, '$1')).split('\n')) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1]
    if (heading === undefined) continue
    const base = slug(heading)
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    anchors.add(count === 0 ? base : `${base}-${count}`)
  }
  return anchors
}

/** The packed manifest. */
function manifest(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as Record<string, unknown>
}

describe('the README in the tarball', () => {
  it('sets repository, homepage and bugs, all on the repository URL', () => {
    const { repository, homepage, bugs } = manifest()
    expect(repository).toEqual({ type: 'git', url: `git+${REPOSITORY}.git` })
    expect(homepage).toBe(`${REPOSITORY}#readme`)
    expect(bugs).toEqual({ url: `${REPOSITORY}/issues` })
  })

  it('stays under 20 kB, a newcomer can read it top to bottom', () => {
    expect(packed.files).toContain('README.md')
    expect(readFileSync(join(unpacked, 'README.md')).byteLength).toBeLessThan(20_000)
  })

  it('links only to files in the tarball, to headings that exist, or to the repository by absolute URL', () => {
    const docs = packed.files.filter((file) => file.endsWith('.md'))
    expect(docs).toEqual(expect.arrayContaining(['README.md', 'PROTOCOL.md', 'SECURITY.md', 'docs/api.md', 'docs/performance.md']))
    const texts = new Map(docs.map((doc) => [doc, readFileSync(join(unpacked, doc), 'utf8')]))
    const anchors = new Map([...texts].map(([doc, text]) => [doc, anchorsOf(text)]))
    const repoFiles = new Set(workingTreeFiles())
    const broken: string[] = []
    let relative = 0
    for (const [doc, text] of texts) {
      for (const { line, target } of linksOf(doc, text)) {
        const at = `${doc}:${line}: ${target}`
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
          // an absolute link into the repository: built from `repository`, naming a file it has
          const inRepo = /^https:\/\/(?:github\.com|raw\.githubusercontent\.com)\/distribunator\/distribunator(?:\/|$|#)/i.exec(target)
          if (inRepo === null) continue
          const path = new RegExp(`^${REPOSITORY}/(?:blob|tree)/main/([^#?]+)`).exec(target)?.[1]
          if (target === REPOSITORY || target.startsWith(`${REPOSITORY}#`) || target === `${REPOSITORY}/issues`) continue
          if (path === undefined) broken.push(`${at}: not ${REPOSITORY}/blob/main/<path>`)
          else if (!repoFiles.has(path) && ![...repoFiles].some((file) => file.startsWith(`${path}/`))) broken.push(`${at}: the repository has no ${path}`)
          continue
        }
        const [pathPart = '', fragment] = target.split('#', 2)
        const file = pathPart === '' ? doc : posix.normalize(posix.join(posix.dirname(doc), decodeURIComponent(pathPart)))
        if (pathPart !== '') relative++
        if (file.startsWith('../') || file.startsWith('/')) broken.push(`${at}: outside the package`)
        else if (!packed.files.includes(file)) broken.push(`${at}: ${file} is not in the tarball`)
        else if (fragment !== undefined && file.endsWith('.md') && !anchors.get(file)?.has(fragment)) broken.push(`${at}: ${file} has no heading #${fragment}`)
      }
    }
    expect(relative, 'the README and docs link to each other').toBeGreaterThan(20)
    expect(broken).toEqual([])
  })

  it("shows the chart, shipped beside it", () => {
    const readme = readFileSync(join(unpacked, 'README.md'), 'utf8')
    expect(readme).toContain('](bench/results/libraries.svg)')
    expect(packed.files).toContain('bench/results/libraries.svg')
    expect(packed.files.filter((file) => file.endsWith('.png') || file.endsWith('.json'))).toEqual(['package.json'])
  })
})

/** Output of a long-running process so far, and a wait for a line of it. */
interface Running {
  readonly child: ChildProcess
  output(): string
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Starts `node args` in `cwd` and keeps its output. */
function start(args: readonly string[], cwd: string): Running {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEBUG: '' } })
  started.push(child)
  let out = ''
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  return {
    child,
    output: () => out,
    exited: () => exit,
    waitFor: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs
        const poll = (): void => {
          const match = pattern.exec(out)
          if (match) return resolve(match)
          if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${out}`))
          if (Date.now() > deadline) return reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}`))
          setTimeout(poll, 50)
        }
        poll()
      }),
  }
}

/** Stops a process with SIGTERM; its exit. */
async function stop(running: Running): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  running.child.kill('SIGTERM')
  const timer = setTimeout(() => running.child.kill('SIGKILL'), 5000)
  try {
    return await running.exited()
  } finally {
    clearTimeout(timer)
  }
}

/** What stands in for the tab of the quick start: a member that registers `screens`, calls `clock` and waits to be greeted. */
const TAB = `
import { connect, cleanupNodeWebRtc } from 'distribunator/server'

const node = await connect({ hub: process.argv[2], cluster: 'demo', id: 'tab-1' })
const greeted = new Promise((resolve) => node.register('screens', node.spawn({ handleCast: (msg) => resolve(msg) })))
const now = await node.call('clock', 'now')
const greeting = await greeted
console.log(JSON.stringify({ now, greeting, members: node.nodes() }))
await node.close()
await cleanupNodeWebRtc()
`

describe("the README's Node example", () => {
  it('runs with plain node against the packed package: a hub, the worker, a member that calls it and is greeted', async () => {
    const readme = readFileSync(join(unpacked, 'README.md'), 'utf8')
    const examples = [...readme.matchAll(/^```js\n([^]*?)^```$/gm)].map((match) => match[1] ?? '').filter((code) => code.includes("from 'distribunator/server'"))
    expect(examples).toHaveLength(1)
    const example = examples[0] ?? ''
    expect(example.split('http://127.0.0.1:8080')).toHaveLength(2)

    const dir = consumer(join(work, 'quick-start'), packed.tarball)
    const hub = start([join(dir, 'node_modules', 'distribunator', 'dist', 'server', 'cli.js'), '--port', '0'], dir)
    const url = (await hub.waitFor(/distribunator hub listening on (http:\/\/\S+)/, 20_000))[1] ?? ''

    writeFileSync(join(dir, 'worker.mjs'), example.replace('http://127.0.0.1:8080', url))
    const worker = start(['worker.mjs'], dir)
    await worker.waitFor(/^worker joined the cluster$/m, 20_000)

    writeFileSync(join(dir, 'tab.mjs'), TAB)
    const tab = await run(process.execPath, ['tab.mjs', url], { cwd: dir, timeoutMs: 30_000 })
    expect(tab.code, outputOf(tab)).toBe(0)
    const seen = JSON.parse(tab.stdout.trim().split('\n').pop() ?? '') as { now: unknown; greeting: unknown; members: unknown }
    expect(typeof seen.now === 'number' && Math.abs(seen.now - Date.now()) < 60_000, `the clock's reply: ${String(seen.now)}`).toBe(true)
    expect(seen.greeting).toBe('hello from worker')
    expect(seen.members).toEqual(['worker'])
    await worker.waitFor(/^tab-1 asked for now$/m, 5000)

    expect(await stop(worker)).toEqual({ code: null, signal: 'SIGTERM' })
    expect(await stop(hub), hub.output()).toEqual({ code: 0, signal: null })
    expect(worker.output(), 'the worker printed nothing else').toBe('worker joined the cluster\ntab-1 asked for now\n')
  }, 90_000)
})
