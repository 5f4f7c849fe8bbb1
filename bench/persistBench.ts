/**
 * livecrud/persist in Node with fake-indexeddb:
 * - warm start: a page opens on a cached 10,000-item collection with the server unreachable; time from
 *   `createClient` to the first live-list snapshot showing the cached items, against `JSON.parse` of
 *   the same items (the least any cache must do to hand them over), interleaved;
 * - durable write: time from `postItem` to the optimistic value being announced to the store's
 *   listeners, with the outbox in IndexedDB first, against the same write without persistence.
 * fake-indexeddb is a JavaScript IndexedDB: a browser's own is native, so absolute times differ there.
 */
import { IDBFactory } from 'fake-indexeddb'
import { createClient } from '../src/index.js'
import type { Item, LivecrudClient } from '../src/index.js'
import { indexedDBPersistence } from '../src/persist/index.js'
import { openDb, run } from '../src/persist/idb.js'
import { median, quantile, type BenchRow, type BenchSuite } from './lib.js'

/** Nothing listens here: the clients stay offline (their writes queue, their lists show the cache). */
const OFFLINE_URL = 'http://127.0.0.1:9'
const ITEMS = 10_000

function makeItems(n: number): Item[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `t${String(i).padStart(5, '0')}`,
    _version: 1 + (i % 7),
    title: `Task number ${i}`,
    done: i % 3 === 0,
    rank: (i * 7919) % n,
    tags: ['a', 'b'].slice(0, i % 3),
  }))
}

/** A database holding one cached collection, as the persistence writes it. */
async function seededDatabase(json: string, n: number): Promise<IDBFactory> {
  const factory = new IDBFactory()
  const db = await openDb(factory, 'livecrud:bench', () => {})
  await run(db, ['meta', 'cache'], 'readwrite', (tx) => {
    tx.objectStore('meta').put('bench-client', 'clientId')
    tx.objectStore('cache').put({ c: 'todos', seq: 42, n, at: Date.now(), items: json }, 'todos')
  })
  db.close()
  return factory
}

function client(factory?: IDBFactory): LivecrudClient {
  return createClient({
    url: OFFLINE_URL,
    maxQueue: 1e9,
    ...(factory
      ? { persistence: indexedDBPersistence({ name: 'bench', indexedDB: factory }) }
      : {}),
  })
}

/** createClient → first live-list snapshot with the cached page (ms). */
async function warmStart(factory: IDBFactory): Promise<number> {
  const t0 = performance.now()
  const c = client(factory)
  const q = c.collection('todos').query({ sort: 'rank', pageSize: 50 })
  await new Promise<void>((resolve) => {
    const check = () => {
      if (q.getSnapshot().ids.length === 50) {
        off()
        resolve()
      }
    }
    const off = q.subscribe(check)
    check()
  })
  const ms = performance.now() - t0
  c.close()
  return ms
}

/** postItem → the store's listeners hear the optimistic item (ms). */
function optimisticWrite(c: LivecrudClient, i: number): Promise<number> {
  const todos = c.collection('writes')
  const id = `w${i}`
  const t0 = performance.now()
  return new Promise((resolve) => {
    const off = todos.subscribe(() => {
      if (todos.peek(id) === undefined) return
      off()
      resolve(performance.now() - t0)
    })
    void todos.postItem({ id, title: `write ${i}`, n: i }).catch(() => {})
  })
}

export const persistBench: BenchSuite = {
  name: 'persist',
  async run({ quick }) {
    const rows: BenchRow[] = []

    const items = makeItems(ITEMS)
    const json = JSON.stringify(items)
    const factory = await seededDatabase(json, ITEMS)
    const rounds = quick ? 5 : 20
    const warm: number[] = []
    const parse: number[] = []
    await warmStart(factory) // warm-up
    for (let r = 0; r < rounds; r++) {
      // Interleaved: the baseline and the measured thing alternate which goes first.
      const order = r % 2 === 0 ? ['parse', 'warm'] : ['warm', 'parse']
      for (const which of order) {
        if (which === 'parse') {
          const t0 = performance.now()
          const parsed = JSON.parse(json) as Item[]
          parse.push(performance.now() - t0)
          if (parsed.length !== ITEMS) throw new Error('parse')
        } else {
          warm.push(await warmStart(factory))
        }
      }
    }
    const warmMedian = median(warm)
    const parseMedian = median(parse)
    rows.push({
      name: `persist: warm start, ${ITEMS / 1000}k cached items → first live-list snapshot`,
      value: warmMedian,
      unit: 'ms',
      baseline: { name: 'JSON.parse of the same items', value: parseMedian },
      target: '≤ 2× the baseline',
      met: warmMedian <= 2 * parseMedian,
      extra: { p95: quantile(warm, 0.95), rounds, 'JSON MB': json.length / 1e6 },
    })

    const writes = quick ? 100 : 500
    const memoryClient = client()
    const durableClient = client(new IDBFactory())
    await optimisticWrite(durableClient, -1)
    await optimisticWrite(memoryClient, -1)
    const memory: number[] = []
    const durable: number[] = []
    for (let i = 0; i < writes; i++) {
      if (i % 2 === 0) {
        memory.push(await optimisticWrite(memoryClient, i))
        durable.push(await optimisticWrite(durableClient, i))
      } else {
        durable.push(await optimisticWrite(durableClient, i))
        memory.push(await optimisticWrite(memoryClient, i))
      }
    }
    memoryClient.close()
    durableClient.close()
    rows.push({
      name: 'persist: optimistic write with a durable outbox (fake-indexeddb) → announced',
      value: median(durable) * 1000,
      unit: 'µs',
      baseline: { name: 'the same write, no persistence', value: median(memory) * 1000 },
      extra: { 'p95 µs': quantile(durable, 0.95) * 1000, writes },
    })
    return rows
  },
}
