import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  applyQuery,
  compareStrings,
  compareValues,
  compileComparator,
  compileFilter,
  getField,
  normalizeQuery,
  queryKey,
  type Item,
} from '../../src/protocol/index.js'

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const item = (id: string, fields: Record<string, unknown> = {}): Item => ({
  id,
  _version: 1,
  ...fields,
})

describe('normalizeQuery', () => {
  it('fills defaults', () => {
    expect(normalizeQuery({})).toEqual({
      ok: true,
      value: { page: 1, pageSize: 50, sort: [], filters: {} },
    })
    expect(normalizeQuery(undefined).ok).toBe(true)
  })

  it('reads sort shorthands', () => {
    const r = normalizeQuery({ sort: ['-priority', 'title', { field: 'a.b', dir: 'desc' }] })
    expect(r.ok && r.value.sort).toEqual([
      { field: 'priority', dir: 'desc' },
      { field: 'title', dir: 'asc' },
      { field: 'a.b', dir: 'desc' },
    ])
    const s = normalizeQuery({ sort: '-done' })
    expect(s.ok && s.value.sort).toEqual([{ field: 'done', dir: 'desc' }])
  })

  it.each([
    [{ page: 0 }, 'page'],
    [{ page: 1.5 }, 'page'],
    [{ pageSize: 0 }, 'pageSize'],
    [{ pageSize: 1001 }, 'pageSize'],
    [{ sort: 5 }, 'sort'],
    [{ sort: ['__proto__.x'] }, 'sort field'],
    [{ sort: [{ field: 'a', dir: 'up' }] }, 'dir'],
    [{ filters: [] }, 'filters'],
    [{ filters: { 'a b': 1 } }, 'filter field'],
    [{ filters: { a: { $regex: 'x' } } }, 'unknown operator'],
    [{ filters: { a: { $in: 'x' } } }, '$in'],
    [{ filters: { a: { $gt: true } } }, '$gt'],
    [{ filters: { a: { b: 1 } } }, 'unknown operator'],
    [{ filters: { a: [1, 2] } }, '$in'],
    [{ filters: { a: NaN } }, 'finite'],
    [{ filters: { a: {} } }, 'no operator'],
    ['page=1', 'object'],
  ])('rejects %j', (query, message) => {
    const r = normalizeQuery(query)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.message).toContain(message)
  })

  it('honours a server maximum page size', () => {
    expect(normalizeQuery({ pageSize: 200 }, { maxPageSize: 100 }).ok).toBe(false)
    const r = normalizeQuery({}, { maxPageSize: 10 })
    expect(r.ok && r.value.pageSize).toBe(10)
  })

  it('gives identical queries one key regardless of filter key order', () => {
    const a = normalizeQuery({ filters: { a: 1, b: { $gt: 2, $lt: 5 } } })
    const b = normalizeQuery({ filters: { b: { $lt: 5, $gt: 2 }, a: 1 } })
    expect(a.ok && b.ok && queryKey(a.value) === queryKey(b.value)).toBe(true)
  })
})

describe('filters', () => {
  const match = (filters: Record<string, unknown>, fields: Record<string, unknown>) => {
    const q = normalizeQuery({ filters })
    if (!q.ok) throw new Error(q.message)
    return compileFilter(q.value.filters)(item('x', fields))
  }

  it('compares strictly: "5" is not 5, "true" is not true', () => {
    expect(match({ n: 5 }, { n: 5 })).toBe(true)
    expect(match({ n: '5' }, { n: 5 })).toBe(false)
    expect(match({ n: 5 }, { n: '5' })).toBe(false)
    expect(match({ b: true }, { b: 'true' })).toBe(false)
    expect(match({ b: 1 }, { b: true })).toBe(false)
  })

  it('null matches null and missing, not false or 0', () => {
    expect(match({ a: null }, {})).toBe(true)
    expect(match({ a: null }, { a: null })).toBe(true)
    expect(match({ a: null }, { a: false })).toBe(false)
    expect(match({ a: null }, { a: 0 })).toBe(false)
  })

  it('objects and arrays never equal a scalar', () => {
    expect(match({ tags: 'x' }, { tags: ['x'] })).toBe(false)
    expect(match({ a: 1 }, { a: { valueOf: 1 } })).toBe(false)
  })

  it('supports operators, ranges only within a type', () => {
    expect(match({ n: { $gt: 2, $lte: 5 } }, { n: 5 })).toBe(true)
    expect(match({ n: { $gt: 2 } }, { n: '9' })).toBe(false)
    expect(match({ s: { $gte: 'b' } }, { s: 'c' })).toBe(true)
    expect(match({ s: { $lt: 'b' } }, { s: 1 })).toBe(false)
    expect(match({ s: { $in: ['a', 'b'] } }, { s: 'b' })).toBe(true)
    expect(match({ s: { $nin: ['a', null] } }, {})).toBe(false)
    expect(match({ s: { $ne: 'a' } }, {})).toBe(true)
    expect(match({ s: { $eq: null } }, {})).toBe(true)
  })

  it('reads dotted paths through own properties only', () => {
    expect(match({ 'a.b': 1 }, { a: { b: 1 } })).toBe(true)
    expect(match({ 'a.b': 1 }, { a: [{ b: 1 }] })).toBe(false)
    expect(getField(item('x'), 'constructor')).toBeUndefined()
    expect(getField(item('x', { a: {} }), 'a.toString')).toBeUndefined()
  })
})

describe('order', () => {
  it('ranks types: missing/null < false < true < numbers < strings < objects', () => {
    // Array#sort moves undefined to the end without asking the comparator: test it apart.
    expect(compareValues(undefined, null)).toBe(0)
    expect(compareValues(undefined, false)).toBe(-1)
    const values = [{}, 'a', 3, -1, true, false, null, [1]]
    const sorted = [...values].sort(compareValues)
    const ranks = sorted.map((v) =>
      v == null
        ? 0
        : typeof v === 'boolean'
          ? v
            ? 2
            : 1
          : typeof v === 'number'
            ? 3
            : typeof v === 'string'
              ? 4
              : 5,
    )
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b))
    expect(sorted.slice(1, 5)).toEqual([false, true, -1, 3])
  })

  it('orders strings by code point, like UTF-8 bytes', () => {
    const a = '\uffff'
    const b = '\u{1F600}' // surrogate pair, code point above U+FFFF
    expect(a < b).toBe(false) // UTF-16 code unit order disagrees...
    expect(compareStrings(a, b)).toBe(-1) // ...code point order does not
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (x, y) => {
        const bytes = Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8'))
        // lone surrogates are not representable in UTF-8; only compare well-formed strings
        if (LONE_SURROGATE.test(x) || LONE_SURROGATE.test(y)) return true
        return Math.sign(compareStrings(x, y)) === bytes
      }),
    )
  })

  it('breaks ties on id ascending, even when sorting desc', () => {
    const cmp = compileComparator([{ field: 'p', dir: 'desc' }])
    const items = [item('b', { p: 1 }), item('a', { p: 1 }), item('c', { p: 2 })]
    expect(items.sort(cmp).map((i) => i.id)).toEqual(['c', 'a', 'b'])
  })

  it('sorts desc with nulls last', () => {
    const cmp = compileComparator([{ field: 'p', dir: 'desc' }])
    const items = [item('a'), item('b', { p: 1 }), item('c', { p: null })]
    expect(items.sort(cmp).map((i) => i.id)).toEqual(['b', 'a', 'c'])
  })
})

describe('applyQuery', () => {
  it('filters, sorts and pages with an exact total', () => {
    const items = Array.from({ length: 25 }, (_, i) =>
      item(`i${String(i).padStart(2, '0')}`, { n: i % 5, even: i % 2 === 0 }),
    )
    const q = normalizeQuery({ page: 2, pageSize: 4, sort: ['-n'], filters: { even: true } })
    if (!q.ok) throw new Error(q.message)
    const r = applyQuery(items, q.value)
    expect(r.total).toBe(13)
    expect(r.items.map((i) => i.id)).toEqual(['i18', 'i02', 'i12', 'i22'])
  })

  it('answers an empty page past the end', () => {
    const q = normalizeQuery({ page: 9 })
    if (!q.ok) throw new Error(q.message)
    expect(applyQuery([item('a')], q.value)).toEqual({ items: [], total: 1 })
  })
})
