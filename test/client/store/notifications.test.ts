import { describe, expect, it, vi } from 'vitest'
import { Batcher, CollectionStore } from '../../../src/client/store/index.js'
import type { Item } from '../../../src/protocol/index.js'
import { added, changed, patch, rejected, set } from './helpers.js'

const item = (id: string, version = 1, fields: Record<string, unknown> = {}): Item => ({
  id,
  _version: version,
  n: 0,
  ...fields,
})

describe('CollectionStore: notifications', () => {
  it('a batch notifies each listener once, with one change per id from first before to last after', () => {
    const store = new CollectionStore()
    store.dispatch(added(item('a')))
    const listener = vi.fn()
    const a = vi.fn()
    store.subscribe(listener)
    store.subscribeItem('a', a)
    store.batch(() => {
      store.dispatch(changed('a', 2, [set('n', 1)]))
      store.batch(() => store.dispatch(changed('a', 3, [set('n', 2)])))
      store.dispatch(added(item('b')))
      expect(listener).not.toHaveBeenCalled()
    })
    expect(listener).toHaveBeenCalledTimes(1)
    expect(a).toHaveBeenCalledTimes(1)
    const changes = listener.mock.calls[0]![0]
    expect(changes).toHaveLength(2)
    expect(changes[0]).toMatchObject({ id: 'a', before: item('a'), after: item('a', 3, { n: 2 }) })
    expect(changes[1]).toMatchObject({ id: 'b', before: undefined, after: item('b') })
  })

  it('a batch touching many ids (past the scan the log starts with) still coalesces per id', () => {
    const store = new CollectionStore()
    const ids = Array.from({ length: 20 }, (_, i) => `i${i}`)
    store.dispatch({ type: 'server/items', items: ids.map((id) => item(id)) })
    const before = ids.map((id) => store.peek(id))
    const listener = vi.fn()
    const last = vi.fn()
    store.subscribe(listener)
    store.subscribeItem('i19', last)
    store.batch(() => {
      for (const id of ids) store.dispatch(changed(id, 2, [set('n', 1)]))
      // Touched again once the log has switched from scanning to an index.
      for (const id of ids) store.dispatch(changed(id, 3, [set('n', 2)]))
    })
    expect(listener).toHaveBeenCalledTimes(1)
    expect(last).toHaveBeenCalledTimes(1)
    const changes = listener.mock.calls[0]![0] as { id: string; before: Item; after: Item }[]
    expect(changes.map((c) => c.id)).toEqual(ids)
    changes.forEach((c, i) => {
      expect(c.before).toBe(before[i])
      expect(c.after).toMatchObject({ _version: 3, n: 2 })
    })
    // The next batch starts empty: one event, one change.
    store.dispatch(changed('i0', 4, [set('n', 3)]))
    expect(listener).toHaveBeenCalledTimes(2)
    expect(listener.mock.calls[1]![0]).toHaveLength(1)
  })

  it('knownIds lists every id held: present, tombstoned and pending alike', () => {
    const store = new CollectionStore()
    store.dispatch(added(item('a')))
    store.dispatch(added(item('b')))
    store.dispatch({
      type: 'server/removed',
      id: 'b',
      meta: { seq: 1000, prevSeq: 999, version: 2 },
    })
    store.dispatch(patch('m1', 'c', [set('n', 1)]))
    expect(store.knownIds().sort()).toEqual(['a', 'b', 'c'])
    expect([...store.ids()].sort()).toEqual(['a'])
  })

  it('a shared batcher spans stores; a throwing batch still notifies', () => {
    const batcher = new Batcher()
    const s1 = new CollectionStore({ batcher })
    const s2 = new CollectionStore({ batcher })
    const l1 = vi.fn()
    const l2 = vi.fn()
    s1.subscribe(l1)
    s2.subscribe(l2)
    expect(() =>
      batcher.batch(() => {
        s1.dispatch(added(item('a')))
        s2.dispatch(added(item('a')))
        expect(l1).not.toHaveBeenCalled()
        throw new Error('boom')
      }),
    ).toThrow('boom')
    expect(l1).toHaveBeenCalledTimes(1)
    expect(l2).toHaveBeenCalledTimes(1)
  })

  it('a throwing listener never breaks the others', () => {
    const onError = vi.fn()
    const store = new CollectionStore({ onError })
    const after = vi.fn()
    const itemAfter = vi.fn()
    store.subscribe(() => {
      throw new Error('bad listener')
    })
    store.subscribe(after)
    store.subscribeItem('a', () => {
      throw new Error('bad item listener')
    })
    store.subscribeItem('a', itemAfter)
    store.dispatch(added(item('a')))
    expect(after).toHaveBeenCalledTimes(1)
    expect(itemAfter).toHaveBeenCalledTimes(1)
    expect(onError).toHaveBeenCalledTimes(2)
  })

  it('item listeners hear only their item; getItemState keeps identity while unchanged', () => {
    const store = new CollectionStore()
    store.dispatch(added(item('a')))
    store.dispatch(added(item('b')))
    const a = vi.fn()
    store.subscribeItem('a', a)
    const stateA = store.getItemState('a')
    expect(store.getItemState('a')).toBe(stateA)
    store.dispatch(changed('b', 2, [set('n', 5)]))
    expect(a).not.toHaveBeenCalled()
    expect(store.getItemState('a')).toBe(stateA)
    expect(store.getItemState('nope')).toBe(store.getItemState('other'))
    // Pending state alone changes ItemState (not the visible value).
    store.dispatch(patch('m', 'a', [set('n', 0)]))
    expect(a).toHaveBeenCalledTimes(1)
    expect(store.getItemState('a')).not.toBe(stateA)
    expect(store.getItemState('a').data).toBe(stateA.data)
  })

  it('a replay that yields an equal value keeps the visible object and tells no collection listener', () => {
    const store = new CollectionStore()
    store.dispatch(added(item('a')))
    store.dispatch(patch('m1', 'a', [set('n', 1)]))
    store.dispatch(patch('m2', 'a', [set('n', 2)]))
    const visible = store.peek('a')
    const listener = vi.fn()
    const a = vi.fn()
    store.subscribe(listener)
    store.subscribeItem('a', a)
    // m1 is masked by m2: rolling it back changes pending state and error, not the value.
    store.dispatch(rejected('m1'))
    expect(store.peek('a')).toBe(visible)
    expect(listener).not.toHaveBeenCalled()
    expect(a).toHaveBeenCalledTimes(1)
  })

  it('disposers are idempotent and a listener removed during a flush is not called', () => {
    const store = new CollectionStore()
    const second = vi.fn()
    let off2 = () => {}
    const off1 = store.subscribe(() => off2())
    off2 = store.subscribe(second)
    store.dispatch(added(item('a')))
    expect(second).not.toHaveBeenCalled()
    off1()
    off1()
    expect(store.observerCount).toBe(0)
  })

  it('listeners that dispatch are delivered in a following round', () => {
    const store = new CollectionStore()
    const seen: string[] = []
    store.subscribe((changes) => {
      for (const c of changes) seen.push(c.id)
      if (changes.some((c) => c.id === 'a')) store.dispatch(added(item('b')))
    })
    store.dispatch(added(item('a')))
    expect(seen).toEqual(['a', 'b'])
  })

  it('observer counting tells when the collection is first and last observed', () => {
    const store = new CollectionStore()
    const observed = vi.fn()
    store.onObservedChange(observed)
    const off1 = store.subscribe(() => {})
    const off2 = store.subscribeItem('a', () => {})
    const off3 = store.subscribeItem('a', () => {})
    expect(store.observerCount).toBe(3)
    off1()
    off2()
    expect(observed.mock.calls).toEqual([[true]])
    off3()
    off3()
    expect(observed.mock.calls).toEqual([[true], [false]])
    expect(store.observerCount).toBe(0)
  })

  it('versions seen by listeners never decrease under stale and duplicate events', () => {
    const store = new CollectionStore()
    const versions: number[] = []
    store.subscribeItem('a', () => versions.push(store.getItemState('a').version))
    store.dispatch(added(item('a', 2)))
    store.dispatch(added(item('a', 1)))
    store.dispatch(changed('a', 3, [set('n', 3)]))
    store.dispatch(changed('a', 2, [set('n', 2)]))
    store.dispatch({ type: 'server/items', items: [item('a', 1)] })
    store.dispatch({ type: 'server/reset', items: [item('a', 2)], absent: [] })
    expect(versions).toEqual([2, 3])
  })

  it('zustand state bumps rev once per notified batch; values() and size follow visibility', () => {
    const store = new CollectionStore()
    store.batch(() => {
      store.dispatch(added(item('a')))
      store.dispatch(added(item('b')))
    })
    expect(store.api.getState().rev).toBe(1)
    expect(store.api.getState().entries.size).toBe(2)
    expect([...store.ids()]).toEqual(['a', 'b'])
    expect(store.size).toBe(2)
  })

  it('a listener that keeps dispatching is stopped and reported, not looped forever', () => {
    const onError = vi.fn()
    const batcher = new Batcher(onError)
    const store = new CollectionStore({ batcher, onError })
    let v = 1
    store.subscribe(() => store.dispatch(changed('a', ++v, [set('n', v)])))
    store.dispatch(added(item('a')))
    expect(onError).toHaveBeenCalledTimes(1)
    expect(v).toBeLessThan(200)
  })
})
