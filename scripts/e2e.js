#!/usr/bin/env node
// `npm run test:e2e`: Playwright against Debian's chromium. Never downloads a browser.
import { spawnSync } from 'node:child_process'
import { accessSync, constants } from 'node:fs'

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
try {
  accessSync(chromium, constants.X_OK)
} catch {
  console.error(
    [
      `e2e: no chromium at ${chromium}.`,
      'Install one with `sudo apt-get install -y chromium` (Debian/Ubuntu),',
      'or point CHROMIUM_PATH at an existing Chromium/Chrome binary, e.g.',
      '  CHROMIUM_PATH=/usr/bin/google-chrome npm run test:e2e',
      'Playwright browser downloads (`npx playwright install`) are not used by this project.',
    ].join('\n'),
  )
  process.exit(1)
}

const result = spawnSync('npx', ['playwright', 'test', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, CHROMIUM_PATH: chromium, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
})
process.exit(result.status ?? 1)
