/**
 * Every ```ts block of README.md compiles against the sources, with the repository's strict
 * compiler options and the package's entries mapped to src/ (tsconfig.json `paths`). Each
 * block is its own ES module, so it may use top-level await and must import what it uses.
 *
 * A block of declarations only (interfaces and type aliases, such as the `Channel`
 * interface) shows a type of the library: it must declare only types an entry exports,
 * and each must be identical to the exported one, so the README cannot drift from the code.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { beforeAll, describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const ENTRIES = ['distribunator', 'distribunator/browser', 'distribunator/server', 'distribunator/testing'] as const

interface Block {
  /** Line of the opening fence in README.md. */
  readonly line: number
  readonly code: string
}

/** The ```ts blocks of a Markdown text. */
function tsBlocks(markdown: string): Block[] {
  const blocks: Block[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ts\s*$/.test(lines[i] ?? '')) continue
    const start = i
    const body: string[] = []
    while (++i < lines.length && !/^```\s*$/.test(lines[i] ?? '')) body.push(lines[i] ?? '')
    blocks.push({ line: start + 1, code: body.join('\n') })
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

/** What is compiled for a block: the block itself, plus for declarations the identity checks. */
function moduleFor(block: Block, paths: ts.MapLike<string[]>): { text: string; problem?: string } {
  const names = declarationsOnly(block.code)
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

const readme = readFileSync(join(root, 'README.md'), 'utf8')
const blocks = tsBlocks(readme)
/** The problems found per block, by the line of its fence. */
const problems = new Map<number, string[]>()

beforeAll(() => {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), { noEmit: true }, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })
  if (config === undefined) throw new Error('cannot read tsconfig.json')
  const paths = config.options.paths ?? {}
  // The blocks live next to this test, in memory: module resolution and the package scope
  // (type: module) are the repository's.
  const files = new Map<string, string>()
  for (const block of blocks) {
    const { text, problem } = moduleFor(block, paths)
    if (problem !== undefined) problems.set(block.line, [problem])
    else files.set(join(root, 'test', 'package', `readme-line-${block.line}.ts`), text)
  }
  const host = ts.createCompilerHost(config.options, true)
  const { getSourceFile, fileExists, readFile } = host
  host.fileExists = (name) => files.has(name) || fileExists.call(host, name)
  host.readFile = (name) => files.get(name) ?? readFile.call(host, name)
  host.getSourceFile = (name, language, onError, create) => {
    const text = files.get(name)
    return text === undefined ? getSourceFile.call(host, name, language, onError, create) : ts.createSourceFile(name, text, language, true)
  }
  const program = ts.createProgram({ rootNames: [...files.keys()], options: config.options, host })
  for (const [name] of files) {
    const line = Number(/readme-line-(\d+)\.ts$/.exec(name)?.[1])
    const source = program.getSourceFile(name)
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
    problems.set(
      line,
      diagnostics.map((d) => {
        const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0
        return `README.md:${line + 1 + at}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
      }),
    )
  }
}, 60_000)

describe('README.md', () => {
  it('has ts blocks to check, among them a declaration-only one', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5)
    expect(blocks.some((block) => declarationsOnly(block.code) !== undefined)).toBe(true)
  })

  it.each(blocks.map((block) => [block.line, block] as const))('the ts block at line %i compiles', (line) => {
    expect(problems.get(line)).toEqual([])
  })
})
