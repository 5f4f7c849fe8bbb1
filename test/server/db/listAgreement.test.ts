import { PGlite } from '@electric-sql/pglite'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  applyQuery,
  normalizeQuery,
  type Item,
  type NormalizedQuery,
} from '../../../src/protocol/index.js'
import { MemoryStore } from '../../../src/server/stores/MemoryStore.js'
import type { Store } from '../../../src/server/stores/Store.js'
import { PostgresStore } from '../../../src/server/stores/postgres/PostgresStore.js'
import { RedisStore } from '../../../src/server/stores/redis/RedisStore.js'
import { PG_URL, REDIS_URL, deleteKeys, dropSchema, pgUp, redisUp, uniqueName } from './services.js'

// Values chosen to sit on every edge of the shared order: type ranks, '5' vs 5, 'true' vs true,
// numbers needing exact comparison, code point order across the BMP / private use / astral planes.
const scalar = fc.constantFrom<null | boolean | number | string>(
  null,
  true,
  false,
  0,
  1,
  -1,
  2.5,
  10,
  0.1,
  1e21,
  -1e-7,
  '',
  'a',
  'b',
  'B',
  'Z',
  'ab',
  '10',
  '1',
  'true',
  'é',
  '\ue000',
  '\uffff',
  '😀',
  '😀a',
)
const value = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 2 }) },
  { weight: 1, arbitrary: fc.record({ x: scalar }) },
)
const fields = fc.record(
  { a: value, b: value, n: fc.oneof(fc.record({ x: scalar }, { requiredKeys: [] }), scalar) },
  { requiredKeys: [] },
)
const ids = fc.uniqueArray(
  fc.constantFrom('a', 'b', 'c', 'A', 'Z', '0', '9', '_x', 'a.b', 'a:b', '-', 'ab', 'b-1', 'zz'),
  { minLength: 0, maxLength: 12 },
)
const path = fc.constantFrom('a', 'b', 'n.x', 'n', 'id', '_version')
const rangeOperand = fc.oneof(
  fc.constantFrom(0, 1, 2.5, 10, -1),
  fc.constantFrom('', 'a', 'b', 'é', '😀', '1'),
)
const condition = fc.oneof(
  scalar,
  fc
    .record(
      {
        $eq: scalar,
        $ne: scalar,
        $in: fc.array(scalar, { maxLength: 4 }),
        $nin: fc.array(scalar, { maxLength: 4 }),
        $gt: rangeOperand,
        $gte: rangeOperand,
        $lt: rangeOperand,
        $lte: rangeOperand,
      },
      { requiredKeys: [] },
    )
    .filter((o) => Object.keys(o).length > 0),
)
const listQuery = fc.record({
  page: fc.integer({ min: 1, max: 3 }),
  pageSize: fc.integer({ min: 1, max: 8 }),
  sort: fc.array(
    fc.record({ field: path, dir: fc.constantFrom('asc' as const, 'desc' as const) }),
    {
      maxLength: 3,
    },
  ),
  filters: fc.dictionary(path, condition, { maxKeys: 2 }),
})

function normalized(q: unknown): NormalizedQuery {
  const n = normalizeQuery(q)
  if (!n.ok) throw new Error(n.message)
  return n.value
}

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
