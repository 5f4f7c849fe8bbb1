import pg from 'pg'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { PostgresStore, RedisStore, type ChangeRecord, type Store } from 'livecrud/server'
import { put, write } from './storeConformance.js'
import {
  PG_URL,
  REDIS_URL,
  deleteKeys,
  dropSchema,
  pgUp,
  redisUp,
  uniqueName,
  waitFor,
} from './services.js'

const schema = uniqueName('ownpool')
const prefix = `${uniqueName('ownredis')}:`
afterAll(async () => {
  if (pgUp) await dropSchema(schema)
  if (redisUp) await deleteKeys(prefix)
})

/**
 * `store` (on the application's client) writes, and hears both its own write and one made by `other`
 * (which reaches it only through its own feed), in seq order.
 */
async function writesAndHears(store: Store, other: Store): Promise<void> {
  const seen: ChangeRecord[] = []
  store.onChange((c) => seen.push(c))
  await write(other, 'todos', 'a', put({ n: 1 }))
  await write(store, 'todos', 'b', put({ n: 2 }))
  await waitFor(() => seen.length === 2, 5_000)
  expect(seen.map((c) => [c.seq, c.id])).toEqual([
    [1, 'a'],
    [2, 'b'],
  ])
  expect((await store.get('todos', 'a'))?.n).toBe(1)
}

describe.runIf(pgUp)('PostgresStore on a pool the application owns', () => {
  it('writes through the pool, feeds other stores, and leaves the pool open on close', async () => {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 })
    const other = await PostgresStore.connect(PG_URL, { schema, max: 1 })
    try {
      const store = await PostgresStore.fromPool(pool, { schema })
      await writesAndHears(store, other)
      await store.close()
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".changes`)
      expect(rows[0].n).toBe(2)
    } finally {
      await other.close()
      await pool.end()
    }
  })
})

describe.runIf(redisUp)('RedisStore on an ioredis client the application owns', () => {
  it('writes through the client, feeds other stores, and leaves the client open on close', async () => {
    const redis = new Redis(REDIS_URL)
    const other = await RedisStore.connect(REDIS_URL, { prefix })
    try {
      const store = await RedisStore.fromClient(redis, { prefix })
      await writesAndHears(store, other)
      await store.close()
      expect(await redis.ping()).toBe('PONG')
      // A second store on the same client (the write script is defined once).
      const again = await RedisStore.fromClient(redis, { prefix })
      await write(again, 'todos', 'c', put({ n: 3 }))
      expect((await other.get('todos', 'c'))?.n).toBe(3)
      await again.close()
    } finally {
      await other.close()
      await redis.quit()
    }
  })

  it('refuses a client with an ioredis keyPrefix', async () => {
    const redis = new Redis(REDIS_URL, { keyPrefix: 'x:' })
    try {
      await expect(RedisStore.fromClient(redis, { prefix })).rejects.toThrow(/keyPrefix/)
    } finally {
      await redis.quit()
    }
  })
})
