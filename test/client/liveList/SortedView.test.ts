import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileViewComparator, SortedView } from '../../../src/client/liveList/index.js'
import {
  applyQuery,
  compileComparator,
  normalizeSort,
  type Item,
} from '../../../src/protocol/index.js'

const value = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom('', 'a', 'B', 'é', '\u{1F600}', '\uE000'),
  fc.constant({ x: 1 }),
  fc.constant([1]),
)
const itemArb = (id: string) =>
  fc.record({ a: value, b: value, n: fc.record({ x: value }) }).map((f) => {
    const item: Item = { id, _version: 1, n: f.n }
    if (f.a !== undefined) item.a = f.a
    if (f.b !== undefined) item.b = f.b
    return item
  })
const sortArb = fc.subarray(['a', '-a', 'b', '-b', 'n.x', '-n.x', '-id', 'id'], { maxLength: 3 })

describe('compileViewComparator', () => {
  it('orders exactly like compileComparator from the protocol', () => {
    fc.assert(
      fc.property(sortArb, itemArb('p'), itemArb('q'), (spec, x, y) => {
        const sort = normalizeSort(spec)
        if (!sort.ok) return
        const ref = compileComparator(sort.value)
        const fast = compileViewComparator(sort.value)
        expect(Math.sign(fast(x, y))).toBe(Math.sign(ref(x, y)))
        expect(Math.sign(fast(x, x))).toBe(0)
      }),
      { numRuns: 500 },
    )
  })

  it('ignores inherited members (toString is not a field)', () => {
    const cmp = compileViewComparator([{ field: 'toString', dir: 'asc' }])
    expect(cmp({ id: 'a', _version: 1 }, { id: 'b', _version: 1, toString: 1 })).toBeLessThan(0)
  })
})

describe('SortedView (big view)', () => {
  it('equals applyQuery over the same items after any sequence of changes', () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g']
    const step = fc.record({
      id: fc.constantFrom(...ids),
      item: fc.option(fc.record({ a: value, b: value }), { nil: undefined }),
    })
    fc.assert(
      fc.property(sortArb, fc.array(step, { maxLength: 40 }), (spec, steps) => {
        const sort = normalizeSort(spec)
        if (!sort.ok) return
        const query = { page: 1, pageSize: 1000, sort: sort.value, filters: { a: { $ne: true } } }
        const view = new SortedView(query)
        const items = new Map<string, Item>()
        view.build(items.values())
        for (const s of steps) {
          const before = items.get(s.id)
          const after = s.item ? ({ ...s.item, id: s.id, _version: 1 } as Item) : undefined
          if (after) items.set(s.id, after)
          else items.delete(s.id)
          view.apply(s.id, before, after)
          const want = applyQuery(items.values(), query)
          expect(view.run.ids()).toEqual(want.items.map((i) => i.id))
          expect(view.total).toBe(want.total)
        }
        const rebuilt = new SortedView(query)
        rebuilt.build(items.values())
        expect(rebuilt.run.ids()).toEqual(view.run.ids())
      }),
      { numRuns: 300 },
    )
  })

  it('pages slice the sorted result', () => {
    const view = new SortedView({ sort: [{ field: 'n', dir: 'desc' }], filters: {} })
    view.build([1, 5, 3, 4, 2].map((n) => ({ id: `i${n}`, _version: 1, n })))
    expect(view.page(2, 2).map((i) => i.id)).toEqual(['i3', 'i2'])
    expect(view.page(4, 2)).toEqual([])
  })
})
