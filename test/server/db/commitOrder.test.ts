import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { PostgresStore } from '../../../src/server/stores/postgres/PostgresStore.js'
import type { ChangeRecord } from '../../../src/server/stores/Store.js'
import { put, write } from './storeConformance.js'
import { PG_URL, dropSchema, pgUp, uniqueName, waitFor } from './services.js'

const schema = uniqueName('order')
const scratch = uniqueName('serial')
afterAll(async () => {
  if (!pgUp) return
  await dropSchema(schema)
  await dropSchema(scratch)
})

describe.runIf(pgUp)('commit order (PostgreSQL)', () => {
  it(
    'a late committer is numbered when it commits: never skipped, and it blocks no other writer',
    { timeout: 20_000 },
    async () => {
      const b = await PostgresStore.connect(PG_URL, { schema, pollMs: 0, max: 2 })
      const observer = await PostgresStore.connect(PG_URL, { schema, pollMs: 0, max: 2 })
      const seen: ChangeRecord[] = []
      observer.onChange((c) => seen.push(c))
      await write(b, 'todos', 'warm', put({ n: 0 })) // the counter row exists: seq 1

      // A writer that appended its change row (position before x2's) and has not committed yet.
      const late = new pg.Client({ connectionString: PG_URL })
      await late.connect()
      await late.query('BEGIN')
      await late.query(
        `SELECT * FROM "${schema}".write_item('todos', 'x1', 'o', 'm-late', NULL, 0, 'put', $1::jsonb, NULL, $1::jsonb, NULL, false)`,
        [JSON.stringify({ id: 'x1', _version: 1, n: 1 })],
      )
      // x2 commits and is numbered while x1 is open: no counter lock is held across a commit.
      expect((await write(b, 'todos', 'x2', put({ n: 2 }))).seq).toBe(2)
      await waitFor(() => seen.length === 2)
      expect(await observer.changesSince('todos', 1)).toMatchObject({ tooOld: false, seq: 2 })

      await late.query('COMMIT')
      // As a table trigger does: ask the listeners to number what was committed.
      await late.query(`SELECT pg_notify('livecrud_${schema}', 'p:todos')`)
      await late.end()
      await waitFor(() => seen.length === 3)
      expect(seen.map((c) => [c.seq, c.id])).toEqual([
        [1, 'warm'],
        [2, 'x2'],
        [3, 'x1'],
      ])
      const caughtUp = await observer.changesSince('todos', 1)
      expect(caughtUp.tooOld ? [] : caughtUp.changes.map((c) => [c.seq, c.id])).toEqual([
        [2, 'x2'],
        [3, 'x1'],
      ])
      await Promise.all([b.close(), observer.close()])
    },
  )

  it('a change committed by a writer that died before numbering it is numbered by the poll', async () => {
    const store = await PostgresStore.connect(PG_URL, { schema, pollMs: 100, max: 2 })
    const seen: ChangeRecord[] = []
    store.onChange((c) => seen.push(c))
    const head = await store.seq('todos')
    // What a killed process leaves: the change row committed, nobody to number it, no NOTIFY.
    const orphan = new pg.Client({ connectionString: PG_URL })
    await orphan.connect()
    await orphan.query(
      `SELECT * FROM "${schema}".write_item('todos', 'orphan', 'o', 'm-orphan', NULL, 0, 'put', $1::jsonb, NULL, $1::jsonb, NULL, false)`,
      [JSON.stringify({ id: 'orphan', _version: 1 })],
    )
    await orphan.end()
    await waitFor(() => seen.some((c) => c.id === 'orphan'))
    expect(seen.find((c) => c.id === 'orphan')).toMatchObject({ seq: head + 1, type: 'ADDED' })
    expect(await store.seq('todos')).toBe(head + 1)
    await store.close()
  })

  it('(the trap it avoids) a bigserial position lets `WHERE seq > last` skip a late commit', async () => {
    const t1 = new pg.Client({ connectionString: PG_URL })
    const t2 = new pg.Client({ connectionString: PG_URL })
    await Promise.all([t1.connect(), t2.connect()])
    try {
      await t1.query(
        `CREATE SCHEMA "${scratch}"; CREATE TABLE "${scratch}".log (seq bigserial PRIMARY KEY)`,
      )
      await t1.query('BEGIN')
      await t1.query(`INSERT INTO "${scratch}".log DEFAULT VALUES`) // takes seq 1, stays open
      await t2.query(`INSERT INTO "${scratch}".log DEFAULT VALUES`) // takes seq 2, commits
      const firstRead = await t2.query(`SELECT seq::int FROM "${scratch}".log WHERE seq > 0`)
      expect(firstRead.rows.map((r) => r.seq)).toEqual([2])
      await t1.query('COMMIT')
      const catchUp = await t2.query(`SELECT seq::int FROM "${scratch}".log WHERE seq > 2`)
      expect(catchUp.rows).toEqual([]) // seq 1 is never seen by a reader that got to 2
    } finally {
      await Promise.all([t1.end(), t2.end()])
    }
  })
})
