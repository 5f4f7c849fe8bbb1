import { PGlite } from '@electric-sql/pglite'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyQuery, type Item } from '../../../src/protocol/index.js'
import { MemoryStore } from '../../../src/server/stores/MemoryStore.js'
import type { Store } from '../../../src/server/stores/Store.js'
import { PostgresStore } from '../../../src/server/stores/postgres/PostgresStore.js'
import { RedisStore } from '../../../src/server/stores/redis/RedisStore.js'
import { PG_URL, REDIS_URL, deleteKeys, dropSchema, pgUp, redisUp, uniqueName } from './services.js'
import { fields, ids, listQuery, normalized } from './queryArbitraries.js'

const schema = uniqueName('agree')
const prefix = `${uniqueName('agree')}:`
const stores: [string, Store][] = []
let pglite: PGlite

beforeAll(async () => {
  pglite = await PGlite.create()
  stores.push(['memory', new MemoryStore()])
  stores.push(['pglite', await PostgresStore.pglite(pglite, { schema: 'agree', pollMs: 0 })])
  if (pgUp)
    stores.push(['postgres', await PostgresStore.connect(PG_URL, { schema, pollMs: 0, max: 2 })])
  if (redisUp) stores.push(['redis', await RedisStore.connect(REDIS_URL, { prefix, pollMs: 0 })])
}, 60_000)

afterAll(async () => {
  await Promise.all(stores.map(([, s]) => s.close()))
  await pglite.close()
  if (pgUp) await dropSchema(schema)
  if (redisUp) await deleteKeys(prefix)
})

let run = 0
describe('LIST agrees with applyQuery on every store', () => {
  it('random items, random normalized queries', { timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        ids.chain((list) =>
          fc.tuple(
            fc.constant(list),
            fc.array(fields, { minLength: list.length, maxLength: list.length }),
          ),
        ),
        fc.array(listQuery, { minLength: 1, maxLength: 6 }),
        async ([idList, data], queries) => {
          const collection = `r${++run}`
          const items: Item[] = idList.map(
            (id, i) => JSON.parse(JSON.stringify({ ...data[i], id, _version: 1 })) as Item,
          )
          await Promise.all(
            stores.map(async ([, store]) => {
              for (const item of items)
                await store.write({
                  collection,
                  id: item.id,
                  mutationId: `w-${item.id}`,
                  decide: () => ({ action: 'put', item: { ...item } }),
                })
            }),
          )
          for (const raw of queries) {
            const q = normalized(raw)
            const expected = applyQuery(items, q)
            for (const [name, store] of stores) {
              const got = await store.list(collection, q)
              expect({ name, query: raw, items: got.items, total: got.total }).toEqual({
                name,
                query: raw,
                ...expected,
              })
            }
          }
        },
      ),
      { numRuns: 60 },
    )
  })
})
