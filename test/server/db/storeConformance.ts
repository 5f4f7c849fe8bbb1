import { describe, expect, it } from 'vitest'
import {
  LivecrudError,
  normalizeQuery,
  type Item,
  type NormalizedQuery,
} from '../../../src/protocol/index.js'
import type { ChangeRecord, Store, WriteDecision } from '../../../src/server/stores/Store.js'
import { waitFor } from './services.js'

export interface StoreFactory {
  /** A store on this file's storage (same schema / prefix every call). */
  open(options?: { changeRetention?: number }): Promise<Store>
  /** Whether two opened stores share data and feeds (false for memory). */
  shared: boolean
}

let counter = 0
/** Each test writes its own collection, so tests never see each other's seqs. */
const fresh = () => `c${++counter}_${Math.random().toString(36).slice(2, 6)}`

export function query(q: unknown): NormalizedQuery {
  const n = normalizeQuery(q)
  if (!n.ok) throw new Error(n.message)
  return n.value
}

export const put = (fields: Record<string, unknown>) => (): WriteDecision => ({
  action: 'put',
  item: fields,
})
export const del = () => (): WriteDecision => ({ action: 'delete' })

let mutation = 0
export function write(
  store: Store,
  collection: string,
  id: string,
  decide: (current: Item | null) => WriteDecision,
  mutationId = `m${++mutation}`,
  clientId?: string,
) {
  return store.write({ collection, id, mutationId, clientId, decide })
}

function record(store: Store, collection?: string): ChangeRecord[] {
  const out: ChangeRecord[] = []
  store.onChange((c) => {
    if (collection === undefined || c.collection === collection) out.push(c)
  })
  return out
}

/** The behaviours every `Store` must share; run against memory, PGlite, PostgreSQL and Redis. */
export function storeConformance(name: string, factory: StoreFactory): void {
  describe(`Store conformance: ${name}`, { timeout: 20_000 }, () => {
    it('answers an unknown collection with nothing at seq 0', async () => {
      const store = await factory.open()
      const c = fresh()
      expect(await store.get(c, 'x')).toBeNull()
      expect(await store.seq(c)).toBe(0)
      expect(await store.list(c, query({}))).toEqual({ items: [], total: 0, seq: 0 })
      expect(await store.changesSince(c, 0)).toEqual({ tooOld: false, changes: [], seq: 0 })
      await store.close()
    })

    it('adds, changes, removes and re-creates with versions continuing over the tombstone', async () => {
      const store = await factory.open()
      const c = fresh()
      const seen = record(store, c)
      const a = await write(store, c, 'a', put({ title: 'one' }), 'mA', 'client1')
      expect(a).toMatchObject({ duplicate: false, seq: 1, version: 1 })
      expect(a.item).toEqual({ id: 'a', _version: 1, title: 'one' })
      expect(a.result).toEqual(a.item)
      expect(a.change).toEqual({
        collection: c,
        seq: 1,
        type: 'ADDED',
        id: 'a',
        version: 1,
        item: { id: 'a', _version: 1, title: 'one' },
        prev: null,
        mutationId: 'mA',
        clientId: 'client1',
        origin: JSON.stringify(['', 'client1']),
      })
      expect(await store.get(c, 'a')).toEqual({ id: 'a', _version: 1, title: 'one' })

      const b = await write(store, c, 'a', (cur) => ({
        action: 'put',
        item: { ...cur, title: 'two' },
      }))
      expect(b.change).toMatchObject({
        type: 'CHANGED',
        seq: 2,
        version: 2,
        prev: { title: 'one' },
      })
      expect(b.item).toEqual({ id: 'a', _version: 2, title: 'two' })

      const d = await write(store, c, 'a', del())
      expect(d).toMatchObject({ item: null, result: true, seq: 3, version: 3 })
      expect(d.change).toMatchObject({ type: 'REMOVED', item: null, prev: { title: 'two' } })
      expect(await store.get(c, 'a')).toBeNull()
      expect((await store.list(c, query({}))).total).toBe(0)

      const again = await write(store, c, 'a', put({ title: 'three' }))
      expect(again.change).toMatchObject({ type: 'ADDED', seq: 4, version: 4, prev: null })
      await waitFor(() => seen.length === 4)
      expect(seen.map((s) => [s.seq, s.type, s.version])).toEqual([
        [1, 'ADDED', 1],
        [2, 'CHANGED', 2],
        [3, 'REMOVED', 3],
        [4, 'ADDED', 4],
      ])
      expect(await store.seq(c)).toBe(4)
      await store.close()
    })

    it('answers a repeated mutationId with the original result and writes nothing', async () => {
      const store = await factory.open()
      const c = fresh()
      const first = await write(store, c, 'a', put({ n: 1 }), 'same', 'cl')
      const again = await write(store, c, 'a', put({ n: 2 }), 'same', 'cl')
      expect(again).toEqual({ ...first, change: null, duplicate: true })
      expect(await store.seq(c)).toBe(1)
      expect(await store.get(c, 'a')).toMatchObject({ n: 1 })
      // Another client's mutationId space is its own.
      const other = await write(store, c, 'a', put({ n: 3 }), 'same', 'cl2')
      expect(other).toMatchObject({ duplicate: false, seq: 2, version: 2 })
      // A retried delete is not a NOT_FOUND: it gets the original `true`.
      const d1 = await write(store, c, 'a', del(), 'del', 'cl')
      const d2 = await write(store, c, 'a', del(), 'del', 'cl')
      expect(d2).toMatchObject({ duplicate: true, result: true, seq: d1.seq, version: d1.version })
      await store.close()
    })

    it('records no-op decisions (remembered, no seq) and aborts on a throwing decide', async () => {
      const store = await factory.open()
      const c = fresh()
      await write(store, c, 'a', put({ n: 1 }))
      const none = await write(store, c, 'a', () => ({ action: 'none', result: false }), 'noop')
      expect(none).toMatchObject({
        duplicate: false,
        change: null,
        result: false,
        seq: 1,
        version: 1,
      })
      const noneAgain = await write(store, c, 'a', put({ n: 9 }), 'noop')
      expect(noneAgain).toMatchObject({ duplicate: true, result: false, seq: 1 })
      const conflict = write(store, c, 'a', () => {
        throw new LivecrudError('CONFLICT', 'nope')
      })
      await expect(conflict).rejects.toMatchObject({ code: 'CONFLICT' })
      await expect(write(store, c, 'missing', del())).rejects.toMatchObject({ code: 'NOT_FOUND' })
      expect(await store.seq(c)).toBe(1)
      expect(await store.get(c, 'a')).toEqual({ id: 'a', _version: 1, n: 1 })
      // Anything else thrown aborts the same way, as itself, and leaves the mutationId unused: the
      // server's schema check retries a PATCH this way after awaiting an asynchronous schema.
      const signal = new Error('validate outside the transaction, then retry')
      const aborted = write(
        store,
        c,
        'a',
        () => {
          throw signal
        },
        'retried',
      )
      await expect(aborted).rejects.toBe(signal)
      expect(await write(store, c, 'a', put({ n: 2 }), 'retried')).toMatchObject({
        duplicate: false,
        seq: 2,
        version: 2,
      })
      await store.close()
    })

    it('serves changesSince from the log and says tooOld past retention', async () => {
      const store = await factory.open({ changeRetention: 5 })
      const c = fresh()
      for (let i = 0; i < 8; i++) await write(store, c, `i${i % 3}`, put({ i }))
      const recent = await store.changesSince(c, 5)
      expect(recent.tooOld).toBe(false)
      if (!recent.tooOld) {
        expect(recent.seq).toBe(8)
        expect(recent.changes.map((x) => x.seq)).toEqual([6, 7, 8])
        expect(recent.changes[2]).toMatchObject({ type: 'CHANGED', id: 'i1', item: { i: 7 } })
      }
      expect(await store.changesSince(c, 3)).toMatchObject({ tooOld: false, seq: 8 })
      expect(await store.changesSince(c, 2)).toEqual({ tooOld: true, seq: 8 })
      expect(await store.changesSince(c, 8)).toEqual({ tooOld: false, changes: [], seq: 8 })
      expect(await store.changesSince(c, 9)).toEqual({ tooOld: true, seq: 8 })
      expect(await store.changesSince(c, -1)).toEqual({ tooOld: true, seq: 8 })
      expect(await store.changesSince(c, 1.5)).toEqual({ tooOld: true, seq: 8 })
      await store.close()
    })

    it('lists with filters, scope, sort, paging and total', async () => {
      const store = await factory.open()
      const c = fresh()
      const rows = [
        { id: 'a', owner: 'u1', n: 3, tag: 'x' },
        { id: 'b', owner: 'u1', n: '3', tag: null },
        { id: 'c', owner: 'u2', n: 1 },
        { id: 'd', owner: 'u1', n: 10, tag: 'é' },
        { id: 'e', owner: 'u1', n: true, tag: '😀' },
      ]
      for (const { id, ...rest } of rows) await write(store, c, id, put(rest))
      const r = await store.list(c, query({ sort: ['-n'], pageSize: 2 }), { owner: 'u1' })
      expect(r.total).toBe(4)
      expect(r.seq).toBe(5)
      expect(r.items.map((i) => i.id)).toEqual(['b', 'd'])
      const p2 = await store.list(c, query({ sort: ['-n'], pageSize: 2, page: 2 }), { owner: 'u1' })
      expect(p2.items.map((i) => i.id)).toEqual(['a', 'e'])
      const nums = await store.list(c, query({ filters: { n: { $gte: 3 } }, sort: 'n' }))
      expect(nums.items.map((i) => i.id)).toEqual(['a', 'd'])
      const tags = await store.list(c, query({ filters: { tag: null }, sort: '-id' }))
      expect(tags.items.map((i) => i.id)).toEqual(['c', 'b'])
      const strs = await store.list(c, query({ filters: { tag: { $gt: 'x' } } }))
      expect(strs.items.map((i) => i.id)).toEqual(['d', 'e'])
      const far = await store.list(c, query({ page: 99, pageSize: 10 }))
      expect(far).toEqual({ items: [], total: 5, seq: 5 })
      await store.close()
    })

    it('lists by ids: exactly the named items, with the rest of the query applied', async () => {
      const store = await factory.open()
      const c = fresh()
      for (const [id, n] of [
        ['a', 1],
        ['b', 2],
        ['c', 3],
        ['d', 4],
      ] as const)
        await write(store, c, id, put({ n, owner: n % 2 ? 'u1' : 'u2' }))
      await write(store, c, 'd', del())
      const byIds = await store.list(
        c,
        query({ filters: { id: { $in: ['c', 'a', 'd', 'zz', 'a'] } }, sort: '-n' }),
      )
      expect(byIds.items.map((i) => i.id)).toEqual(['c', 'a'])
      expect(byIds.total).toBe(2)
      expect(byIds.seq).toBe(5)
      const narrowed = await store.list(
        c,
        query({ filters: { id: { $in: ['a', 'b', 'c'] }, n: { $gte: 2 } }, sort: 'n' }),
      )
      expect(narrowed.items.map((i) => i.id)).toEqual(['b', 'c'])
      const scoped = await store.list(c, query({ filters: { id: { $in: ['a', 'b'] } } }), {
        owner: 'u2',
      })
      expect(scoped.items.map((i) => i.id)).toEqual(['b'])
      expect((await store.list(c, query({ filters: { id: 'b' } }))).items).toHaveLength(1)
      expect(await store.list(c, query({ filters: { id: { $in: [] } } }))).toEqual({
        items: [],
        total: 0,
        seq: 5,
      })
      expect(
        (await store.list(c, query({ filters: { id: { $eq: 'a', $in: ['b'] } } }))).total,
      ).toBe(0)
      expect((await store.list(c, query({ filters: { id: 7 } }))).total).toBe(0)
      await store.close()
    })

    it('delivers concurrent writes once each, in seq order, gap-free', async () => {
      const store = await factory.open()
      const c = fresh()
      const seen = record(store, c)
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          write(store, c, `k${i % 4}`, (cur) => ({
            action: 'put',
            item: { count: ((cur?.count as number | undefined) ?? 0) + 1 },
          })),
        ),
      )
      expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 30 }, (_, i) => i + 1),
      )
      await waitFor(() => seen.length >= 30)
      expect(seen.map((s) => s.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1))
      const listed = await store.list(c, query({ sort: 'id' }))
      // Every read-modify-write counted: no lost update.
      expect(listed.items.map((i) => i.count)).toEqual([8, 8, 7, 7])
      await store.close()
    })

    it('stores a large multi-byte item (> 8000 bytes)', async () => {
      const store = await factory.open()
      const c = fresh()
      const text = 'ü€😀'.repeat(3_000)
      expect(Buffer.byteLength(text)).toBeGreaterThan(8_000)
      const seen = record(store, c)
      await write(store, c, 'big', put({ text }))
      expect((await store.get(c, 'big'))?.text).toBe(text)
      await waitFor(() => seen.length === 1)
      expect(seen[0]?.item?.text).toBe(text)
      await store.close()
    })

    it.runIf(factory.shared)('feeds every store sharing the database, in order', async () => {
      const a = await factory.open()
      const b = await factory.open()
      const c = fresh()
      const seen = record(b, c)
      const text = 'ñ'.repeat(6_000)
      for (let i = 0; i < 10; i++) await write(a, c, `x${i % 3}`, put({ i, text }))
      await write(a, c, 'x0', del())
      await waitFor(() => seen.length === 11)
      expect(seen.map((s) => s.seq)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1))
      expect(seen[10]).toMatchObject({ type: 'REMOVED', id: 'x0', prev: { i: 9 } })
      expect(await b.get(c, 'x1')).toMatchObject({ i: 7, text })
      await Promise.all([a.close(), b.close()])
    })
  })
}
