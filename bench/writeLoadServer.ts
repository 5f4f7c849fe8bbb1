/**
 * A server process for bench/writeLoadBench.ts, one of:
 * - `livecrud <store url>`: the reference server on that store, the request rate limit raised so
 *   that it is not what the load meets (`limits.maxRequestsPerSecond`, `maxInFlight`);
 * - `table <postgres url>`: the same on PostgreSQL, its one collection `tasks` backed by a table
 *   of its own (`<schema>_app.tasks`, created here; change-capture triggers installed);
 * - `baseline <postgres url>`: the seed's hand-written handler — socket.io `POST` doing one
 *   `INSERT … ; pg_notify` through a `pg` pool (10 connections, as livecrud's), then `ack`.
 * Prints `listening on <url>`. Run: `node --import tsx bench/writeLoadServer.ts livecrud pglite:memory`.
 */
import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { Server } from 'socket.io'
import { createServer, createStoreFromUrl } from '../src/server/index.js'

const [mode, url = 'memory'] = process.argv.slice(2)

async function livecrud(): Promise<string> {
  let tables
  if (mode === 'table') {
    const app = `${new URL(url).searchParams.get('schema') ?? 'livecrud'}_app`
    const conn = new URL(url)
    conn.searchParams.delete('schema')
    const client = new pg.Client({ connectionString: conn.toString() })
    await client.connect()
    await client.query(
      `CREATE SCHEMA IF NOT EXISTS "${app}"; CREATE TABLE IF NOT EXISTS "${app}".tasks (id text PRIMARY KEY, title text NOT NULL, done boolean NOT NULL DEFAULT false, n int)`,
    )
    await client.end()
    tables = { tasks: { table: `${app}.tasks` } }
  }
  const store = await createStoreFromUrl(url, { tables })
  const server = await createServer({
    store,
    limits: { maxRequestsPerSecond: 1_000_000, maxInFlight: 1_000 },
  })
  process.on('SIGTERM', () => {
    void server
      .close()
      .then(() => store.close())
      .then(() => process.exit(0))
  })
  return server.url
}

async function baseline(): Promise<string> {
  const schema = new URL(url).searchParams.get('schema') ?? 'bench_baseline'
  const conn = new URL(url)
  conn.searchParams.delete('schema')
  const pool = new pg.Pool({ connectionString: conn.toString(), max: 10 })
  await pool.query(
    `CREATE SCHEMA IF NOT EXISTS "${schema}"; CREATE TABLE IF NOT EXISTS "${schema}".items (collection text, id text, data jsonb, PRIMARY KEY (collection, id))`,
  )
  const http = createHttpServer()
  const io = new Server(http, { serveClient: false })
  io.on('connection', (socket) => {
    socket.on(
      'POST',
      (
        collection: string,
        body: Record<string, unknown>,
        _meta: unknown,
        ack: (e: unknown, r?: unknown) => void,
      ) => {
        const id = (body.id as string | undefined) ?? randomUUID()
        const item = { ...body, id }
        pool
          .query(
            `WITH i AS (INSERT INTO "${schema}".items (collection, id, data) VALUES ($1, $2, $3::jsonb) RETURNING id)
           SELECT pg_notify('bench_${schema}', $1 || ':' || id) FROM i`,
            [collection, id, JSON.stringify(item)],
          )
          .then(
            () => ack(null, item),
            (err: Error) => ack({ code: 'INTERNAL', message: err.message }),
          )
      },
    )
  })
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  process.on('SIGTERM', () => {
    void io.close()
    void pool.end().then(() => process.exit(0))
  })
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`
}

const address = await (mode === 'baseline' ? baseline() : livecrud())
console.log(`listening on ${address}`)
