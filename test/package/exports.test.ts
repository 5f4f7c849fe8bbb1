import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from '../../scripts/bundleSize.js'

const run = promisify(execFile)

interface PackageJson {
  name: string
  exports: Record<string, string | Record<string, string>>
  files: string[]
  bin: Record<string, string>
}
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson

/**
 * The package as it is published: `tsc -p tsconfig.build.json` output plus package.json, in a folder
 * inside node_modules so that its dependencies resolve the way they do in an app. Built fresh (a stale
 * dist/ proves nothing) and used by plain Node: no bundler, no tsx, no path aliases.
 */
const OUT = join(ROOT, 'node_modules', '.cache', 'livecrud-package-test')

/** Runs in plain Node inside OUT: `livecrud` resolves through package.json's own `exports`. */
const SMOKE = `
import { createClient, LivecrudError, ServerError } from 'livecrud'
import { createServer } from 'livecrud/server'
import * as react from 'livecrud/react'
import { indexedDBPersistence } from 'livecrud/persist'

const server = await createServer({ port: 0, host: '127.0.0.1' })
const client = createClient({ url: server.url, timeout: 5000 })
// Plain Node has no IndexedDB: the persistence says so and the client works in memory.
async function persisted() {
  console.warn = () => {}
  const c = createClient({ url: server.url, timeout: 5000, persistence: indexedDBPersistence({ name: 'smoke' }) })
  try {
    const item = await c.postItem({ title: 'persisted' }, 'todos')
    return [item.title, c.getPersistenceState()]
  } finally {
    c.close()
  }
}
try {
  const created = await client.postItem({ title: 'from the built package' }, 'todos')
  const got = await client.getItem(created.id, 'todos')
  const list = await client.getItems({ page: 1, sort: 'title' }, 'todos')
  const put = await client.putItem({ id: created.id, title: 'replaced' }, 'todos')
  const patched = await client.patchItem([{ op: 'add', path: '/' + created.id + '/done', value: true }], 'todos')
  const deleted = await client.deleteItem(created.id, 'todos')
  const gone = await client.getItem(created.id, 'todos')
  let error
  try { await client.getItem('not a valid id!', 'todos') } catch (e) { error = e }
  console.log(JSON.stringify({
    got: got?.title, listed: list.length, put: put.title, patched: [patched.title, patched.done],
    deleted, gone: gone === undefined,
    error: error instanceof LivecrudError && error instanceof ServerError ? error.code : String(error),
    hooks: ['LivecrudProvider', 'useItem', 'useLiveQuery'].every((k) => typeof react[k] === 'function'),
    persisted: await persisted(),
  }))
} finally {
  client.close()
  await server.close()
}
`

describe('the published package', () => {
  beforeAll(async () => {
    rmSync(OUT, { recursive: true, force: true })
    mkdirSync(OUT, { recursive: true })
    await run(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
        '-p',
        join(ROOT, 'tsconfig.build.json'),
        '--outDir',
        join(OUT, 'dist'),
      ],
      { cwd: ROOT },
    )
    writeFileSync(join(OUT, 'package.json'), JSON.stringify(pkg))
    writeFileSync(join(OUT, 'smoke.mjs'), SMOKE)
  }, 180_000)

  afterAll(() => rmSync(OUT, { recursive: true, force: true }))

  it('builds every file that package.json exports, types first', () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      const conditions = typeof target === 'string' ? { default: target } : target
      if (subpath !== './package.json') expect(Object.keys(conditions)[0], subpath).toBe('types')
      for (const file of Object.values(conditions)) {
        const path = file === './package.json' ? join(ROOT, file) : join(OUT, file)
        expect(existsSync(path), `${subpath} → ${file}`).toBe(true)
      }
    }
  })

  it('ships the files it lists, and its bin is executable', () => {
    for (const f of pkg.files.filter((f) => f !== 'dist')) {
      expect(existsSync(join(ROOT, f)), f).toBe(true)
    }
    for (const bin of Object.values(pkg.bin)) {
      const text = readFileSync(join(ROOT, bin), 'utf8')
      expect(text.startsWith('#!/usr/bin/env node'), bin).toBe(true)
      expect(statSync(join(ROOT, bin)).mode & 0o111, `${bin} mode`).not.toBe(0)
    }
  })

  it('runs the six CRUD functions from the built entries in plain Node', async () => {
    const { stdout } = await run(process.execPath, ['smoke.mjs'], { cwd: OUT, timeout: 60_000 })
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
      got: 'from the built package',
      listed: 1,
      put: 'replaced',
      patched: ['replaced', true],
      deleted: true,
      gone: true,
      error: 'BAD_REQUEST',
      hooks: true,
      persisted: ['persisted', 'memory'],
    })
  }, 90_000)
})
