#!/usr/bin/env node
// Runs the built server (dist/, made by `npm run build` / `prepare`) or, in a source checkout
// without a build, the TypeScript sources through tsx.
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const built = fileURLToPath(new URL('../dist/server/cli.js', import.meta.url))
if (existsSync(built)) {
  await import(pathToFileURL(built).href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import(new URL('../src/server/cli.ts', import.meta.url).href)
}
