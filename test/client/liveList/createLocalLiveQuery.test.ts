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
        // A snapshot that changed must have been announced: listeners skip nothing they show.
        const heard = lives.map(() => false)
        lives.forEach((l, i) => l.subscribe(() => (heard[i] = true)))
        const last = lives.map((l) => l.getSnapshot())
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
            if (snap !== last[i]) expect(heard[i]).toBe(true)
            last[i] = snap
            heard[i] = false
            expect(snap.ids).toEqual(want.items.map((it) => it.id))
            expect(snap.items).toEqual(want.items)
            expect(snap.total).toBe(want.total)
          }
        }
      }),
      { numRuns: 200 },
    )
  })

  it('a change past the end of the page is not announced; one that shifts the page is', () => {
    const store = new CollectionStore({ name: 't' })
    let seq = 0
    const put = (id: string, n: number, version: number) =>
      store.dispatch({
        type: 'server/added',
        item: { id, _version: version, n },
        meta: { seq: ++seq, prevSeq: seq - 1, version },
      })
    for (let i = 0; i < 10; i++) put(`i${i}`, i, 1)
    const live = createLocalLiveQuery(store, { sort: 'n', pageSize: 3 })
    let heard = 0
    live.subscribe(() => heard++)
    const first = live.getSnapshot()
    expect(first.ids).toEqual(['i0', 'i1', 'i2'])
    put('i8', 7.5, 2) // moves within the tail: page 1 and the total stay
    expect(heard).toBe(0)
    expect(live.getSnapshot()).toBe(first)
    put('i2', 2.5, 2) // the page's last row changes in place
    expect(heard).toBe(1)
    expect(live.getSnapshot().items[2]).toMatchObject({ id: 'i2', n: 2.5 })
    put('i9', -1, 2) // moves to the front: page 1 shifts
    expect(heard).toBe(2)
    expect(live.getSnapshot().ids).toEqual(['i9', 'i0', 'i1'])
    put('x', 100, 1) // joins at the end: the page stays, the total does not
    expect(heard).toBe(3)
    expect(live.getSnapshot()).toMatchObject({ ids: ['i9', 'i0', 'i1'], total: 11 })
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
