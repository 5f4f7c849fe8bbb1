import { defineConfig, devices } from '@playwright/test'
import { ALLOW_E2E_ORIGINS, E2E_DEV_PORT, E2E_SERVER_PORT, E2E_VITE_PORT } from './e2e/ports.js'

const serverUrl = `http://127.0.0.1:${E2E_SERVER_PORT}`
const vite = 'node node_modules/vite/bin/vite.js'

// Ports of their own so a developer's `npm start` (3000 / 5173) keeps running during `npm test`.
export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results/e2e',
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  timeout: 30_000,
  expect: { timeout: 7_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${E2E_VITE_PORT}`,
    // Every page's screenshot is kept by the e2e fixture (named per client); these add the failure moment.
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'debian-chromium',
      use: {
        ...devices['Desktop Chrome'],
        viewport: { width: 1280, height: 900 },
        launchOptions: {
          // Never a downloaded browser: Debian's chromium (or CHROMIUM_PATH).
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
            '--disable-quic',
          ],
        },
      },
    },
  ],
  webServer: [
    {
      command: `node --import tsx src/server/cli.ts --port ${E2E_SERVER_PORT} --host 127.0.0.1 --db memory ${ALLOW_E2E_ORIGINS.join(' ')}`,
      url: `${serverUrl}/socket.io/?EIO=4&transport=polling`,
      reuseExistingServer: !process.env.CI,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      // The production build: one bundle loads ~0.7 s faster per page than the dev server's modules.
      command: `${vite} build --logLevel warn && ${vite} preview --port ${E2E_VITE_PORT} --strictPort`,
      url: `http://127.0.0.1:${E2E_VITE_PORT}`,
      env: { VITE_LIVECRUD_SERVER: serverUrl },
      reuseExistingServer: !process.env.CI,
      timeout: 30_000,
    },
    {
      command: `${vite} --port ${E2E_DEV_PORT} --strictPort`,
      url: `http://127.0.0.1:${E2E_DEV_PORT}`,
      env: { VITE_LIVECRUD_SERVER: serverUrl },
      reuseExistingServer: !process.env.CI,
      timeout: 30_000,
    },
  ],
})
