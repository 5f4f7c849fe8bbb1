import { describe, expect, it, vi } from 'vitest'
import { MemoryStore, createStoreFromUrl, type ChangeRecord } from 'livecrud/server'
import { LivecrudError, normalizeQuery, type Item } from '../../src/protocol/index.js'

const put = (item: Record<string, unknown>) => () => ({ action: 'put' as const, item })
const del = () => ({ action: 'delete' as const })
let n = 0
const write = (store: MemoryStore, id: string, decide: (c: Item | null) => any, coll = 'todos') =>
  store.write({ collection: coll, id, mutationId: `m${++n}`, clientId: 'c', decide })
const query = (q: unknown) => {
  const r = normalizeQuery(q)
  if (!r.ok) throw new Error(r.message)
  return r.value
}

describe('MemoryStore', () => {
  it('numbers changes 1, 2, 3 per collection and versions per item', async () => {
    const store = new MemoryStore()
    const changes: ChangeRecord[] = []
    store.onChange((c) => changes.push(c))
    const r1 = await write(store, 'a', put({ t: 1 }))
    const r2 = await write(store, 'a', put({ t: 2 }))
    const r3 = await write(store, 'x', put({}), 'other')
    expect([r1.seq, r1.version, r2.seq, r2.version, r3.seq]).toEqual([1, 1, 2, 2, 1])
    expect(r2.item).toEqual({ t: 2, id: 'a', _version: 2 })
    expect(changes.map((c) => [c.collection, c.type, c.seq, c.version])).toEqual([
      ['todos', 'ADDED', 1, 1],
      ['todos', 'CHANGED', 2, 2],
      ['other', 'ADDED', 1, 1],
    ])
    expect(changes[1]!.prev).toEqual({ t: 1, id: 'a', _version: 1 })
    expect(changes[0]).toMatchObject({ mutationId: expect.any(String), clientId: 'c' })
    expect(await store.seq('todos')).toBe(2)
  })

  it('keeps versions across delete and re-create through tombstones', async () => {
    const store = new MemoryStore()
    await write(store, 'a', put({}))
    const d = await write(store, 'a', del)
    expect(d).toMatchObject({ result: true, item: null, version: 2, seq: 2 })
    expect(d.change).toMatchObject({ type: 'REMOVED', version: 2, item: null })
    expect(await store.get('todos', 'a')).toBeNull()
    expect((await write(store, 'a', put({}))).version).toBe(3)
  })

  it('a decide that throws writes nothing', async () => {
    const store = new MemoryStore()
    const listener = vi.fn()
    store.onChange(listener)
    await expect(
      write(store, 'a', () => {
        throw new LivecrudError('CONFLICT', 'no')
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(await store.seq('todos')).toBe(0)
    expect(listener).not.toHaveBeenCalled()
  })

  it('answers a repeated mutationId with the original result and no second change', async () => {
    const store = new MemoryStore()
    const listener = vi.fn()
    store.onChange(listener)
    const req = {
      collection: 'todos',
      id: 'a',
      mutationId: 'same',
      clientId: 'c',
      decide: put({ t: 1 }),
    }
    const first = await store.write(req)
    const second = await store.write({ ...req, decide: put({ t: 99 }) })
    expect(second).toMatchObject({ duplicate: true, change: null, seq: 1, version: 1 })
    expect(second.result).toEqual(first.result)
    expect(listener).toHaveBeenCalledTimes(1)
    // Another client may reuse the same mutation id without colliding.
    const other = await store.write({ ...req, clientId: 'd', decide: put({ t: 2 }) })
    expect(other.duplicate).toBe(false)
  })

  it('forgets mutation ids beyond its bound', async () => {
    const store = new MemoryStore({ mutationRetention: 2 })
    const req = (m: string) => ({ collection: 'c', id: m, mutationId: m, decide: put({}) })
    await store.write(req('m1'))
    await store.write(req('m2'))
    await store.write(req('m3'))
    expect((await store.write(req('m3'))).duplicate).toBe(true)
    expect(
      (await store.write({ ...req('m1'), decide: () => ({ action: 'none', result: null }) }))
        .duplicate,
    ).toBe(false)
  })

  it('serves changesSince within retention and says tooOld beyond it', async () => {
    const store = new MemoryStore({ changeRetention: 3 })
    for (let i = 0; i < 6; i++) await write(store, `i${i}`, put({ i }))
    expect(await store.changesSince('todos', 6)).toEqual({ tooOld: false, changes: [], seq: 6 })
    const r = await store.changesSince('todos', 3)
    expect(r.tooOld).toBe(false)
    expect(r.tooOld === false && r.changes.map((c) => c.seq)).toEqual([4, 5, 6])
    expect(await store.changesSince('todos', 2)).toEqual({ tooOld: true, seq: 6 })
    expect(await store.changesSince('todos', 7)).toEqual({ tooOld: true, seq: 6 })
    expect(await store.changesSince('todos', -1)).toEqual({ tooOld: true, seq: 6 })
    expect(await store.changesSince('none', 0)).toEqual({ tooOld: false, changes: [], seq: 0 })
    // The log stays bounded however many writes come.
    for (let i = 0; i < 100; i++) await write(store, 'x', put({ i }))
    const last = await store.changesSince('todos', 103)
    expect(last.tooOld === false && last.changes.length).toBe(3)
  })

  it('lists with the shared query semantics and ANDs the scope', async () => {
    const store = new MemoryStore()
    await write(store, 'a', put({ owner: 'u1', n: 2 }))
    await write(store, 'b', put({ owner: 'u2', n: 1 }))
    await write(store, 'c', put({ owner: 'u1', n: 1 }))
    const all = await store.list('todos', query({ sort: 'n' }))
    expect(all.items.map((i) => i.id)).toEqual(['b', 'c', 'a'])
    expect(all.seq).toBe(3)
    const mine = await store.list('todos', query({ sort: 'n', filters: { owner: 'u2' } }), {
      owner: 'u1',
    })
    expect(mine).toEqual({ items: [], total: 0, seq: 3 })
    const scoped = await store.list('todos', query({}), { owner: 'u1' })
    expect(scoped.items.map((i) => i.id)).toEqual(['a', 'c'])
  })

  it('stored items cannot be corrupted by callers', async () => {
    const store = new MemoryStore()
    const data = { nested: { v: 1 } }
    await write(store, 'a', put(data))
    data.nested.v = 2
    const got = (await store.get('todos', 'a')) as any
    expect(got.nested.v).toBe(1)
    expect(() => {
      got.nested.v = 3
    }).toThrow()
  })

  it('isolates listener errors', async () => {
    const store = new MemoryStore()
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    const good = vi.fn()
    store.onChange(() => {
      throw new Error('bad listener')
    })
    const off = store.onChange(good)
    const r = await write(store, 'a', put({}))
    expect(r.seq).toBe(1)
    expect(good).toHaveBeenCalledTimes(1)
    off()
    await write(store, 'a', put({}))
    expect(good).toHaveBeenCalledTimes(1)
    spy.mockRestore()
  })

  it('is opened by createStoreFromUrl("memory") and refuses unknown URLs', async () => {
    const store = await createStoreFromUrl('memory')
    expect(store.kind).toBe('memory')
    await store.close()
    await expect(store.get('a', 'b')).rejects.toThrow('closed')
    await expect(createStoreFromUrl('ftp://x')).rejects.toThrow('unsupported')
  })
})
