import { defineConfig } from '@playwright/test'

/**
 * End-to-end tests: real tabs (Chromium) and the demo's Node worker in one cluster, linked
 * by WebRTC, found through a real hub. The specs start what they need on free ports
 * (see e2e/fixtures.ts) and load the built demo (`vite build` → demo-dist/), which
 * `npm test` builds first.
 *
 * Chromium: $CHROMIUM_PATH, else /usr/bin/chromium (Playwright's own download is not used).
 */
export default defineConfig({
  testDir: 'e2e',
  testMatch: '*.spec.ts',
  outputDir: 'test-results/e2e',
  // Each test runs several tabs, a Node worker and WebRTC links on a small machine.
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    viewport: { width: 1360, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
    actionTimeout: 10_000,
    navigationTimeout: 20_000,
    trace: 'off',
    screenshot: 'only-on-failure',
  },
})
