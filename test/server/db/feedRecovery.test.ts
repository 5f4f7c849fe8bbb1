import pg from 'pg'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { channelName } from '../../../src/server/stores/postgres/postgresSchema.js'
import { PostgresStore } from '../../../src/server/stores/postgres/PostgresStore.js'
import { RedisStore } from '../../../src/server/stores/redis/RedisStore.js'
import type { ChangeRecord, Store } from '../../../src/server/stores/Store.js'
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

const WRITES = 150
const big = 'ü😀'.repeat(2_500) // 15 000 bytes of UTF-8: far past NOTIFY's 8 000-byte payload limit

/**
 * Writes WRITES changes on `writer` and, three times meanwhile, waits until both stores' feed
 * connections are up (`live`) and kills them; then checks both feeds got every change once, in order.
 */
async function writeThroughKills(
  writer: Store,
  observer: Store,
  live: () => Promise<string[]>,
  kill: (ids: string[]) => Promise<void>,
) {
  const seenByObserver: ChangeRecord[] = []
  const seenByWriter: ChangeRecord[] = []
  observer.onChange((c) => seenByObserver.push(c))
  writer.onChange((c) => seenByWriter.push(c))
  let killed = 0
  for (let i = 1; i <= WRITES; i++) {
    if (i % 40 === 0) {
      let ids: string[] = []
      for (let t = 0; t < 100 && ids.length < 2; t++) {
        ids = await live()
        if (ids.length < 2) await new Promise((r) => setTimeout(r, 30))
      }
      await kill(ids)
      killed += ids.length
    }
    await write(writer, 'todos', `t${i % 7}`, put({ i, text: i % 10 === 0 ? big : 'small' }))
  }
  expect(killed).toBe(6)
  const expected = Array.from({ length: WRITES }, (_, i) => i + 1)
  await waitFor(() => seenByObserver.length >= WRITES && seenByWriter.length >= WRITES, 15_000)
  expect(seenByObserver.map((c) => c.seq)).toEqual(expected)
  expect(seenByWriter.map((c) => c.seq)).toEqual(expected)
  expect(seenByObserver[WRITES - 1]?.item?.text).toBe(big)
}

const schema = uniqueName('listen')
const prefix = `${uniqueName('sub')}:`
afterAll(async () => {
  if (pgUp) await dropSchema(schema)
  if (redisUp) await deleteKeys(prefix)
})

describe.runIf(pgUp)('PostgreSQL feed recovery', () => {
  it(
    'pg_terminate_backend on LISTEN while writes continue: every change once, in order',
    { timeout: 30_000 },
    async () => {
      // pollMs 0: recovery must come from reconnect + catch-up, not from the safety-net poll.
      const writer = await PostgresStore.connect(PG_URL, { schema, pollMs: 0, max: 2 })
      const observer = await PostgresStore.connect(PG_URL, { schema, pollMs: 0, max: 2 })
      const admin = new pg.Client({ connectionString: PG_URL })
      await admin.connect()
      const listeners = `SELECT pid FROM pg_stat_activity WHERE query = $1 AND pid <> pg_backend_pid()`
      const listen = `LISTEN "${channelName(schema)}"`
      try {
        await writeThroughKills(
          writer,
          observer,
          async () => (await admin.query(listeners, [listen])).rows.map((r) => String(r.pid)),
          async (pids) => {
            for (const pid of pids)
              await admin.query('SELECT pg_terminate_backend($1)', [Number(pid)])
          },
        )
      } finally {
        await admin.end()
        await Promise.all([writer.close(), observer.close()])
      }
    },
  )
})

describe.runIf(redisUp)('Redis feed recovery', () => {
  it(
    'CLIENT KILL on the subscriber while writes continue: every change once, in order',
    { timeout: 30_000 },
    async () => {
      const writer = await RedisStore.connect(REDIS_URL, { prefix, pollMs: 0 })
      const observer = await RedisStore.connect(REDIS_URL, { prefix, pollMs: 0 })
      const admin = new Redis(REDIS_URL)
      try {
        await writeThroughKills(
          writer,
          observer,
          async () => {
            const list = String(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub'))
            return list
              .split('\n')
              .filter((line) => line.includes(`name=livecrud-sub:${prefix} `))
              .map((line) => /\bid=(\d+)/.exec(line)?.[1] ?? '')
              .filter(Boolean)
          },
          async (ids) => {
            for (const id of ids) await admin.call('CLIENT', 'KILL', 'ID', id)
          },
        )
      } finally {
        admin.disconnect()
        await Promise.all([writer.close(), observer.close()])
      }
    },
  )
})
