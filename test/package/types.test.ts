/**
 * The typed API (typed pids, a name map, replies that cannot lie, errors narrowed by class)
 * as the compiler sees it: test/fixtures/typed-api.ts compiles against the sources with the
 * repository's strict options and the package's entries mapped to src/ (tsconfig.json
 * `paths`). The packed package's own .d.ts files get the same fixture in
 * test/package/consumers.test.ts.
 *
 * Each `// @ts-expect-error <words>` in the fixture marks a line that must not compile: the
 * fixture is compiled once as it is (no error may remain, and no directive may go unused),
 * and once with the directives taken out, where each marked line must fail with a message
 * holding its <words>, and no other line may fail.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const fixture = join(root, 'test', 'fixtures', 'typed-api.ts')
const source = readFileSync(fixture, 'utf8')
const DIRECTIVE = /^(\s*)\/\/ @ts-expect-error (.+)$/

/** The marked lines (0-based, the line after each directive) and the words each error must hold. */
function expectations(text: string): Map<number, string> {
  const expected = new Map<number, string>()
  text.split('\n').forEach((line, at) => {
    const words = DIRECTIVE.exec(line)?.[2]
    if (words !== undefined) expected.set(at + 1, words.trim())
  })
  return expected
}

let previous: ts.Program | undefined

/** Diagnostics of the fixture compiled with `text` in its place, as `line: message` (0-based lines). */
function compile(text: string): Array<{ line: number; message: string }> {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), { noEmit: true }, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })
  if (config === undefined) throw new Error('cannot read tsconfig.json')
  const host = ts.createCompilerHost(config.options, true)
  const { getSourceFile, readFile } = host
  host.readFile = (name) => (name === fixture ? text : readFile.call(host, name))
  host.getSourceFile = (name, language, onError, create) =>
    name === fixture ? ts.createSourceFile(name, text, language, true) : getSourceFile.call(host, name, language, onError, create)
  const program = ts.createProgram({ rootNames: [fixture], options: config.options, host, ...(previous ? { oldProgram: previous } : {}) })
  previous = program // the second compile reuses the library's files
  const file = program.getSourceFile(fixture)
  return [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)].map((d) => ({
    line: d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1,
    message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  }))
}

describe('the typed API', () => {
  const expected = expectations(source)

  it('has lines that must not compile, for wrong messages, wrong names, wrong replies and wrong codes', () => {
    expect(expected.size).toBeGreaterThanOrEqual(32)
  })

  it('compiles, every @ts-expect-error used', () => {
    expect(compile(source).map(({ line, message }) => `typed-api.ts:${line + 1}: ${message}`)).toEqual([])
  }, 120_000)

  it('without the directives, fails exactly on the marked lines, each for the reason given', () => {
    const stripped = source
      .split('\n')
      .map((line) => line.replace(DIRECTIVE, '$1// (expected error)'))
      .join('\n')
    const errors = compile(stripped)
    const unexpected = errors.filter(({ line }) => !expected.has(line)).map(({ line, message }) => `typed-api.ts:${line + 1}: ${message}`)
    expect(unexpected).toEqual([])
    for (const [line, words] of expected) {
      const messages = errors.filter((error) => error.line === line).map((error) => error.message)
      expect(messages.length, `typed-api.ts:${line + 1} should fail`).toBeGreaterThan(0)
      expect(messages.some((message) => message.includes(words)), `typed-api.ts:${line + 1}: ${messages.join(' / ')}`).toBe(true)
    }
  }, 120_000)
})
