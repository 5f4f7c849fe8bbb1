import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PostgresStore } from '../../../../src/server/stores/postgres/PostgresStore.js'
import { BACKENDS, mid, openBackend, put, type Backend } from './tableHarness.js'

const ROW_A = '6f1c3a9e-0b7d-4c3e-9a55-2b8f0d1e7a01'
const ROW_B = '6f1c3a9e-0b7d-4c3e-9a55-2b8f0d1e7a02'

/** Column → [SQL literal, the JSON livecrud reads it as]. */
const VALUES: Record<string, [string, unknown]> = {
  t: [`'😀 é ' || chr(1) || ' end'`, '😀 é \u0001 end'],
  vc: [`'abc'`, 'abc'],
  ch: [`'ab'`, 'ab '],
  u: [`'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'`, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  i2: ['-32768', -32768],
  i4: ['2147483647', 2147483647],
  i8: ['9007199254740993', '9007199254740993'],
  i8s: ['9007199254740991', 9007199254740991],
  i8n: ['-9223372036854775808', '-9223372036854775808'],
  num: [`'123456789012345678901234567890.000000001'`, '123456789012345678901234567890.000000001'],
  num2: ['1.5', '1.50'],
  numnan: [`'NaN'`, 'NaN'],
  b: ['true', true],
  r: ['0.1', 0.1],
  rinf: [`'Infinity'`, 'Infinity'],
  d: ['0.1::float8 + 0.2::float8', 0.30000000000000004],
  dtiny: ['5e-324', 5e-324],
  dt: [`'2024-02-29'`, '2024-02-29'],
  dtinf: [`'infinity'`, 'infinity'],
  ts: [`'2024-01-02 03:04:05.123456'`, '2024-01-02T03:04:05.123456'],
  tstz: [`'2024-01-02 03:04:05.5+05:30'`, '2024-01-01T21:34:05.5Z'],
  j: [`'{"b": 1, "a": [1, 2.5]}'`, { a: [1, 2.5], b: 1 }],
  // Numbers inside json/jsonb are JavaScript numbers: exact up to double precision, scale not kept.
  jb: [`'{"x": {"y": null}, "n": 1.5e300}'`, { x: { y: null }, n: 1.5e300 }],
  mood: [`'happy'`, 'happy'],
  at: [`'{"a","b,c",NULL,"\\"q\\""}'`, ['a', 'b,c', null, '"q"']],
  ai: [`'{1,2,3}'`, [1, 2, 3]],
  ai8: [`'{1,9007199254740993}'`, [1, '9007199254740993']],
  anum: [`'{1.10,NaN}'`, ['1.10', 'NaN']],
  atstz: [`'{"2024-01-01 00:00+01"}'`, ['2023-12-31T23:00:00Z']],
  ab: [`'{true,false}'`, [true, false]],
  ajb: [`ARRAY['{"a": 1}'::jsonb, '"s"'::jsonb]`, [{ a: 1 }, 's']],
  ad: [`'{}'`, []],
}

describe.each(BACKENDS)('JSON ⇄ SQL types of a mapped table on %s', { timeout: 60_000 }, (name) => {
  let b: Backend
  let store: PostgresStore
  let kinds: string

  beforeAll(async () => {
    b = await openBackend(name, 'types')
    kinds = `"${b.app}".kinds`
    await b.sql(`CREATE TYPE "${b.app}".mood AS ENUM ('sad', 'ok', 'happy')`)
    await b.sql(`CREATE TABLE ${kinds} (
      id uuid PRIMARY KEY,
      t text, vc varchar(5), ch char(3), u uuid, i2 smallint, i4 integer, i8 bigint, i8s bigint, i8n bigint,
      num numeric, num2 numeric(10, 2), numnan numeric, b boolean, r real, rinf real, d double precision,
      dtiny double precision, dt date, dtinf date, ts timestamp, tstz timestamptz, j json, jb jsonb,
      mood "${b.app}".mood, "at" text[], ai int[], ai8 bigint[], anum numeric[], atstz timestamptz[],
      ab boolean[], ajb jsonb[], ad double precision[])`)
    // The writer's TimeZone must not show in the items.
    await b.tx(async (q) => {
      await q.query(`SET LOCAL TimeZone = 'America/New_York'`)
      await q.query(
        `INSERT INTO ${kinds} (id, ${Object.keys(VALUES)
          .map((c) => `"${c}"`)
          .join(', ')})
         VALUES ('${ROW_A}', ${Object.values(VALUES)
           .map(([sql]) => sql)
           .join(', ')})`,
      )
      await q.query(`INSERT INTO ${kinds} (id) VALUES ('${ROW_B}')`)
    })
    store = await b.openStore({ tables: { kinds: { table: `${b.app}.kinds` } } })
  })

  afterAll(async () => {
    await store?.close()
    await b?.close()
  })

  // json keeps its text (spacing, key order); livecrud reads it as a value: compared as jsonb.
  const rowText = async (id: string) =>
    (
      await b.sql(
        `SELECT ROW(${['id', ...Object.keys(VALUES)]
          .filter((c) => c !== 'j')
          .map((c) => `k."${c}"`)
          .join(', ')})::text || ' ' || COALESCE(k.j::jsonb::text, '-') AS row
         FROM ${kinds} k WHERE id = $1`,
        [id],
      )
    )[0]!.row as string

  it('reads every type as its documented JSON, NULL as null', async () => {
    const item = await store.get('kinds', ROW_A)
    const expected = Object.fromEntries(Object.entries(VALUES).map(([c, [, json]]) => [c, json]))
    expect(item).toEqual({ id: ROW_A, _version: 1, ...expected })
    const empty = await store.get('kinds', ROW_B)
    expect(empty).toEqual({
      id: ROW_B,
      _version: 1,
      ...Object.fromEntries(Object.keys(VALUES).map((c) => [c, null])),
    })
    // The change feed's images use the same conversion.
    const log = await store.changesSince('kinds', 0)
    expect(log.tooOld).toBe(false)
  })

  it('writes the JSON back to the same column values, without loss', async () => {
    for (const id of [ROW_A, ROW_B]) {
      const before = await rowText(id)
      const item = (await store.get('kinds', id))!
      const { id: _id, _version, ...fields } = item
      // Change the row first so the write back is a real UPDATE.
      await store.write({
        collection: 'kinds',
        id,
        mutationId: mid(),
        decide: put({ ...fields, t: 'changed' }),
      })
      expect(await rowText(id)).not.toBe(before)
      await store.write({ collection: 'kinds', id, mutationId: mid(), decide: put(fields) })
      expect(await rowText(id)).toBe(before)
      expect(await store.get('kinds', id)).toEqual({ ...item, _version: 3 })
    }
  })

  it('accepts the documented alternative spellings and refuses the wrong JSON type by field', async () => {
    const id = '6f1c3a9e-0b7d-4c3e-9a55-2b8f0d1e7a03'
    const out = await store.write({
      collection: 'kinds',
      id,
      mutationId: mid(),
      decide: put({
        i8: 42,
        num: 1.25,
        r: 'NaN',
        ai8: ['9223372036854775807', 3],
        tstz: '2024-06-01T12:00:00+02:00',
      }),
    })
    expect(out.item).toMatchObject({
      i8: 42,
      num: '1.25',
      r: 'NaN',
      ai8: ['9223372036854775807', 3],
      tstz: '2024-06-01T10:00:00Z',
    })
    const rows = await b.sql(
      `SELECT i8::text, num::text, r::text, ai8::text FROM ${kinds} WHERE id = $1`,
      [id],
    )
    expect(rows).toEqual([{ i8: '42', num: '1.25', r: 'NaN', ai8: '{9223372036854775807,3}' }])
    const refused = async (fields: Record<string, unknown>) => {
      try {
        await store.write({ collection: 'kinds', id, mutationId: mid(), decide: put(fields) })
        return 'written'
      } catch (err) {
        return `${(err as { code: string }).code}: ${(err as Error).message}`
      }
    }
    expect(await refused({ i4: 1.5 })).toBe('BAD_REQUEST: field i4 must be an integer (got number)')
    expect(await refused({ i8: 2 ** 60 })).toBe(
      'BAD_REQUEST: field i8 must be a safe integer, or a string of digits above 2^53 (got number)',
    )
    expect(await refused({ b: 'true' })).toBe('BAD_REQUEST: field b must be a boolean (got string)')
    expect(await refused({ ai: [1, 'x'] })).toBe(
      'BAD_REQUEST: field ai[1] must be an integer (got string)',
    )
    expect(await refused({ at: 'a' })).toBe('BAD_REQUEST: field at must be an array (got string)')
    expect(await refused({ u: 'not-a-uuid' })).toMatch(
      /^BAD_REQUEST: the item cannot be stored: invalid input syntax for type uuid/,
    )
    expect(await refused({ mood: 'angry' })).toMatch(
      /^BAD_REQUEST: the item cannot be stored: invalid input value for enum/,
    )
    expect(await refused({ vc: 'toolong' })).toMatch(
      /^BAD_REQUEST: the item cannot be stored: value too long/,
    )
    expect(await refused({ dt: 'not a date' })).toMatch(/^BAD_REQUEST: the item cannot be stored/)
    // Ids the key cannot hold name no row, and cannot be written.
    expect(await store.get('kinds', 'nope')).toBeNull()
    expect(await refused({ id: 'x' })).toBe('written')
    await expect(
      store.write({ collection: 'kinds', id: 'nope', mutationId: mid(), decide: put({}) }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^id nope cannot be a key/),
    })
  })
})
