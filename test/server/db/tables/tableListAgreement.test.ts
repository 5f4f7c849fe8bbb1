import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyQuery, type Item } from '../../../../src/protocol/index.js'
import type { PostgresStore } from '../../../../src/server/stores/postgres/PostgresStore.js'
import { fields, ids, listQuery, listQueryOver, normalized } from '../queryArbitraries.js'
import { BACKENDS, mid, openBackend, put, type Backend } from './tableHarness.js'

/** Typed column values, each on an edge of the query order or of its codec. */
const typed = fc.record(
  {
    i: fc.constantFrom(null, -3, 0, 1, 2, 3, 10),
    t: fc.constantFrom(null, '', 'a', 'B', '10', '9', 'é', '\ue000', '😀', 'true'),
    f: fc.constantFrom(null, 0, 1, -1, 2.5, 0.1, 1e21, 'NaN', 'Infinity'),
    b: fc.constantFrom(null, true, false),
    big: fc.constantFrom(
      null,
      5,
      0,
      -1,
      '9007199254740993',
      '-9007199254740993',
      '9223372036854775807',
    ),
    num: fc.constantFrom(null, '1.50', '10', '9', '-1', '1.5', 'NaN'),
    ts: fc.constantFrom(null, '2024-01-01T00:00:00Z', '2023-12-31T23:59:59.5Z', 'infinity'),
    tags: fc.constantFrom(null, [], ['a'], ['a', null], ['b', 'a']),
    doc: fc.constantFrom(null, { x: 1 }, { x: 'a' }, { x: null }, [1], 'str', 2),
  },
  { requiredKeys: [] },
)
const operand = fc.constantFrom<null | boolean | number | string>(
  null,
  true,
  false,
  0,
  1,
  2,
  -3,
  2.5,
  10,
  1e21,
  5,
  '',
  'a',
  'B',
  '10',
  '9',
  '1.50',
  '1.5',
  'NaN',
  'true',
  '😀',
  '9007199254740993',
  '2024-01-01T00:00:00Z',
  '1',
  '01',
)
const range = fc.constantFrom<number | string>(
  0,
  1,
  2.5,
  -3,
  1e20,
  9007199254740992,
  'a',
  '1',
  '2024',
  'é',
)
// Columns with index-usable predicates (i, t, b, big, id) come twice: they are where the column
// predicates must never be narrower than the JSON semantics.
const typedQuery = listQueryOver(
  [
    'i',
    'i',
    't',
    't',
    'f',
    'b',
    'b',
    'big',
    'big',
    'num',
    'ts',
    'tags',
    'doc',
    'doc.x',
    'id',
    '_version',
  ],
  operand,
  range,
  { maxPage: 2, maxPageSize: 12 },
)

/**
 * The LIST conformance property on table-backed collections: whatever a table holds, a LIST over
 * its columns (filters written on the columns, sort, paging) answers exactly what `applyQuery`
 * computes over the items GET returns.
 */
describe.each(BACKENDS)(
  'LIST on a mapped table agrees with applyQuery on %s',
  { timeout: 120_000 },
  (name) => {
    let b: Backend
    let store: PostgresStore

    beforeAll(async () => {
      b = await openBackend(name, 'agree')
      await b.sql(`CREATE TABLE "${b.app}".docs (id text PRIMARY KEY, a jsonb, b jsonb, n jsonb)`)
      await b.sql(`CREATE TABLE "${b.app}".typed (id integer PRIMARY KEY, i int, t text, f float8,
      b boolean, big bigint, num numeric, ts timestamptz, tags text[], doc jsonb)`)
      await b.sql(`CREATE INDEX ON "${b.app}".typed (i)`)
      store = await b.openStore({
        tables: { docs: { table: `${b.app}.docs` }, typed: { table: `${b.app}.typed` } },
      })
    })

    afterAll(async () => {
      await store?.close()
      await b?.close()
    })

    async function load(
      collection: string,
      rows: [string, Record<string, unknown>][],
    ): Promise<Item[]> {
      await b.sql(`DELETE FROM "${b.app}".${collection}`)
      for (const [id, data] of rows)
        await store.write({ collection, id, mutationId: mid(), decide: put(data) })
      const items: Item[] = []
      for (const [id] of rows) items.push((await store.get(collection, id))!)
      return items
    }

    async function agrees(collection: string, items: Item[], queries: unknown[]): Promise<void> {
      for (const raw of queries) {
        const q = normalized(raw)
        const got = await store.list(collection, q)
        if (process.env.DBG && JSON.stringify(raw).includes('"i":{"$gte'))
          console.log(
            'DBG',
            JSON.stringify(raw),
            got.total,
            applyQuery(items, q).total,
            items.map((x) => x.i).join(),
          )
        expect({ query: raw, items: got.items, total: got.total }).toEqual({
          query: raw,
          ...applyQuery(items, q),
        })
      }
    }

    it('jsonb columns holding any JSON', async () => {
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
            const items = await load(
              'docs',
              idList.map((id, i) => [id, JSON.parse(JSON.stringify(data[i]))]),
            )
            await agrees('docs', items, queries)
          },
        ),
        { numRuns: 40 },
      )
    })

    it('typed columns: integers, text, floats, booleans, bigints, numerics, timestamps, arrays, jsonb', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(typed, { maxLength: 12 }),
          fc.array(typedQuery, { minLength: 1, maxLength: 12 }),
          async (rows, queries) => {
            const items = await load(
              'typed',
              rows.map((r, i) => [String(i + 1), r]),
            )
            await agrees('typed', items, queries)
            // Ids: the key's canonical text only ('01' and 'x' name no row).
            await agrees('typed', items, [
              { filters: { id: { $in: ['1', '01', 'x', '3'] } } },
              { filters: { id: '2' } },
            ])
          },
        ),
        { numRuns: 40 },
      )
    })

    it('every single condition on every column, over a fixed table (the column predicates are exact)', async () => {
      const rows = fc.sample(typed, { numRuns: 30, seed: 16 })
      const items = await load(
        'typed',
        rows.map((r, i) => [String(i + 1), r]),
      )
      const operands = [
        null,
        true,
        false,
        0,
        1,
        2,
        -3,
        2.5,
        10,
        1e21,
        5,
        '',
        'a',
        '10',
        '9',
        '1.50',
        'NaN',
        '😀',
        '9007199254740993',
        '-9007199254740993',
        '1',
        '01',
      ]
      const ranges = [
        0,
        1,
        2,
        2.5,
        -3,
        1e20,
        9007199254740992,
        'a',
        '1',
        '10',
        '9007199254740993',
        'é',
      ]
      const queries: unknown[] = []
      for (const field of ['i', 't', 'b', 'big', 'f', 'num', 'id']) {
        for (const o of operands) {
          queries.push({ filters: { [field]: o }, pageSize: 50 })
          queries.push({ filters: { [field]: { $ne: o } }, pageSize: 50 })
          queries.push({ filters: { [field]: { $in: [o, 3] } }, pageSize: 50 })
          queries.push({ filters: { [field]: { $nin: [o] } }, pageSize: 50 })
        }
        for (const r of ranges)
          for (const op of ['$gt', '$gte', '$lt', '$lte'])
            queries.push({ filters: { [field]: { [op]: r } }, pageSize: 50 })
      }
      await agrees('typed', items, queries)
    })

    it('equality, $in and integer ranges on indexed columns and on the key are answered through the indexes', async () => {
      const table = store.tables.get('typed')!
      const plans: string[] = []
      for (const filters of [
        { i: 3 },
        { i: { $in: [1, 2] } },
        { i: { $gt: 2.5 } },
        { id: { $in: ['1', '2'] } },
      ]) {
        const q = table.listSql(normalized({ filters, sort: 'f' }))
        await b.tx(async (tx) => {
          // Only possible if the predicate is written on the column itself.
          await tx.query('SET LOCAL enable_seqscan = off')
          const rows = await tx.query(`EXPLAIN ${q.text}`, q.values)
          plans.push(rows.map((r) => r['QUERY PLAN']).join('\n'))
        })
      }
      expect(
        plans.map((p) =>
          /Index (Only )?Scan using typed_i_idx|Bitmap Index Scan on typed_i_idx/.test(p),
        ),
      ).toEqual([true, true, true, false])
      expect(plans[3]).toMatch(/Index Scan using typed_pkey|Bitmap Index Scan on typed_pkey/)
    })
  },
)
