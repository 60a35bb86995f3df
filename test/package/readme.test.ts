/**
 * Every ```ts and ```js block of README.md and of docs/*.md compiles against the sources,
 * with the settings of Vite's TypeScript template (`npm create vite -- --template
 * vanilla-ts`: module ESNext resolved as a bundler does, `verbatimModuleSyntax`, `strict`,
 * `noUnusedLocals`, `noUnusedParameters`, `erasableSyntaxOnly`,
 * `noUncheckedSideEffectImports`) on top of the repository's own strictness
 * (`exactOptionalPropertyTypes`, `noUncheckedIndexedAccess`), and the package's entries
 * mapped to src/ (tsconfig.json `paths`). Each block is its own ES module, so it may use
 * top-level await and must import what it uses. A ```js block is plain JavaScript (the
 * README's Node quick start runs as is with `node`: test/package/readme-package.test.ts):
 * it is checked as a `.mjs` file with `checkJs`, so an unused parameter fails it too.
 *
 * A block of declarations only (interfaces and type aliases, such as the `Channel`
 * interface) shows a type of the library: it must declare only types an entry exports,
 * and each must be identical to the exported one, so the docs cannot drift from the code.
 *
 * The README's table of the hub's options and flags holds every `createHub` option and
 * every flag of `distribunator-hub`, with the defaults the hub applies.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { beforeAll, describe, expect, it } from 'vitest'
import { HUB_DEFAULTS } from '../../src/server/hub/options.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const ENTRIES = ['distribunator', 'distribunator/browser', 'distribunator/server', 'distribunator/testing'] as const

/** The documents whose code blocks are checked, relative to the repository. */
const DOCUMENTS = ['README.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)]

/** What Vite's vanilla-ts template sets, with the repository's own strictness kept. */
const VITE_TEMPLATE: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  moduleDetection: ts.ModuleDetectionKind.Force,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
  allowImportingTsExtensions: true,
  verbatimModuleSyntax: true,
  strict: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  erasableSyntaxOnly: true,
  noFallthroughCasesInSwitch: true,
  noUncheckedSideEffectImports: true,
  skipLibCheck: true,
  noEmit: true,
  allowJs: true,
  checkJs: true,
}

interface Block {
  /** The document, relative to the repository. */
  readonly doc: string
  /** Line of the opening fence in the document. */
  readonly line: number
  readonly lang: 'ts' | 'js'
  readonly code: string
}

/** The ```ts and ```js blocks of a Markdown text. */
function codeBlocks(doc: string, markdown: string): Block[] {
  const blocks: Block[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const lang = /^```(ts|js)\s*$/.exec(lines[i] ?? '')?.[1]
    if (lang !== 'ts' && lang !== 'js') continue
    const start = i
    const body: string[] = []
    while (++i < lines.length && !/^```\s*$/.test(lines[i] ?? '')) body.push(lines[i] ?? '')
    blocks.push({ doc, line: start + 1, lang, code: body.join('\n') })
  }
  return blocks
}

/** The names a block declares, if it holds nothing but interface and type declarations. */
function declarationsOnly(code: string): string[] | undefined {
  const file = ts.createSourceFile('block.ts', code, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS)
  const names: string[] = []
  for (const statement of file.statements) {
    if (!ts.isInterfaceDeclaration(statement) && !ts.isTypeAliasDeclaration(statement)) return undefined
    names.push(statement.name.text)
  }
  return names.length > 0 ? names : undefined
}

/** The entry whose sources export `name`, read from tsconfig.json's paths. */
function entryExporting(name: string, paths: ts.MapLike<string[]>): string | undefined {
  const exported = new RegExp(`\\b${name}\\b`)
  return ENTRIES.find((entry) => {
    const target = paths[entry]?.[0]
    return target !== undefined && exported.test(readFileSync(join(root, target), 'utf8'))
  })
}

/** What is compiled for a block: the block itself, plus for declarations the identity checks (each used, so none is unused). */
function moduleFor(block: Block, paths: ts.MapLike<string[]>): { text: string; problem?: string } {
  const names = block.lang === 'ts' ? declarationsOnly(block.code) : undefined
  if (names === undefined) return { text: `${block.code}\nexport {}\n` }
  const checks = ['type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false']
  for (const name of names) {
    const entry = entryExporting(name, paths)
    if (entry === undefined) return { text: '', problem: `declares ${name}, which no entry exports` }
    checks.push(`import type { ${name} as Exported_${name} } from '${entry}'`)
    checks.push(`export const same_${name}: Same<${name}, Exported_${name}> = true`)
  }
  return { text: `${block.code}\n${checks.join('\n')}\n` }
}

const blocks = DOCUMENTS.flatMap((doc) => codeBlocks(doc, readFileSync(join(root, doc), 'utf8')))
const key = (block: Block): string => `${block.doc}:${block.line}`
/** Where a block is compiled: beside this test, in memory, so module resolution and the package scope (type: module) are the repository's. */
const fileOf = (block: Block): string => join(root, 'test', 'package', `${block.doc.replace(/[/.]/g, '-')}-line-${block.line}.${block.lang === 'ts' ? 'ts' : 'mjs'}`)
/** The problems found per block, by `doc:line`. */
const problems = new Map<string, string[]>()

beforeAll(() => {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), { noEmit: true }, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })
  if (config === undefined) throw new Error('cannot read tsconfig.json')
  const paths = config.options.paths ?? {}
  const options: ts.CompilerOptions = { ...config.options, ...VITE_TEMPLATE }
  const files = new Map<string, { text: string; block: Block }>()
  for (const block of blocks) {
    const { text, problem } = moduleFor(block, paths)
    if (problem !== undefined) problems.set(key(block), [problem])
    else files.set(fileOf(block), { text, block })
  }
  const host = ts.createCompilerHost(options, true)
  const { getSourceFile, fileExists, readFile } = host
  host.fileExists = (name) => files.has(name) || fileExists.call(host, name)
  host.readFile = (name) => files.get(name)?.text ?? readFile.call(host, name)
  host.getSourceFile = (name, language, onError, create) => {
    const file = files.get(name)
    return file === undefined ? getSourceFile.call(host, name, language, onError, create) : ts.createSourceFile(name, file.text, language, true)
  }
  const program = ts.createProgram({ rootNames: [...files.keys()], options, host })
  const global = program.getOptionsDiagnostics().map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
  for (const [name, { block }] of files) {
    const source = program.getSourceFile(name)
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
    problems.set(key(block), [
      ...global,
      ...diagnostics.map((d) => {
        const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0
        return `${block.doc}:${block.line + 1 + at}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
      }),
    ])
  }
}, 90_000)

describe('the code blocks of README.md and docs/', () => {
  it('are there to check: ts blocks, a declaration-only one, and the README\'s Node example in plain JavaScript', () => {
    const readme = blocks.filter((block) => block.doc === 'README.md')
    expect(readme.filter((block) => block.lang === 'ts').length).toBeGreaterThanOrEqual(3)
    expect(readme.filter((block) => block.lang === 'js' && block.code.includes("from 'distribunator/server'"))).toHaveLength(1)
    expect(blocks.some((block) => block.lang === 'ts' && declarationsOnly(block.code) !== undefined)).toBe(true)
  })

  it.each(blocks.map((block) => [key(block), block] as const))('the block at %s compiles', (at) => {
    expect(problems.get(at)).toEqual([])
  })

  it('a block with an unused parameter, or a type imported without `type`, fails: the settings are in force, in JavaScript too', () => {
    const probes: Block[] = [
      { doc: 'probe.md', line: 1, lang: 'ts', code: "import { Channel } from 'distribunator'\nexport const f = (a: number, b: number): Channel | number => a" },
      { doc: 'probe.md', line: 2, lang: 'js', code: "import { createNode } from 'distribunator'\nconst node = createNode()\nnode.spawn({ handleCall(msg, ctx) { return msg } })\nnode.cast(1, 'x')" },
    ]
    const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), { noEmit: true }, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })
    const options: ts.CompilerOptions = { ...config?.options, ...VITE_TEMPLATE }
    const files = new Map(probes.map((probe) => [fileOf(probe), probe.code]))
    const host = ts.createCompilerHost(options, true)
    const { getSourceFile, fileExists } = host
    host.fileExists = (file) => files.has(file) || fileExists.call(host, file)
    host.getSourceFile = (file, language, onError, create) => {
      const text = files.get(file)
      return text === undefined ? getSourceFile.call(host, file, language, onError, create) : ts.createSourceFile(file, text, language, true)
    }
    const program = ts.createProgram({ rootNames: [...files.keys()], options, host })
    const codes = probes.map((probe) => program.getSemanticDiagnostics(program.getSourceFile(fileOf(probe))).map((d) => d.code))
    expect(codes[0]).toContain(6133) // 'b' is declared but its value is never read
    expect(codes[0]).toContain(1484) // 'Channel' is a type and must be imported using a type-only import
    expect(codes[1]).toContain(6133) // 'ctx' is declared but its value is never read
    expect(codes[1]).toContain(2345) // a number is no pid
  }, 60_000)
})

/** The rows of the README's table of hub options and flags: option, flag, default. */
function hubTable(): Array<{ option: string; flag: string; fallback: string }> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const lines = readme.split('\n')
  const header = lines.findIndex((line) => line.startsWith('| `createHub` option | CLI flag | default |'))
  expect(header, 'README.md has the table of createHub options and CLI flags').toBeGreaterThan(-1)
  const rows: Array<{ option: string; flag: string; fallback: string }> = []
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break
    const [option = '', flag = '', fallback = ''] = line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim())
    rows.push({ option, flag, fallback })
  }
  return rows
}

/** The property names of `HubOptions`, from the source. */
function hubOptionNames(): string[] {
  const path = join(root, 'src', 'server', 'hub', 'options.ts')
  const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS)
  const options = file.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'HubOptions')
  if (options === undefined) throw new Error('no HubOptions in src/server/hub/options.ts')
  return options.members.flatMap((member) => (member.name !== undefined && ts.isIdentifier(member.name) ? [member.name.text] : []))
}

/** A default as the table writes it (`8080`, `4 MiB`, `127.0.0.1`), as a value. */
function parseDefault(text: string): number | string {
  const mib = /^(\d+) MiB$/.exec(text)
  if (mib) return Number(mib[1]) * 1024 * 1024
  return /^\d+$/.test(text) ? Number(text) : text
}

describe("the README's table of hub options and flags", () => {
  it('lists every createHub option', () => {
    const listed = new Set(hubTable().map((row) => /^`(\w+)/.exec(row.option)?.[1]))
    expect(hubOptionNames().filter((name) => !listed.has(name)), 'HubOptions missing from the table').toEqual([])
    expect([...listed].filter((name) => name === undefined || !hubOptionNames().includes(name)), 'rows that are no HubOptions').toEqual([])
  })

  it('lists every flag of distribunator-hub', () => {
    const cli = readFileSync(join(root, 'src', 'server', 'cli.ts'), 'utf8')
    const flags = [...cli.matchAll(/case '(--[a-z-]+)':/g)].map((match) => match[1] ?? '').filter((flag) => flag !== '--help')
    expect(flags.length).toBeGreaterThan(5)
    const listed = hubTable().flatMap((row) => [...row.flag.matchAll(/`(--[a-z-]+)/g)].map((match) => match[1]))
    expect(flags.filter((flag) => !listed.includes(flag)), 'flags missing from the table').toEqual([])
    expect(listed.filter((flag) => flag === undefined || !flags.includes(flag)), 'flags the CLI does not take').toEqual([])
  })

  it('gives the defaults the hub applies', () => {
    const rows = new Map(hubTable().map((row) => [/^`(\w+)/.exec(row.option)?.[1], row.fallback]))
    for (const [name, value] of Object.entries(HUB_DEFAULTS)) {
      expect(rows.has(name), `${name} in the table`).toBe(true)
      expect(parseDefault(rows.get(name) ?? ''), `default of ${name}`).toBe(value)
    }
  })
})
