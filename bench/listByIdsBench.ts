/**
 * A LIST that names its ids (`id: { $in: [...] }`, what the client's resync refetch sends, 100 ids a
 * chunk) over a 10k-item collection, against the same 100 items selected by another field, which no
 * store can narrow and so scans the collection (what every LIST by ids cost before the stores read
 * only the named ids). Memory store and Redis; PostgreSQL narrows through its primary key the same way.
 */
import { normalizeQuery, type NormalizedQuery } from '../src/protocol/index.js'
import { MemoryStore } from '../src/server/stores/MemoryStore.js'
import { RedisStore } from '../src/server/stores/redis/RedisStore.js'
import type { Store } from '../src/server/stores/Store.js'
import { dropRedisPrefix, median, type BenchRow, type BenchSuite } from './lib.js'

const REDIS_URL = process.env.LIVECRUD_REDIS_URL ?? 'redis://127.0.0.1:6379/0'
const IDS = 100

function query(q: unknown): NormalizedQuery {
  const n = normalizeQuery(q)
  if (!n.ok) throw new Error(n.message)
  return n.value
}

async function load(store: Store, size: number): Promise<void> {
  let pending: Promise<unknown>[] = []
  for (let i = 0; i < size; i++) {
    pending.push(
      store.write({
        collection: 'tasks',
        id: `task-${i}`,
        mutationId: `load-${i}`,
        decide: () => ({ action: 'put', item: { n: i, title: `Task number ${i}`, done: false } }),
      }),
    )
    if (pending.length === 200) {
      await Promise.all(pending)
      pending = []
    }
  }
  await Promise.all(pending)
}

/** Both queries in turn, `samples` times each; checks they answer the same items. */
async function measure(
  store: Store,
  size: number,
  samples: number,
): Promise<{ byIds: number[]; scan: number[] }> {
  const picked = Array.from({ length: IDS }, (_, k) => (k * 97) % size)
  const byIds = query({ filters: { id: { $in: picked.map((n) => `task-${n}`) } }, pageSize: IDS })
  const scan = query({ filters: { n: { $in: picked } }, pageSize: IDS })
  const a = await store.list('tasks', byIds)
  const b = await store.list('tasks', scan)
  if (a.total !== IDS || JSON.stringify(a.items) !== JSON.stringify(b.items))
    throw new Error('list-by-ids bench: the two queries disagree')
  const out = { byIds: [] as number[], scan: [] as number[] }
  for (let i = 0; i < samples; i++) {
    for (const [q, into] of [
      [byIds, out.byIds],
      [scan, out.scan],
    ] as const) {
      const t0 = performance.now()
      await store.list('tasks', q)
      into.push(performance.now() - t0)
    }
  }
  return out
}

function row(name: string, size: number, m: { byIds: number[]; scan: number[] }): BenchRow {
  return {
    name: `LIST by ${IDS} ids, ${size.toLocaleString('en')} items, ${name}`,
    value: median(m.byIds),
    unit: 'ms',
    baseline: { name: `the same ${IDS} items by another field (full scan)`, value: median(m.scan) },
    extra: { samples: m.byIds.length },
  }
}

export const listByIdsBench: BenchSuite = {
  name: 'LIST by ids',
  async run({ quick }) {
    const size = quick ? 2_000 : 10_000
    const samples = quick ? 10 : 40
    const rows: BenchRow[] = []
    const memory = new MemoryStore()
    await load(memory, size)
    rows.push(row('memory store', size, await measure(memory, size, samples)))
    await memory.close()
    const prefix = `bench_list_${process.pid}:`
    const redis = await RedisStore.connect(REDIS_URL, { prefix })
    try {
      await load(redis, size)
      rows.push(row('Redis', size, await measure(redis, size, samples)))
    } finally {
      await redis.close()
      await dropRedisPrefix(REDIS_URL, prefix)
    }
    return rows
  },
}
