import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createStoreFromUrl } from '../../../src/server/stores/fromUrl.js'
import { put, write } from './storeConformance.js'
import { PG_URL, REDIS_URL, deleteKeys, dropSchema, pgUp, redisUp, uniqueName } from './services.js'

const dir = mkdtempSync(join(tmpdir(), 'livecrud-pglite-'))
const schema = uniqueName('url')
const prefix = `${uniqueName('url')}:`
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  if (pgUp) await dropSchema(schema)
  if (redisUp) await deleteKeys(prefix)
}, 30_000)

describe('createStoreFromUrl with database stores', { timeout: 60_000 }, () => {
  it('pglite:<dir> keeps data across reopening; seq and versions continue', async () => {
    const first = await createStoreFromUrl(`pglite:${dir}`)
    expect(first.kind).toBe('pglite')
    await write(first, 'todos', 'a', put({ title: 'kept' }))
    await first.close()
    const again = await createStoreFromUrl(`pglite:${dir}`)
    expect(await again.get('todos', 'a')).toEqual({ id: 'a', _version: 1, title: 'kept' })
    const next = await write(again, 'todos', 'a', put({ title: 'next' }))
    expect(next).toMatchObject({ seq: 2, version: 2 })
    await again.close()
  })

  it.runIf(pgUp)('postgres://…?schema= uses that schema', async () => {
    const store = await createStoreFromUrl(`${PG_URL}?schema=${schema}`)
    expect(store.kind).toBe('postgres')
    await write(store, 'todos', 'a', put({ n: 1 }))
    await store.close()
    const pg = await import('pg')
    const client = new pg.default.Client({ connectionString: PG_URL })
    await client.connect()
    const rows = await client.query(`SELECT id FROM "${schema}".items`)
    await client.end()
    expect(rows.rows).toEqual([{ id: 'a' }])
  })

  it.runIf(redisUp)('redis://…?prefix= uses that key prefix', async () => {
    const store = await createStoreFromUrl(`${REDIS_URL}?prefix=${encodeURIComponent(prefix)}`)
    expect(store.kind).toBe('redis')
    await write(store, 'todos', 'a', put({ n: 1 }))
    expect(await store.seq('todos')).toBe(1)
    await store.close()
  })

  it('rejects a bad schema name before touching the database', async () => {
    await expect(createStoreFromUrl(`${PG_URL}?schema=x";DROP`)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    })
  })
})
