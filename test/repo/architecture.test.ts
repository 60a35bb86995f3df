/**
 * The layout the code keeps (ARCHITECTURE.md): the core's layers import one way only, the
 * core imports no platform or transport module, the entries do not import each other,
 * simple-peer's internals are named in one adapter, and no source file passes 400 lines.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const src = join(root, 'src')

function sources(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...sources(path))
    else if (name.endsWith('.ts')) out.push(path)
  }
  return out
}

const IMPORT = /(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g
/** The modules a file imports (comments, where examples show imports, are skipped). */
function importsOf(file: string): string[] {
  const code = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line))
    .join('\n')
  return [...code.matchAll(IMPORT)].map((m) => (m[1] ?? m[2]) as string)
}

/** Each layer of src/core and the layers it may import. */
const LAYERS: Record<string, readonly string[]> = {
  util: [],
  api: ['util'],
  wire: ['util', 'api'],
  node: ['util', 'api', 'wire'],
  webrtc: ['util', 'api', 'wire'],
  hub: ['util', 'api'],
  mesh: ['util', 'api', 'wire', 'node', 'webrtc', 'hub'],
}

describe('architecture', () => {
  it('the layers of src/core import one way only', () => {
    const wrong: string[] = []
    for (const file of sources(join(src, 'core'))) {
      const from = relative(join(src, 'core'), file).split('/')[0] as string
      if (from === 'index.ts') continue
      const allowed = LAYERS[from]
      if (allowed === undefined) {
        wrong.push(`${from}: not a known layer`)
        continue
      }
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue
        const to = relative(join(src, 'core'), resolve(dirname(file), spec)).split('/')[0] as string
        if (to !== from && !allowed.includes(to)) wrong.push(`${relative(root, file)} imports ${spec} (${from} → ${to})`)
      }
    }
    expect(wrong).toEqual([])
  })

  it('src/core imports no platform or transport module; the entries do not import each other', () => {
    const wrong: string[] = []
    const platform = /^(node:|fs$|path$|os$|net$|http$|https$|child_process$|socket\.io|simple-peer|node-datachannel|@roamhq|redis|@socket\.io)/
    for (const file of sources(join(src, 'core'))) {
      for (const spec of importsOf(file)) if (platform.test(spec)) wrong.push(`${relative(root, file)} imports ${spec}`)
    }
    for (const [entry, other] of [['browser', 'server'], ['server', 'browser'], ['testing', 'server'], ['testing', 'browser']] as const) {
      for (const file of sources(join(src, entry))) {
        for (const spec of importsOf(file)) {
          if (spec.startsWith('.') && relative(src, resolve(dirname(file), spec)).startsWith(`${other}/`)) wrong.push(`${relative(root, file)} imports ${spec}`)
        }
      }
    }
    expect(wrong).toEqual([])
  })

  it("simple-peer's private fields are named in one file", () => {
    const naming = sources(src).filter((file) => /\b_(channel|pc|readableState|iceCompleteTimer)\b/.test(readFileSync(file, 'utf8')))
    expect(naming.map((file) => relative(root, file))).toEqual(['src/core/webrtc/simple-peer.ts'])
  })

  it('no source file is over 400 lines', () => {
    const long = sources(src)
      .map((file) => [relative(root, file), readFileSync(file, 'utf8').split('\n').length - 1] as const)
      .filter(([, lines]) => lines > 400)
    expect(long).toEqual([])
  })
})
