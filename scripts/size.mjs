#!/usr/bin/env node
// `npm run size`: what a page that uses `distribunator/browser` costs the app that ships it,
// in gzipped bytes, bundled the way a user's app bundles it: esbuild (`--bundle --minify
// --platform=browser --format=esm`) and a plain `vite build`, neither given any option for
// this package (no alias, no polyfill, no `define`).
//
// The page is scripts/size/page.ts (connect, register, call). It is copied into a throwaway
// app folder outside the repository whose `node_modules/distribunator` links to this
// package, so `distribunator/browser` resolves through package.json "exports" to dist/, as
// after `npm install distribunator`; dist/ is built first (`npm run build`). That is the
// honest measure: what a consumer bundles is the published files, not our sources.
//
//   --src           resolve `distribunator/browser` to src/browser/index.ts instead (no build
//                   step: the bundlers compile the TypeScript; the same gzipped size to within
//                   0.5 kB; test/package/size.test.ts uses it because it needs no tsc run)
//   --esbuild-only  skip the Vite build
//   --files         list the library's own files in the breakdown, not only its layers
//   --json          print one JSON object instead of the tables
//
// Sizes are bytes; kB = 1000 bytes; gzip at level 9. The breakdown comes from esbuild's
// metafile (minified bytes each input contributes) and its source map (each package's
// share of the output, gzipped on its own: what removing it would roughly save).
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import { gzipSync } from 'node:zlib'
import { ensureDependencies, root } from './ensure.mjs'

const args = new Set(process.argv.slice(2))
const fromSrc = args.has('--src')
const json = args.has('--json')
const PAGE = join(root, 'scripts', 'size', 'page.ts')

const gzip = (bytes) => gzipSync(bytes, { level: 9 }).length
const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`

/** Builds dist/ with the package's own build script; exits when it fails. */
function buildPackage() {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const result = spawnSync(npm, ['run', 'build', '--silent'], { cwd: root, stdio: json ? ['ignore', 'ignore', 'inherit'] : 'inherit' })
  if (result.status !== 0) {
    console.error('npm run build failed: dist/ cannot be measured (try --src)')
    process.exit(1)
  }
}

/** A throwaway app: the page, an index.html for Vite, and (for dist) the package installed by link. */
function makeApp() {
  const app = mkdtempSync(join(tmpdir(), 'distribunator-size-'))
  cpSync(PAGE, join(app, 'page.ts'))
  writeFileSync(join(app, 'index.html'), '<!doctype html>\n<html><body><script type="module" src="./page.ts"></script></body></html>\n')
  if (!fromSrc) {
    mkdirSync(join(app, 'node_modules'))
    symlinkSync(root, join(app, 'node_modules', 'distribunator'), process.platform === 'win32' ? 'junction' : 'dir')
  }
  return app
}

/** Only for --src: the import the page makes, pointed at the sources. */
const alias = fromSrc ? { 'distribunator/browser': join(root, 'src', 'browser', 'index.ts') } : undefined

// ---- which package an input file belongs to ----

/** `socket.io-client`, `@socket.io/component-emitter`, or `distribunator core/node` for our own files. */
function owner(file, detailed) {
  const parts = file.split(/[\\/]/)
  const nm = parts.lastIndexOf('node_modules')
  if (nm >= 0 && nm + 1 < parts.length) {
    const name = parts[nm + 1]
    return name.startsWith('@') ? `${name}/${parts[nm + 2]}` : name
  }
  const at = Math.max(parts.lastIndexOf('src'), parts.lastIndexOf('dist'))
  if (at >= 0) {
    const inside = parts.slice(at + 1)
    if (inside.join('/') === 'vendor/simple-peer/simple-peer.js') return `simple-peer (its browser build, ${parts[at]}/vendor/simple-peer/simple-peer.js)`
    const name = detailed ? inside.join('/') : inside.slice(0, inside.length > 2 ? 2 : 1).join('/')
    return `distribunator ${name.replace(/\.(ts|js)$/, '')}`
  }
  if (file === '' || file.startsWith('<')) return '(bundler runtime)'
  return '(the page)'
}

// ---- source-map slices ----

const B64 = new Map([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].map((c, i) => [c, i]))

/** Decodes one source-map segment ("AAAA") into its numbers. */
function vlq(segment) {
  const out = []
  let value = 0
  let shift = 0
  for (const c of segment) {
    const digit = B64.get(c)
    value += (digit & 31) << shift
    if (digit & 32) shift += 5
    else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1)
      value = 0
      shift = 0
    }
  }
  return out
}

/**
 * Splits `code` by the source each character came from (from the source map's mappings)
 * and returns, per owner, the text it contributed. Text mapped to no source is the
 * bundler's own glue.
 */
function slicesByOwner(code, map, detailed) {
  const slices = new Map()
  const add = (key, text) => slices.set(key, (slices.get(key) ?? '') + text)
  const lines = code.split('\n')
  let source = 0
  map.mappings.split(';').forEach((line, index) => {
    const text = lines[index] ?? ''
    const segments = line === '' ? [] : line.split(',').map(vlq)
    let column = 0
    const starts = []
    for (const segment of segments) {
      column += segment[0]
      if (segment.length >= 4) source += segment[1]
      starts.push([column, segment.length >= 4 ? owner(join(root, map.sources[source] ?? ''), detailed) : '(bundler runtime)'])
    }
    if (starts.length === 0 || starts[0][0] > 0) starts.unshift([0, '(bundler runtime)'])
    starts.forEach(([from, key], i) => add(key, text.slice(from, i + 1 < starts.length ? starts[i + 1][0] : text.length) + (i + 1 === starts.length ? '\n' : '')))
  })
  return slices
}

// ---- the bundlers ----

async function withEsbuild(app) {
  const esbuild = await import('esbuild')
  const result = await esbuild.build({
    entryPoints: [join(app, 'page.ts')],
    absWorkingDir: app,
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    outdir: join(app, 'out-esbuild'),
    sourcemap: 'external',
    metafile: true,
    write: false,
    logLevel: 'warning',
    ...(alias ? { alias } : {}),
  })
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'))
  const map = JSON.parse(result.outputFiles.find((f) => f.path.endsWith('.js.map')).text)
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined)
  const detailed = args.has('--files')
  const rows = new Map()
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const key = owner(join(app, input), detailed)
    const row = rows.get(key) ?? { minified: 0, gzip: 0, files: 0 }
    row.minified += bytesInOutput
    if (bytesInOutput > 0) row.files++
    rows.set(key, row)
  }
  let own = ''
  for (const [key, text] of slicesByOwner(js.text, map, detailed)) {
    const row = rows.get(key) ?? { minified: 0, gzip: 0, files: 0 }
    row.gzip = gzip(Buffer.from(text))
    rows.set(key, row)
    if (key.startsWith('distribunator ')) own += text
  }
  const breakdown = [...rows].map(([name, row]) => ({ name, ...row })).filter((r) => r.minified > 0 || r.gzip > 20)
  breakdown.sort((a, b) => b.gzip - a.gzip)
  /** The library's own code, all of it gzipped together. */
  const library = { minified: Buffer.byteLength(own), gzip: gzip(Buffer.from(own)) }
  return { minified: js.contents.length, gzip: gzip(js.contents), library, breakdown }
}

async function withVite(app) {
  const { build } = await import('vite')
  const output = await build({
    configFile: false,
    root: app,
    logLevel: 'warn',
    ...(alias ? { resolve: { alias } } : {}),
    build: { outDir: join(app, 'out-vite'), write: false, reportCompressedSize: false },
  })
  const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) => o.output).filter((o) => o.type === 'chunk')
  const code = Buffer.concat(chunks.map((c) => Buffer.from(c.code)))
  return { minified: code.length, gzip: chunks.reduce((sum, c) => sum + gzip(Buffer.from(c.code)), 0), chunks: chunks.length }
}

// ---- main ----

const started = performance.now()
ensureDependencies()
if (!fromSrc) buildPackage()
const app = makeApp()
let report
try {
  const esbuild = await withEsbuild(app)
  const vite = args.has('--esbuild-only') ? undefined : await withVite(app)
  report = { from: fromSrc ? 'src' : 'dist', page: relative(root, PAGE).split(sep).join('/'), esbuild, ...(vite ? { vite } : {}) }
} finally {
  rmSync(app, { recursive: true, force: true })
}

if (json) {
  console.log(JSON.stringify(report))
} else {
  const how = fromSrc ? 'src/browser/index.ts through an alias' : 'dist/ through package.json "exports"'
  console.log(`${report.page}, distribunator/browser from ${how} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`)
  console.log('bundler   minified    gzip')
  for (const [name, r] of [['esbuild', report.esbuild], ['vite', report.vite]]) {
    if (r) console.log(`${name.padEnd(8)} ${kB(r.minified).padStart(9)} ${kB(r.gzip).padStart(9)}`)
  }
  console.log('\nesbuild, by package: minified bytes (metafile), and that output gzipped on its own')
  for (const r of report.esbuild.breakdown) console.log(`${kB(r.minified).padStart(9)} ${kB(r.gzip).padStart(9)}  ${r.name}`)
  const { library } = report.esbuild
  console.log(`${kB(library.minified).padStart(9)} ${kB(library.gzip).padStart(9)}  distribunator's own code, all of it gzipped together`)
}
