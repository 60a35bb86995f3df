/**
 * Module hooks for the benchmark: an import of the library's source (`src/**`) loads the
 * built file in `dist/` instead, so that the benchmark times the library as an app runs
 * it (compiled by tsc), not as tsx transforms the source on the fly (its esbuild keeps
 * function names with a call per closure created, a few microseconds per call).
 * Registered by ./use-dist.mjs; scripts/bench.mjs builds `dist/` first.
 */
const src = new URL('../src/', import.meta.url).href
const dist = new URL('../dist/', import.meta.url).href

export async function resolve(specifier, context, next) {
  if ((specifier.startsWith('.') || specifier.startsWith('file:')) && context.parentURL !== undefined) {
    const url = new URL(specifier, context.parentURL).href
    if (url.startsWith(src)) return next(dist + url.slice(src.length).replace(/\.ts$/, '.js'), context)
  }
  return next(specifier, context)
}
