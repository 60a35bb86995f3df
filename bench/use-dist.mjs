// `node --import ./bench/use-dist.mjs`: the library's source loads from dist/ (./dist-hooks.mjs).
import { register } from 'node:module'

/** Read by bench/run.ts to say which build of the library it timed. */
process.env.BENCH_LIBRARY = 'dist'

register(new URL('./dist-hooks.mjs', import.meta.url))
