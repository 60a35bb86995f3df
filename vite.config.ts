import { defineConfig } from 'vitest/config'

// One config for the demo app (vite dev / vite build) and the unit tests (vitest).
// The demo imports `distribunator/browser` through this alias exactly as a user's app
// imports the published package, so no polyfill or special option is needed here.
export default defineConfig({
  root: 'demo',
  resolve: {
    alias: {
      'distribunator/browser': new URL('./src/browser/index.ts', import.meta.url).pathname,
    },
  },
  build: { outDir: '../demo-dist', emptyOutDir: true },
  test: {
    root: '.',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
})
