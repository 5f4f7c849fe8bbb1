import { describe, expect, it, vi } from 'vitest'
import { CollectionStore } from '../../../src/client/store/index.js'
import type { Item } from '../../../src/protocol/index.js'
import { ack, changed, patch, set } from './helpers.js'

const item = (id: string, version = 1): Item => ({ id, _version: version, n: 0 })

function storeOf(...ids: string[]): CollectionStore {
  const store = new CollectionStore()
  store.dispatch({ type: 'server/items', items: ids.map((id) => item(id)) })
  return store
}

/**
 * Items with nothing but a confirmed value are kept without an entry; reading their state, writing
 * to them and settling the write move them between the two forms. None of it may show.
 */
describe('CollectionStore: plain items and entries', () => {
  it('keeps an ItemState object while its item is unchanged, a new one after a change', () => {
    const store = storeOf('a', 'b')
    const state = store.getItemState('a')
    expect(state).toMatchObject({ data: { n: 0 }, version: 1, status: 'present' })
    store.dispatch(changed('b', 2, [set('n', 1)]))
    store.dispatch({ type: 'server/items', items: [item('a')] })
    expect(store.getItemState('a')).toBe(state)
    store.dispatch(changed('a', 2, [set('n', 2)]))
    const next = store.getItemState('a')
    expect(next).not.toBe(state)
    expect(next).toMatchObject({ data: { n: 2, _version: 2 }, version: 2, hasPendingWrites: false })
    expect(store.getItemState('a')).toBe(next)
  })

  it('iterates in first-seen order whatever form each item takes', () => {
    const store = storeOf('a', 'b', 'c', 'd')
    store.getItemState('b')
    store.dispatch(patch('m1', 'c', [set('n', 5)]))
    store.dispatch(changed('d', 2, [set('n', 1)]))
    expect([...store.ids()]).toEqual(['a', 'b', 'c', 'd'])
    expect([...store.values()].map((v) => v.n)).toEqual([0, 0, 5, 1])
    store.dispatch(ack('m1', { id: 'c', _version: 2, n: 5 }, 2))
    expect([...store.ids()]).toEqual(['a', 'b', 'c', 'd'])
    expect(store.hasPendingWrites('c')).toBe(false)
    expect(store.getPendingMutations()).toEqual([])
    expect(store.getConfirmed('c')).toEqual({
      item: { id: 'c', _version: 2, n: 5 },
      version: 2,
      deleted: false,
    })
  })

  it('reports two events of one batch on a plain item as one change from the first value', () => {
    const store = storeOf('a')
    const before = store.peek('a')
    const listener = vi.fn()
    const itemListener = vi.fn()
    store.subscribe(listener)
    store.subscribeItem('a', itemListener)
    store.batch(() => {
      store.dispatch(changed('a', 2, [set('n', 1)]))
      store.dispatch(changed('a', 3, [set('n', 2)]))
    })
    expect(listener).toHaveBeenCalledTimes(1)
    expect(listener.mock.calls[0]![0]).toEqual([
      expect.objectContaining({ id: 'a', before, after: { id: 'a', _version: 3, n: 2 } }),
    ])
    expect(itemListener).toHaveBeenCalledTimes(1)
    expect(store.getItemState('a').version).toBe(3)
  })

  it('a CHANGED that skips a version leaves the plain item as it was, stale', () => {
    const store = storeOf('a')
    const held = store.peek('a')
    const needs = vi.fn()
    store.onNeedsFetch(needs)
    store.dispatch(changed('a', 3, [set('n', 3)]))
    expect(store.peek('a')).toBe(held)
    expect(needs).toHaveBeenCalledWith(['a'])
    store.dispatch({ type: 'server/items', items: [{ id: 'a', _version: 3, n: 3 }] })
    expect(store.getStaleIds()).toEqual([])
    expect(store.getItemState('a')).toMatchObject({ version: 3, data: { n: 3 } })
  })
})
