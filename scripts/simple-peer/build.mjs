#!/usr/bin/env node
// simple-peer for browsers, small and with no polyfill needed: simple-peer 9.11's own source
// (node_modules/simple-peer/index.js) bundled by esbuild into one ES module,
// src/vendor/simple-peer/simple-peer.js, with ./duplex.ts standing in for readable-stream (and the
// `events`, Buffer and process shims it drags in) and ./node-shims.ts for `buffer`,
// `randombytes` and `debug`. simple-peer's prebundled simplepeer.min.js carries all of those
// in full: 28 kB gzipped against about 6 kB for this build. simple-peer's own debug calls
// (which log nothing through the no-op `debug`) are marked pure, so an app's minifier drops
// them with their message strings. simple-peer and its three small CommonJS dependencies are
// read as ES modules (their `require`s turned into imports, `module.exports` into `export
// default`), so the output carries no CommonJS wrapper or interop helper and an app's
// minifier can shorten every top-level name in it.
//
// The output is committed, in src/vendor/simple-peer/ apart from the hand-written sources:
// the sources use it as they are (the demo and the e2e tests import src/browser through an
// alias), and `npm run build` copies it into dist/vendor/simple-peer/ after checking that it
// is what this script makes now, so a published package never ships a stale one and an
// app's bundler sees plain ES code with no Node built-in.
//
//   node scripts/simple-peer/build.mjs          rewrite src/vendor/simple-peer/simple-peer.js
//   node scripts/simple-peer/build.mjs --check  exit 1 if src/vendor/simple-peer/simple-peer.js is stale
//   node scripts/simple-peer/build.mjs --dist   --check, then copy it into dist/vendor/simple-peer/
//
// Run it after upgrading simple-peer or esbuild, or after changing a shim.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const OUTPUT = join(root, 'src', 'vendor', 'simple-peer', 'simple-peer.js')
const require = createRequire(join(root, 'package.json'))

/** The modules simple-peer requires that are replaced, and what replaces each. */
const SHIMS = {
  'readable-stream': { file: join(here, 'duplex.ts') },
  buffer: { file: join(here, 'node-shims.ts') },
  randombytes: { file: join(here, 'node-shims.ts'), exported: 'randomBytes' },
  debug: { file: join(here, 'node-shims.ts'), exported: 'createDebug' },
}

/**
 * simple-peer's `require`s, each as the import that replaces it. simple-peer and its three
 * small CommonJS dependencies are read as ES modules (their one `module.exports` an
 * `export default`), so the bundle needs none of esbuild's CommonJS interop helpers.
 */
const IMPORTS = [
  ["const debug = require('debug')('simple-peer')", "import createDebug from 'debug'\nconst debug = createDebug('simple-peer')"],
  ["const getBrowserRTC = require('get-browser-rtc')", "import getBrowserRTC from 'get-browser-rtc'"],
  ["const randombytes = require('randombytes')", "import randombytes from 'randombytes'"],
  ["const stream = require('readable-stream')", "import * as stream from 'readable-stream'"],
  ["const queueMicrotask = require('queue-microtask')", "import queueMicrotask from 'queue-microtask'"],
  ["const errCode = require('err-code')", "import errCode from 'err-code'"],
  ["const { Buffer } = require('buffer')", "import { Buffer } from 'buffer'"],
  ['module.exports = Peer', 'export default Peer'],
]

/** Comments of simple-peer's that the build keeps and that no longer hold here, each as what it says instead. */
const COMMENTS = [
  [
    '  // TODO: Delete this method once readable-stream is updated to contain a default\n  // implementation of destroy() that automatically calls _destroy()\n  // See: https://github.com/nodejs/readable-stream/issues/283\n',
    "  // simple-peer's own destroy(), which calls its _destroy() (readable-stream 3's did not:\n  // https://github.com/nodejs/readable-stream/issues/283)\n",
  ],
]

/** The CommonJS modules read as ES modules: each ends with one `module.exports =`. */
const AS_ESM = /[\\/]node_modules[\\/](simple-peer|get-browser-rtc|queue-microtask|err-code)[\\/]index\.js$/

/** Replaces `from` by `to` in `text`, where it must occur once. */
function replaceOnce(text, from, to, path) {
  const at = text.indexOf(from)
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`${path}: expected ${JSON.stringify(from)} once (a new version of the package?)`)
  return text.slice(0, at) + to + text.slice(at + from.length)
}

/** Points simple-peer's imports at the shims and reads it and its dependencies as ES modules. */
const shims = {
  name: 'simple-peer-shims',
  setup(build) {
    const filter = new RegExp(`^(${Object.keys(SHIMS).join('|')})$`)
    build.onResolve({ filter }, ({ path }) => {
      const shim = SHIMS[path]
      return shim.exported ? { path, namespace: 'shim' } : { path: shim.file }
    })
    build.onLoad({ filter: AS_ESM }, ({ path }) => {
      let contents = readFileSync(path, 'utf8')
      if (/[\\/]simple-peer[\\/]/.test(path)) {
        for (const [from, to] of [...IMPORTS, ...COMMENTS]) contents = replaceOnce(contents, from, to, path)
        // Its debug calls log nothing here (`debug` is a no-op): marked pure, an app's minifier drops them.
        contents = contents.replace(/this\._debug\(/g, '/* @__PURE__ */ this._debug(')
      } else contents = replaceOnce(contents, 'module.exports =', 'export default', path)
      return { contents, loader: 'js' }
    })
    build.onLoad({ filter: /.*/, namespace: 'shim' }, ({ path }) => {
      const shim = SHIMS[path]
      return { contents: `export { ${shim.exported} as default } from ${JSON.stringify(shim.file)}`, resolveDir: here, loader: 'js' }
    })
  },
}

/** Builds the module; returns its text. */
export async function buildSimplePeer() {
  const esbuild = await import('esbuild')
  const version = require('simple-peer/package.json').version
  const result = await esbuild.build({
    entryPoints: [require.resolve('simple-peer/index.js')],
    absWorkingDir: root,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // queue-microtask binds to `global` outside a window (a worker).
    define: { global: 'globalThis' },
    legalComments: 'inline',
    plugins: [shims],
    write: false,
    logLevel: 'warning',
    banner: {
      js: [
        `// simple-peer ${version} for browsers, built by scripts/simple-peer/build.mjs: do not edit.`,
        '// simple-peer (MIT) and its small dependencies as published; readable-stream, buffer,',
        '// randombytes and debug replaced by scripts/simple-peer/duplex.ts and node-shims.ts.',
      ].join('\n'),
    },
  })
  // esbuild names each module by its path from the repository; a node_modules reached
  // through a link or found in a parent folder would put that path in the text. Named
  // from node_modules/ on, the output is the same wherever the packages are installed.
  return result.outputFiles[0].text.replace(/(?:\.\.\/)+(?:[\w.@-]+\/)*?node_modules\//g, 'node_modules/')
}

const args = new Set(process.argv.slice(2))
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const built = await buildSimplePeer()
  if (args.has('--check') || args.has('--dist')) {
    const committed = existsSync(OUTPUT) ? readFileSync(OUTPUT, 'utf8') : ''
    if (committed !== built) {
      console.error('src/vendor/simple-peer/simple-peer.js is not what scripts/simple-peer/build.mjs makes now: run `node scripts/simple-peer/build.mjs` and commit it')
      process.exit(1)
    }
    if (args.has('--dist')) {
      const target = join(root, 'dist', 'vendor', 'simple-peer')
      mkdirSync(target, { recursive: true })
      copyFileSync(OUTPUT, join(target, 'simple-peer.js'))
    }
  } else {
    writeFileSync(OUTPUT, built)
    console.log(`wrote src/vendor/simple-peer/simple-peer.js (${built.length} bytes)`)
  }
}
