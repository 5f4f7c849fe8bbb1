import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import {
  PostgresConnector,
  type PgConnector,
  type Queryable,
} from '../../../src/server/stores/postgres/PgConnector.js'
import { PostgresStore } from '../../../src/server/stores/postgres/PostgresStore.js'
import type { ChangeRecord } from '../../../src/server/stores/Store.js'
import { put, write } from './storeConformance.js'
import { PG_URL, dropSchema, pgUp, uniqueName, waitFor } from './services.js'

/** Holds every transaction open just before COMMIT while `hold` is set. */
class GatedConnector implements PgConnector {
  readonly kind = 'postgres'
  hold: Promise<void> | null = null
  held = 0
  constructor(private readonly inner: PostgresConnector) {}
  query(text: string, values?: unknown[]) {
    return this.inner.query(text, values)
  }
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.inner.transaction(async (tx) => {
      const out = await fn(tx)
      if (this.hold) {
        this.held++
        await this.hold
      }
      return out
    })
  }
  listen(...args: Parameters<PgConnector['listen']>) {
    return this.inner.listen(...args)
  }
  close() {
    return this.inner.close()
  }
}

const schema = uniqueName('order')
const scratch = uniqueName('serial')
afterAll(async () => {
  if (!pgUp) return
  await dropSchema(schema)
  await dropSchema(scratch)
})

describe.runIf(pgUp)('commit order (PostgreSQL)', () => {
  it(
    'a writer cannot commit seq N+1 while seq N is open; catch-up never skips the late row',
    { timeout: 20_000 },
    async () => {
      const gated = new GatedConnector(new PostgresConnector({ connectionString: PG_URL, max: 2 }))
      const a = await PostgresStore.open(gated, { schema, pollMs: 0 })
      const b = await PostgresStore.connect(PG_URL, { schema, pollMs: 0, max: 2 })
      const observer = await PostgresStore.connect(PG_URL, { schema, pollMs: 0, max: 2 })
      const seen: ChangeRecord[] = []
      observer.onChange((c) => seen.push(c))
      await write(b, 'todos', 'warm', put({ n: 0 })) // the counter row exists: seq 1

      let release!: () => void
      gated.hold = new Promise((r) => (release = r))
      const first = write(a, 'todos', 'x1', put({ n: 1 }))
      await waitFor(() => gated.held === 1)
      let secondDone = false
      const second = write(b, 'todos', 'x2', put({ n: 2 })).finally(() => (secondDone = true))
      await new Promise((r) => setTimeout(r, 300))
      // The later writer queues on the counter row: it cannot take seq 3 and commit before seq 2.
      expect(secondDone).toBe(false)
      expect(await observer.changesSince('todos', 1)).toEqual({
        tooOld: false,
        changes: [],
        seq: 1,
      })
      expect(seen.map((c) => c.seq)).toEqual([1])

      gated.hold = null
      release()
      expect((await first).seq).toBe(2)
      expect((await second).seq).toBe(3)
      await waitFor(() => seen.length === 3)
      expect(seen.map((c) => [c.seq, c.id])).toEqual([
        [1, 'warm'],
        [2, 'x1'],
        [3, 'x2'],
      ])
      await Promise.all([a.close(), b.close(), observer.close()])
    },
  )

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
