/**
 * The store feeds alone, without socket.io: a write committed by one store instance → `onChange` in
 * another instance on the same database (PostgreSQL: NOTIFY pointer + change-log read; Redis: Lua
 * commit + PUBLISH + stream read), against the same write until it is committed; so the ratio is
 * what the feed adds over the commit. The bare notification round trip on the same server
 * (`pg_notify` → LISTEN client; PUBLISH → subscriber) is reported alongside.
 */
import { Redis } from 'ioredis'
import pg from 'pg'
import { PostgresStore } from '../src/server/stores/postgres/PostgresStore.js'
import { RedisStore } from '../src/server/stores/redis/RedisStore.js'
import type { ChangeRecord, Store } from '../src/server/stores/Store.js'
import { dropRedisPrefix, median, quantile, type BenchRow } from './lib.js'

const PG_URL = process.env.LIVECRUD_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const REDIS_URL = process.env.LIVECRUD_REDIS_URL ?? 'redis://127.0.0.1:6379/0'

let calls = 0
/** Per write: when `write()` resolved (committed) and when the other instance's `onChange` fired. */
async function storeLatency(
  writer: Store,
  reader: Store,
  n: number,
): Promise<{ commit: number[]; delivered: number[] }> {
  const run = ++calls
  let waiting: ((c: ChangeRecord) => void) | null = null
  reader.onChange((c) => waiting?.(c))
  const commit: number[] = []
  const delivered: number[] = []
  for (let i = 0; i < n; i++) {
    const got = new Promise<ChangeRecord>((r) => (waiting = r))
    const t0 = performance.now()
    await writer.write({
      collection: 'feed',
      id: `i${i % 10}`,
      mutationId: `m${run}-${i}`,
      decide: () => ({ action: 'put', item: { i, title: 'a small item' } }),
    })
    commit.push(performance.now() - t0)
    await got
    delivered.push(performance.now() - t0)
  }
  return { commit, delivered }
}

async function pgNotifyLatency(n: number): Promise<number[]> {
  const a = new pg.Client({ connectionString: PG_URL })
  const b = new pg.Client({ connectionString: PG_URL })
  await Promise.all([a.connect(), b.connect()])
  const channel = `bench_${process.pid}`
  await b.query(`LISTEN ${channel}`)
  let waiting: (() => void) | null = null
  b.on('notification', () => waiting?.())
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const got = new Promise<void>((r) => (waiting = r))
    const t0 = performance.now()
    await a.query('SELECT pg_notify($1, $2)', [channel, `${i}:feed`])
    await got
    out.push(performance.now() - t0)
  }
  await Promise.all([a.end(), b.end()])
  return out
}

async function redisPublishLatency(n: number): Promise<number[]> {
  const a = new Redis(REDIS_URL)
  const b = new Redis(REDIS_URL)
  const channel = `bench_${process.pid}`
  await b.subscribe(channel)
  let waiting: (() => void) | null = null
  b.on('message', () => waiting?.())
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const got = new Promise<void>((r) => (waiting = r))
    const t0 = performance.now()
    await a.publish(channel, `${i}:feed`)
    await got
    out.push(performance.now() - t0)
  }
  a.disconnect()
  b.disconnect()
  return out
}

function row(
  name: string,
  live: { commit: number[]; delivered: number[] },
  rawName: string,
  raw: number[],
): BenchRow {
  return {
    name,
    value: median(live.delivered),
    unit: 'ms',
    baseline: {
      name: 'the same write until committed (write() resolved)',
      value: median(live.commit),
    },
    extra: {
      p99: quantile(live.delivered, 0.99),
      'baseline p99': quantile(live.commit, 0.99),
      [`${rawName} p50`]: median(raw),
      [`${rawName} p99`]: quantile(raw, 0.99),
      samples: live.delivered.length,
    },
  }
}

/** Warms up, then times the store pair and the bare notification round trip of the same server. */
async function feedRow(
  name: string,
  [a, b]: [Store, Store],
  rawName: string,
  raw: (n: number) => Promise<number[]>,
  n: number,
): Promise<BenchRow> {
  const warm = 20
  await storeLatency(a, b, warm)
  await raw(warm)
  const live = await storeLatency(a, b, n)
  return row(name, live, rawName, await raw(n))
}

/** Rows for the store feeds; each store pair on its own schema / prefix, removed afterwards. */
export async function feedRows(quick: boolean): Promise<BenchRow[]> {
  const n = quick ? 100 : 500
  const rows: BenchRow[] = []
  const schema = `bench_feed_${process.pid}`
  const pgA = await PostgresStore.connect(PG_URL, { schema, max: 2 })
  const pgB = await PostgresStore.connect(PG_URL, { schema, max: 2 })
  try {
    rows.push(
      await feedRow(
        'feed: write on store A → onChange on B (PostgreSQL)',
        [pgA, pgB],
        'pg_notify → LISTEN',
        pgNotifyLatency,
        n,
      ),
    )
  } finally {
    await Promise.all([pgA.close(), pgB.close()])
    const admin = new pg.Client({ connectionString: PG_URL })
    await admin.connect()
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await admin.end()
  }
  const prefix = `bench_feed_${process.pid}:`
  const rA = await RedisStore.connect(REDIS_URL, { prefix })
  const rB = await RedisStore.connect(REDIS_URL, { prefix })
  try {
    rows.push(
      await feedRow(
        'feed: write on store A → onChange on B (Redis)',
        [rA, rB],
        'PUBLISH → subscriber',
        redisPublishLatency,
        n,
      ),
    )
  } finally {
    await Promise.all([rA.close(), rB.close()])
    await dropRedisPrefix(REDIS_URL, prefix)
  }
  return rows
}
