import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createLocalLiveQuery } from '../../../src/client/liveList/index.js'
import { CollectionStore } from '../../../src/client/store/index.js'
import {
  applyQuery,
  normalizeQuery,
  type Item,
  type ListQuery,
} from '../../../src/protocol/index.js'

describe('createLocalLiveQuery (big view over the store)', () => {
  it('every page equals applyQuery over the store after each change', () => {
    const queries: ListQuery[] = [
      { sort: 's', pageSize: 3, page: 2 },
      { sort: ['-g', 's'], filters: { s: { $gte: 1 } }, pageSize: 100 },
    ]
    const step = fc.record({
      id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
      s: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      g: fc.constantFrom('x', 'y'),
    })
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const store = new CollectionStore({
          name: 't',
          onError: (e) => {
            throw e
          },
        })
        const versions = new Map<string, number>()
        const lives = queries.map((q) => createLocalLiveQuery(store, q))
        lives.forEach((l) => l.subscribe(() => {}))
        let seq = 0
        for (const s of steps) {
          const version = (versions.get(s.id) ?? 0) + 1
          versions.set(s.id, version)
          const meta = { seq: ++seq, prevSeq: seq - 1, version }
          if (s.s === undefined) store.dispatch({ type: 'server/removed', id: s.id, meta })
          else
            store.dispatch({
              type: 'server/added',
              item: { id: s.id, _version: version, s: s.s, g: s.g },
              meta,
            })
          for (const [i, q] of queries.entries()) {
            const n = normalizeQuery(q, { maxPageSize: 1e9 })
            if (!n.ok) throw new Error(n.message)
            const want = applyQuery(store.values() as Iterable<Item>, n.value)
            const snap = lives[i]!.getSnapshot()
            expect(snap.ids).toEqual(want.items.map((it) => it.id))
            expect(snap.items).toEqual(want.items)
            expect(snap.total).toBe(want.total)
          }
        }
      }),
      { numRuns: 200 },
    )
  })

  it('keeps the ids array while order and membership hold', () => {
    const store = new CollectionStore({ name: 't' })
    const meta = (seq: number, version: number) => ({ seq, prevSeq: seq - 1, version })
    store.dispatch({ type: 'server/added', item: { id: 'a', _version: 1, s: 1 }, meta: meta(1, 1) })
    store.dispatch({ type: 'server/added', item: { id: 'b', _version: 1, s: 2 }, meta: meta(2, 1) })
    const live = createLocalLiveQuery(store, { sort: 's' })
    let calls = 0
    live.subscribe(() => calls++)
    const s1 = live.getSnapshot()
    store.dispatch({
      type: 'server/changed',
      id: 'a',
      ops: [{ op: 'add', path: '/title', value: 't' }],
      meta: meta(3, 2),
    })
    const s2 = live.getSnapshot()
    expect(calls).toBe(1)
    expect(s2.ids).toBe(s1.ids)
    expect(s2.items[1]).toBe(s1.items[1])
    expect(s2.items[0]).toMatchObject({ title: 't' })
  })

  it('reports an invalid query', () => {
    const live = createLocalLiveQuery(new CollectionStore(), { sort: '__proto__' })
    expect(live.getSnapshot()).toMatchObject({ status: 'error', ids: [] })
    expect(live.getSnapshot().error?.code).toBe('BAD_REQUEST')
  })
})
