import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileViewComparator, PageWindow } from '../../../src/client/liveList/index.js'
import {
  applyQuery,
  compileFilter,
  type Item,
  type NormalizedQuery,
} from '../../../src/protocol/index.js'

const IDS = 'abcdefghijkl'.split('')
const query = (page: number, pageSize: number): NormalizedQuery => ({
  page,
  pageSize,
  sort: [{ field: 's', dir: 'asc' }],
  filters: { g: { $ne: 'out' } },
})
const item = (id: string, s: number | null, g = 'in'): Item => ({ id, _version: 1, s, g })

function windowFor(q: NormalizedQuery, items: Map<string, Item>): PageWindow {
  const w = new PageWindow(
    q.page,
    q.pageSize,
    compileViewComparator(q.sort),
    compileFilter(q.filters),
  )
  const { items: page, total } = applyQuery(items.values(), q)
  w.reset(page, (q.page - 1) * q.pageSize, total)
  return w
}

function ids(values: Item[]): string[] {
  return values.map((v) => v.id)
}

describe('PageWindow', () => {
  it('shows only what is provably right, and all of the page whenever it says it is exact', () => {
    const step = fc.record({
      id: fc.constantFrom(...IDS),
      s: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
      g: fc.constantFrom('in', 'in', 'out'),
    })
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(step, { maxLength: 8 }),
        fc.array(step, { maxLength: 30 }),
        (page, pageSize, initial, steps) => {
          const q = query(page, pageSize)
          const items = new Map<string, Item>()
          for (const s of initial) if (s.s !== undefined) items.set(s.id, item(s.id, s.s, s.g))
          const w = windowFor(q, items)
          for (const s of steps) {
            const before = items.get(s.id)
            const after = s.s === undefined ? undefined : item(s.id, s.s, s.g)
            if (after) items.set(s.id, after)
            else items.delete(s.id)
            w.apply(s.id, before, after)
            const all = applyQuery(items.values(), { ...q, page: 1, pageSize: 1000 })
            expect(w.total).toBe(all.total)
            const truth = applyQuery(items.values(), q).items
            const shown = w.pageValues()
            if (w.isExact()) expect(ids(shown)).toEqual(ids(truth))
            if (w.anchored) {
              // The run is an exact segment of the whole result at its known position.
              expect(ids(w.run.vals)).toEqual(
                ids(all.items.slice(w.runStart, w.runStart + w.run.length)),
              )
            }
            // Whatever is shown appears in the true page, in the same order.
            const pos = shown.map((v) => truth.findIndex((t) => t.id === v.id))
            expect(pos.every((p) => p >= 0)).toBe(true)
            expect([...pos].sort((a, b) => a - b)).toEqual(pos)
          }
        },
      ),
      { numRuns: 1000 },
    )
  })

  it('ties in the sort key order by id', () => {
    const items = new Map(['c', 'a', 'b'].map((id) => [id, item(id, 1)]))
    const w = windowFor(query(1, 10), items)
    expect(ids(w.pageValues())).toEqual(['a', 'b', 'c'])
    w.apply('aa', undefined, item('aa', 1))
    expect(ids(w.pageValues())).toEqual(['a', 'aa', 'b', 'c'])
  })

  it('first pages stay exact when items are inserted anywhere', () => {
    const items = new Map([1, 2, 3, 4, 5].map((n) => [`i${n}`, item(`i${n}`, n * 10)]))
    const w = windowFor(query(1, 3), items)
    w.apply('x', undefined, item('x', 5))
    expect(ids(w.pageValues())).toEqual(['x', 'i1', 'i2'])
    expect(w.isExact()).toBe(true)
    w.apply('y', undefined, item('y', 100))
    expect(w.isExact()).toBe(true)
    expect(w.total).toBe(7)
  })

  it('an insertion before page 3 shifts its edge: the page is refetched, never guessed', () => {
    const items = new Map([...Array(9).keys()].map((n) => [`i${n}`, item(`i${n}`, n * 10)]))
    const w = windowFor(query(3, 3), items)
    expect(ids(w.pageValues())).toEqual(['i6', 'i7', 'i8'])
    w.apply('x', undefined, item('x', 1))
    expect(w.isExact()).toBe(false)
    // i5 (page 2's last) now leads page 3: unknown here, so only the provably right part shows.
    expect(ids(w.pageValues())).toEqual(['i6', 'i7'])
    expect(w.total).toBe(10)
  })

  it('an item moving across the page edge leaves a gap that a refetch fills', () => {
    const items = new Map([...Array(6).keys()].map((n) => [`i${n}`, item(`i${n}`, n * 10)]))
    const w = windowFor(query(1, 3), items)
    w.apply('i1', items.get('i1'), item('i1', 45))
    expect(ids(w.pageValues())).toEqual(['i0', 'i2'])
    expect(w.isExact()).toBe(false)
    w.apply('i1', item('i1', 45), item('i1', 15))
    expect(ids(w.pageValues())).toEqual(['i0', 'i1', 'i2'])
    expect(w.isExact()).toBe(true)
  })

  it('a filter field change removes the item and keeps total exact', () => {
    const items = new Map([1, 2].map((n) => [`i${n}`, item(`i${n}`, n)]))
    const w = windowFor(query(1, 10), items)
    w.apply('i1', items.get('i1'), item('i1', 1, 'out'))
    expect(ids(w.pageValues())).toEqual(['i2'])
    expect(w.total).toBe(1)
    expect(w.isExact()).toBe(true)
  })

  it('deleting the last item of the last page leaves an empty, exact page and the right total', () => {
    const items = new Map([1, 2, 3].map((n) => [`i${n}`, item(`i${n}`, n)]))
    const w = windowFor(query(2, 2), items)
    expect(ids(w.pageValues())).toEqual(['i3'])
    w.apply('i3', items.get('i3'), undefined)
    expect(w.pageValues()).toEqual([])
    expect(w.total).toBe(2)
    expect(w.isExact()).toBe(true)
  })

  it('a change that contradicts the run makes the window inexact, never shows an id twice', () => {
    const items = new Map([1, 2, 3].map((n) => [`i${n}`, item(`i${n}`, n)]))
    // An id entering (no `before`) while the run holds it: a removal was missed.
    const w = windowFor(query(1, 10), items)
    w.apply('i2', undefined, item('i2', 2))
    expect(w.isExact()).toBe(false)
    expect(ids(w.pageValues())).toEqual([])
    w.reset([...items.values()], 0, 3)
    expect(w.isExact()).toBe(true)
    expect(ids(w.pageValues())).toEqual(['i1', 'i2', 'i3'])
    // Same with another sort value: not found at its place, found by its id.
    w.apply('i1', undefined, item('i1', 2.5))
    expect(w.isExact()).toBe(false)
    expect(ids(w.pageValues())).toEqual([])
    // A member removed from inside the run's span that the run does not hold.
    const v = windowFor(
      query(2, 2),
      new Map([1, 2, 3, 4, 5, 6].map((n) => [`i${n}`, item(`i${n}`, n)])),
    )
    expect(ids(v.pageValues())).toEqual(['i3', 'i4'])
    v.apply('x', item('x', 3.5), undefined)
    expect(v.isExact()).toBe(false)
    // Even a page past the end is not exact once the window is inconsistent.
    const e = windowFor(query(1, 5), new Map())
    e.apply('x', item('x', 1), undefined)
    expect(e.isExact()).toBe(false)
  })

  it('a query with no results stays exact and picks up the first match', () => {
    const w = windowFor(query(1, 5), new Map())
    expect(w.isExact()).toBe(true)
    expect(w.total).toBe(0)
    w.apply('a', undefined, item('a', 1, 'out'))
    expect(w.total).toBe(0)
    w.apply('b', undefined, item('b', 1))
    expect(ids(w.pageValues())).toEqual(['b'])
    expect(w.isExact()).toBe(true)
  })

  it('knows an item outside the set was not counted only when the run is the whole set', () => {
    const items = new Map(['a', 'b', 'c'].map((id, n) => [id, item(id, n)]))
    const outside = item('z', 0, 'out')
    expect(windowFor(query(1, 5), items).knowsPlace(outside)).toBe(true)
    expect(windowFor(query(1, 2), items).knowsPlace(outside)).toBe(false)
    expect(windowFor(query(2, 2), items).knowsPlace(outside)).toBe(false)
    // Inside the set, the run's span is enough.
    expect(windowFor(query(1, 2), items).knowsPlace(item('z', 0.5))).toBe(true)
  })
})
