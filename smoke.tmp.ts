import pg from 'pg'
import { PostgresStore } from './src/server/stores/postgres/PostgresStore.js'
const URL = 'postgres://postgres@127.0.0.1:5432/test'
const c = new pg.Client(URL); await c.connect()
const app = 'tc_dbg_app', schema = 'tc_dbg'
await c.query(`DROP SCHEMA IF EXISTS ${app} CASCADE; DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${app}`)
await c.query(`CREATE TABLE ${app}.mapped (id text PRIMARY KEY, title text NOT NULL, n int NOT NULL DEFAULT 0, created timestamptz NOT NULL DEFAULT now())`)
const log = console.log; console.log = () => {}
const store = await PostgresStore.connect(URL, { schema, pollMs: 0, tables: { rows: { table: `${app}.mapped` } } })
await store.close()
console.log = log
const run = async (sql: string) => { const t0 = performance.now(); await c.query(sql); return performance.now() - t0 }
const bench = async (label: string) => {
  await c.query(`TRUNCATE ${app}.mapped`)
  const ins = await run(`DO $$ BEGIN FOR i IN 1..5000 LOOP INSERT INTO ${app}.mapped (id, title) VALUES ('k' || i, 'x'); END LOOP; END $$`)
  const upd = await run(`DO $$ BEGIN FOR i IN 1..5000 LOOP UPDATE ${app}.mapped SET n = n + 1 WHERE id = 'k' || i; END LOOP; END $$`)
  console.log(label, 'insert', (ins / 5).toFixed(1), 'update', (upd / 5).toFixed(1))
}
await bench('full'); await bench('full')
await c.query(`DROP TRIGGER livecrud_${schema}_notify ON ${app}.mapped`)
await bench('no statement trigger')
const src = (await c.query(`SELECT prosrc FROM pg_proc WHERE proname = 'lc_capture_rows'`)).rows[0].prosrc
console.log(src)
await c.query(`DROP SCHEMA IF EXISTS ${app} CASCADE; DROP SCHEMA IF EXISTS ${schema} CASCADE`); await c.end()
