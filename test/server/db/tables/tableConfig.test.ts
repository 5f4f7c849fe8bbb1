import { describe, expect, it } from 'vitest'
import { createStoreFromUrl } from '../../../../src/server/stores/fromUrl.js'
import {
  checkTablesOptions,
  parseTableFlags,
  parseTableName,
} from '../../../../src/server/stores/postgres/tables/config.js'

describe('table mapping configuration', () => {
  it('parses --table collection=schema.table flags and refuses malformed ones', () => {
    expect(parseTableFlags(['tasks=public.tasks', 'people=crm.person'])).toEqual({
      tasks: { table: 'public.tasks' },
      people: { table: 'crm.person' },
    })
    expect(parseTableFlags(undefined)).toEqual({})
    expect(() => parseTableFlags(['tasks'])).toThrow('--table needs collection=schema.table')
    expect(() => parseTableFlags(['=public.tasks'])).toThrow(
      '--table needs collection=schema.table',
    )
    expect(() => parseTableFlags(['bad name=public.t'])).toThrow('invalid collection name')
    expect(() => parseTableFlags(['t=public.t;drop'])).toThrow('invalid table name')
  })

  it('reads schema.table, defaulting to public, and quotes names', () => {
    expect(parseTableName('tasks')).toEqual({
      schema: 'public',
      table: 'tasks',
      sql: '"public"."tasks"',
    })
    expect(parseTableName('App.Tasks').sql).toBe('"App"."Tasks"')
    expect(() => parseTableName('a.b.c')).toThrow('invalid table name')
    expect(() => checkTablesOptions({ t: {} as never })).toThrow(
      "tables.t needs { table: 'schema.table' }",
    )
  })

  it('createStoreFromUrl passes tables to PostgreSQL / PGlite stores and refuses them elsewhere', async () => {
    await expect(
      createStoreFromUrl('memory', { tables: { t: { table: 'public.t' } } }),
    ).rejects.toThrow('table-backed collections need a PostgreSQL or PGlite store')
    // A fresh PGlite has no such table: start-up says so (the mapping reached the store).
    await expect(
      createStoreFromUrl('pglite:memory', { tables: { t: { table: 'public.nope' } } }),
    ).rejects.toThrow('collection t: table public.nope does not exist')
  }, 30_000)
})
