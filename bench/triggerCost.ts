/**
 * Trigger cost: what livecrud's change capture adds to a plain single-row write made outside
 * livecrud (a `pg` client, as psql or a cron job is). Two identical tables in one database, one
 * mapped to a collection (row + statement triggers installed by a running PostgresStore, whose
 * sequencer numbers the change rows as it would in a server), one plain. Each iteration writes one
 * row to each, in alternating order (interleaved: a noisy moment hits both), autocommit:
 * - INSERT of a new row;
 * - UPDATE of an existing row (one column).
 * The figure is the median round trip of the mapped table's statement, against the plain table's in
 * the same run. Target (issue 16): ≤ 1.5×. With `synchronous_commit = off` (no WAL flush per
 * commit) the trigger's CPU shows more; reported as an extra row.
 */
import pg from 'pg'
import { PostgresStore } from '../src/server/stores/postgres/PostgresStore.js'
import { median, quantile, type BenchRow, type BenchSuite } from './lib.js'

const PG_URL = process.env.LIVECRUD_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test'

async function timed(client: pg.Client, text: string, values: unknown[]): Promise<number> {
  const t0 = performance.now()
  await client.query(text, values)
  return performance.now() - t0
}

interface Samples {
  plain: number[]
  mapped: number[]
}

async function measure(
  client: pg.Client,
  app: string,
  kind: 'INSERT' | 'UPDATE',
  n: number,
  offset: number,
): Promise<Samples> {
  const out: Samples = { plain: [], mapped: [] }
  const stmt = (table: string) =>
    kind === 'INSERT'
      ? `INSERT INTO "${app}".${table} (id, title, n) VALUES ($1, 'bench row', $2)`
      : `UPDATE "${app}".${table} SET n = n + 1 WHERE id = $1`
  for (let i = 0; i < n; i++) {
    const id = kind === 'INSERT' ? `r${offset + i}` : `r${(i * 7919) % 1000}`
    const values = kind === 'INSERT' ? [id, i] : [id]
    const order: ('plain' | 'mapped')[] = i % 2 === 0 ? ['plain', 'mapped'] : ['mapped', 'plain']
    for (const which of order) out[which].push(await timed(client, stmt(which), values))
  }
  return out
}

function row(name: string, s: Samples, target: boolean): BenchRow {
  const value = median(s.mapped)
  const base = median(s.plain)
  const r: BenchRow = {
    name,
    value: +(value * 1000).toFixed(1),
    unit: 'µs',
    baseline: { name: 'the same table without triggers', value: +(base * 1000).toFixed(1) },
    extra: {
      'p99 with': +(quantile(s.mapped, 0.99) * 1000).toFixed(1),
      'p99 without': +(quantile(s.plain, 0.99) * 1000).toFixed(1),
      samples: s.mapped.length,
    },
  }
  if (target) {
    r.target = '≤ 1.5×'
    r.met = value / base <= 1.5
  }
  return r
}

export const triggerCost: BenchSuite = {
  name: 'trigger cost',
  async run({ quick }) {
    const client = new pg.Client(PG_URL)
    try {
      await client.connect()
    } catch {
      console.warn('trigger cost: PostgreSQL is not reachable; skipped')
      return []
    }
    const runId = Math.random().toString(36).slice(2, 8)
    const schema = `bench_tc_${runId}`
    const app = `bench_tc_app_${runId}`
    const n = quick ? 300 : 2000
    let store: PostgresStore | null = null
    try {
      await client.query(`CREATE SCHEMA "${app}"`)
      for (const t of ['plain', 'mapped'])
        await client.query(
          `CREATE TABLE "${app}".${t} (id text PRIMARY KEY, title text NOT NULL, n int NOT NULL DEFAULT 0,
             created timestamptz NOT NULL DEFAULT now())`,
        )
      const log = console.log
      console.log = () => {}
      try {
        store = await PostgresStore.connect(PG_URL, {
          schema,
          max: 2,
          tables: { rows: { table: `${app}.mapped` } },
        })
      } finally {
        console.log = log
      }
      const rows: BenchRow[] = []
      await measure(client, app, 'INSERT', 100, 1_000_000) // warm-up: plans, caches, WAL
      const insert = await measure(client, app, 'INSERT', n, 0)
      const update = await measure(client, app, 'UPDATE', n, 0)
      rows.push(row('trigger cost: single-row INSERT from a pg client', insert, true))
      rows.push(row('trigger cost: single-row UPDATE from a pg client', update, true))
      await client.query('SET synchronous_commit = off')
      const insertAsync = await measure(client, app, 'INSERT', n, 2_000_000)
      const updateAsync = await measure(client, app, 'UPDATE', n, 0)
      rows.push(row('trigger cost: INSERT, synchronous_commit off', insertAsync, false))
      rows.push(row('trigger cost: UPDATE, synchronous_commit off', updateAsync, false))
      return rows
    } finally {
      await store?.close()
      await client.query(
        `DROP SCHEMA IF EXISTS "${app}" CASCADE; DROP SCHEMA IF EXISTS "${schema}" CASCADE`,
      )
      await client.end()
    }
  },
}
