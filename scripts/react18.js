#!/usr/bin/env node
// `npm run test:react18`: the React tests again on React 18, the oldest React the peer range accepts.
// React 18 and 19 cannot both sit in node_modules (npm resolves one `react` peer), so React 18 goes
// to its own folder — where react-dom 18 finds its own react — and vitest aliases the imports there.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const VERSION = '18.3.1'
const dir = join(process.cwd(), 'node_modules', '.cache', 'livecrud-react18')
const installed = (pkg) => {
  const file = join(dir, 'node_modules', pkg, 'package.json')
  return existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).version === VERSION
}

if (!installed('react') || !installed('react-dom')) {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), '{ "name": "livecrud-react18", "private": true }\n')
  const install = spawnSync(
    'npm',
    [
      'install',
      '--prefix',
      dir,
      '--no-audit',
      '--no-fund',
      '--no-package-lock',
      `react@${VERSION}`,
      `react-dom@${VERSION}`,
    ],
    { stdio: 'inherit' },
  )
  if (install.status !== 0) {
    console.error(`test:react18: could not install react@${VERSION} into ${dir}`)
    process.exit(install.status ?? 1)
  }
}

const result = spawnSync(
  'npx',
  ['vitest', 'run', '--config', 'vitest.react18.config.ts', ...process.argv.slice(2)],
  { stdio: 'inherit', env: { ...process.env, LIVECRUD_REACT18_DIR: join(dir, 'node_modules') } },
)
process.exit(result.status ?? 1)
