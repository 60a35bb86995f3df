/**
 * The package as it is published, for the package tests: a copy of the working tree
 * without `dist/` (what a fresh clone has) packed with `npm pack`, whose `prepack` builds
 * it; and consumer projects that have the tarball unpacked as node_modules/distribunator,
 * with its `dependencies` linked to this repository's installed copies (nothing is
 * downloaded; optional peer dependencies are left out).
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { outputOf, run } from './run.js'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const repoModules = realpathSync(join(root, 'node_modules'))
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

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

/** The files a clone of the working tree holds: tracked and unignored, relative to the repository. */
export function workingTreeFiles(): string[] {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`)
  // a path ending in / is another repository inside this one (a nested work tree): no clone has it
  return listed.stdout.split('\0').filter((path) => path !== '' && !path.endsWith('/') && path.split('/')[0] !== 'node_modules' && existsSync(join(root, path)))
}

/** Copies what a clone of the working tree holds: tracked and unignored files, no build output. */
function cloneWorkingTree(to: string): void {
  for (const path of workingTreeFiles()) {
    mkdirSync(dirname(join(to, path)), { recursive: true })
    cpSync(join(root, path), join(to, path))
  }
  linkModules(to)
}

export interface Packed {
  /** The tarball's path. */
  readonly tarball: string
  /** The paths it holds, relative to the package root. */
  readonly files: readonly string[]
}

/** Packs a fresh copy of the working tree in `work` (a folder of the caller's). */
export async function packFreshClone(work: string): Promise<Packed> {
  const clone = join(work, 'clone')
  cloneWorkingTree(clone)
  if (existsSync(join(clone, 'dist'))) throw new Error('an unbuilt clone has no dist/')
  const packs = join(work, 'packs')
  mkdirSync(packs)
  const packed = await run(npm, ['pack', '--pack-destination', packs, '--json'], { cwd: clone, timeoutMs: 90_000 })
  if (packed.code !== 0) throw new Error(`npm pack failed\n${outputOf(packed)}`)
  const [report] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[]
  if (report === undefined) throw new Error(`npm pack reported nothing\n${outputOf(packed)}`)
  return { tarball: join(packs, report.filename), files: report.files.map((file) => file.path) }
}

/** Unpacks `tarball` into `dir` (the package root, without npm's `package/` folder). */
export function unpack(tarball: string, dir: string): void {
  mkdirSync(dir, { recursive: true })
  const untar = spawnSync('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1'])
  if (untar.status !== 0) throw new Error(`tar failed: ${String(untar.stderr)}`)
}

/**
 * Makes a consumer project in `dir`: the tarball unpacked as node_modules/distribunator,
 * its `dependencies` linked from this repository, `extra` packages too (such as
 * @types/node), and a package.json of the given `type` (npm init's default is commonjs).
 */
export function consumer(dir: string, tarball: string, { extra = [], type = 'commonjs' }: { extra?: readonly string[]; type?: 'module' | 'commonjs' } = {}): string {
  const modules = join(dir, 'node_modules')
  unpack(tarball, join(modules, 'distribunator'))
  const manifest = JSON.parse(readFileSync(join(modules, 'distribunator', 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }
  for (const dependency of [...Object.keys(manifest.dependencies ?? {}), ...extra]) {
    mkdirSync(dirname(join(modules, dependency)), { recursive: true })
    symlinkSync(join(repoModules, dependency), join(modules, dependency), 'dir')
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type }))
  return dir
}
