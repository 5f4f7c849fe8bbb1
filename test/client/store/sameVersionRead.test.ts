import { describe, expect, it, vi } from 'vitest'
import { CollectionStore } from '../../../src/client/store/index.js'
import type { Item } from '../../../src/protocol/index.js'
import { added, changed, patch, set } from './helpers.js'

const item = (version: number, fields: Record<string, unknown> = {}): Item => ({
  id: 'a',
  _version: version,
  title: 'one',
  ...fields,
})

/** A read of the version the store already holds (a repeated GET) changes nothing and says nothing. */
describe('CollectionStore: re-reading the held version', () => {
  it('keeps the item and its state object, notifies no one', () => {
    const store = new CollectionStore()
    store.dispatch(added(item(2)))
    const held = store.peek('a')
    const state = store.getItemState('a')
    const listener = vi.fn()
    const itemListener = vi.fn()
    store.subscribe(listener)
    store.subscribeItem('a', itemListener)
    store.dispatch({ type: 'server/items', items: [item(2)] })
    store.dispatch({ type: 'server/items', items: [item(1, { title: 'older' })] })
    expect(store.peek('a')).toBe(held)
    expect(store.getItemState('a')).toBe(state)
    expect(listener).not.toHaveBeenCalled()
    expect(itemListener).not.toHaveBeenCalled()
  })

  it('a stale item read at its held version still asks for a refetch', () => {
    const store = new CollectionStore()
    store.dispatch(added(item(1)))
    const needs = vi.fn()
    store.onNeedsFetch(needs)
    store.dispatch(changed('a', 3, [set('title', 'three')])) // v2 missed: stale
    store.dispatch({ type: 'server/items', items: [item(1)] })
    expect(needs.mock.calls).toEqual([[['a']], [['a']]])
    expect(store.getStaleIds()).toEqual(['a'])
  })

  it('in a batch that changed the item, the change reports the read as its last cause', () => {
    const store = new CollectionStore()
    store.dispatch(added(item(1)))
    const listener = vi.fn()
    store.subscribe(listener)
    store.batch(() => {
      store.dispatch(patch('m1', 'a', [set('title', 'mine')]))
      store.dispatch({ type: 'server/items', items: [item(1)] })
    })
    expect(listener).toHaveBeenCalledTimes(1)
    expect(listener.mock.calls[0]![0]).toMatchObject([
      { id: 'a', cause: 'server', before: item(1), after: item(1, { title: 'mine' }) },
    ])
  })
})
