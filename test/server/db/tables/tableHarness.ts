import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import type { ChangeRecord, WriteDecision } from '../../../../src/server/stores/Store.js'
import { PgliteConnector, type Row } from '../../../../src/server/stores/postgres/PgConnector.js'
import {
  PostgresStore,
  type PostgresStoreOptions,
} from '../../../../src/server/stores/postgres/PostgresStore.js'
import { PG_URL, pgUp, uniqueName } from '../services.js'

/**
 * A database with an application schema of its own (tables livecrud did not create) and an
 * outside writer on it — a separate `pg` connection on PostgreSQL (what psql or a cron job is),
 * the shared session on PGlite (it has only one).
 */
export interface Backend {
  name: 'pglite' | 'postgres'
  /** livecrud's schema and the application's, unique to the test file. */
  schema: string
  app: string
  sql(text: string, values?: unknown[]): Promise<Row[]>
  /** An outside transaction; throwing inside rolls it back (and rethrows). */
  tx(
    fn: (q: { query(text: string, values?: unknown[]): Promise<Row[]> }) => Promise<void>,
  ): Promise<void>
  openStore(options: PostgresStoreOptions): Promise<PostgresStore>
  close(): Promise<void>
}

export async function pgliteBackend(tag: string): Promise<Backend> {
  const db = await PGlite.create()
  const outside = await PgliteConnector.open(db)
  const schema = uniqueName(`${tag}lc`)
  const app = uniqueName(`${tag}app`)
  await outside.query(`CREATE SCHEMA "${app}"`)
  return {
    name: 'pglite',
    schema,
    app,
    sql: (text, values) => outside.query(text, values),
    tx: (fn) => outside.transaction(fn),
    openStore: (options) => PostgresStore.pglite(db, { schema, pollMs: 0, ...options }),
    close: async () => {
      await outside.close()
      await db.close()
    },
  }
}

export async function postgresBackend(tag: string): Promise<Backend> {
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  const schema = uniqueName(`${tag}lc`)
  const app = uniqueName(`${tag}app`)
  await client.query(`CREATE SCHEMA "${app}"`)
  return {
    name: 'postgres',
    schema,
    app,
    sql: async (text, values) => (await client.query(text, values)).rows as Row[],
    tx: async (fn) => {
      const c = new pg.Client({ connectionString: PG_URL })
      await c.connect()
      try {
        await c.query('BEGIN')
        await fn({ query: async (text, values) => (await c.query(text, values)).rows as Row[] })
        await c.query('COMMIT')
      } catch (err) {
        await c.query('ROLLBACK')
        throw err
      } finally {
        await c.end()
      }
    },
    openStore: (options) =>
      PostgresStore.connect(PG_URL, { schema, pollMs: 0, max: 3, ...options }),
    close: async () => {
      await client.query(`DROP SCHEMA IF EXISTS "${app}" CASCADE`)
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await client.end()
    },
  }
}

/** The backends this machine can run: PGlite always, PostgreSQL when up (always under CI=true). */
export const BACKENDS: ('pglite' | 'postgres')[] = pgUp ? ['pglite', 'postgres'] : ['pglite']

export function openBackend(name: 'pglite' | 'postgres', tag: string): Promise<Backend> {
  return name === 'pglite' ? pgliteBackend(tag) : postgresBackend(tag)
}

/** Records a store's changes per collection. */
export function recordChanges(store: PostgresStore): ChangeRecord[] {
  const seen: ChangeRecord[] = []
  store.onChange((c) => seen.push(c))
  return seen
}

let mutations = 0
export function put(item: Record<string, unknown>): () => WriteDecision {
  return () => ({ action: 'put', item })
}
export function mid(): string {
  return `tm-${process.pid}-${++mutations}`
}

/** Polls `check` every 20 ms until it holds (bounded). */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 15_000,
): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting for condition')
    await new Promise((r) => setTimeout(r, 20))
  }
}

/**
 * The collection's head once every committed change is numbered: changes with a greater seq were
 * made after this call.
 */
export async function drainedHead(
  b: Backend,
  store: PostgresStore,
  collection: string,
): Promise<number> {
  await eventually(async () => {
    const rows = await b.sql(
      `SELECT count(*)::int AS n FROM "${b.schema}".changes WHERE collection = $1 AND seq IS NULL`,
      [collection],
    )
    return rows[0]!.n === 0
  })
  return store.seq(collection)
}

/** The recorded changes of `collection` after `start`. */
export function after(seen: ChangeRecord[], collection: string, start: number): ChangeRecord[] {
  return seen.filter((c) => c.collection === collection && c.seq > start)
}
