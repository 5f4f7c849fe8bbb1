import { describe, expect, it, vi } from 'vitest'
import { CollectionStore } from '../../../src/client/store/index.js'
import { added, changed, removed, set } from './helpers.js'

const todo = (version: number, fields: Record<string, unknown> = {}) => ({
  id: 'a',
  _version: version,
  title: 'buy milk',
  done: false,
  ...fields,
})

function storeWith(version = 1) {
  const store = new CollectionStore()
  store.dispatch(added(todo(version)))
  return store
}

describe('CollectionStore: server events', () => {
  it('ADDED makes an item visible, frozen, with its version', () => {
    const store = storeWith(1)
    expect(store.peek('a')).toEqual(todo(1))
    expect(Object.isFrozen(store.peek('a'))).toBe(true)
    expect(store.getItemState('a')).toMatchObject({ version: 1, status: 'present' })
    expect(store.size).toBe(1)
  })

  it('CHANGED applies its ops over exactly the previous version', () => {
    const store = storeWith(1)
    store.dispatch(changed('a', 2, [set('title', 'buy oat milk')]))
    expect(store.peek('a')).toEqual(todo(2, { title: 'buy oat milk' }))
  })

  it('CHANGED v5 then v4: the stale v4 is dropped', () => {
    const store = storeWith(4)
    store.dispatch(changed('a', 5, [set('title', 'five')]))
    const after5 = store.peek('a')
    store.dispatch(changed('a', 4, [set('title', 'four')]))
    expect(store.peek('a')).toBe(after5)
    expect(store.getItemState('a').version).toBe(5)
  })

  it('a duplicate CHANGED is a no-op without notification', () => {
    const store = storeWith(1)
    const event = changed('a', 2, [set('done', true)])
    store.dispatch(event)
    const listener = vi.fn()
    store.subscribe(listener)
    store.dispatch(event)
    expect(listener).not.toHaveBeenCalled()
    expect(store.peek('a')).toEqual(todo(2, { done: true }))
  })

  it('REMOVED v6 then CHANGED v5: stays removed', () => {
    const store = storeWith(4)
    store.dispatch(removed('a', 6))
    store.dispatch(changed('a', 5, [set('title', 'late')]))
    expect(store.peek('a')).toBeUndefined()
    expect(store.getItemState('a')).toMatchObject({ status: 'deleted', version: 6 })
    expect(store.getStaleIds()).toEqual([])
    expect(store.size).toBe(0)
  })

  it('an ADDED older than the tombstone cannot resurrect; a newer one re-creates', () => {
    const store = storeWith(1)
    store.dispatch(removed('a', 2))
    store.dispatch(added(todo(1)))
    expect(store.peek('a')).toBeUndefined()
    store.dispatch(added(todo(3, { title: 'again' })))
    expect(store.peek('a')).toEqual(todo(3, { title: 'again' }))
  })

  it('duplicate ADDED and duplicate REMOVED notify once', () => {
    const store = new CollectionStore()
    const listener = vi.fn()
    store.subscribe(listener)
    const add = added(todo(1))
    store.dispatch(add)
    store.dispatch(add)
    const remove = removed('a', 2)
    store.dispatch(remove)
    store.dispatch(remove)
    expect(listener).toHaveBeenCalledTimes(2)
    expect(store.getItemState('a')).toMatchObject({ status: 'deleted', version: 2 })
  })

  it('CHANGED for an unknown item or over a gap is not guessed: it asks for a fetch', () => {
    const store = storeWith(1)
    const needs = vi.fn()
    store.onNeedsFetch(needs)
    store.dispatch(changed('a', 3, [set('title', 'three')])) // v2 missed
    store.dispatch(changed('zz', 7, [set('title', 'x')])) // never seen
    expect(store.peek('a')).toEqual(todo(1))
    expect(store.peek('zz')).toBeUndefined()
    expect(needs.mock.calls).toEqual([['a'], ['zz']].map((ids) => [ids]))
    expect(store.getStaleIds().sort()).toEqual(['a', 'zz'])
    // The refetch answers: the item is current again.
    store.dispatch({ type: 'server/items', items: [todo(3, { title: 'three' })] })
    expect(store.peek('a')).toEqual(todo(3, { title: 'three' }))
    expect(store.getStaleIds()).toEqual(['zz'])
  })

  it('CHANGED or REMOVED of an item never held is reported as unseen, with its seq', () => {
    const store = storeWith(1)
    const unseen = vi.fn()
    const changes = vi.fn()
    store.onUnseenChanges(unseen)
    store.subscribe(changes)
    store.dispatch(changed('a', 3, [set('title', 'three')], { seq: 10 })) // known: a gap, not unseen
    store.dispatch(changed('zz', 7, [set('title', 'x')], { seq: 11 }))
    store.dispatch(removed('yy', 2, { seq: 12 }))
    store.dispatch(removed('yy', 2, { seq: 12 })) // a duplicate is not news
    expect(unseen.mock.calls).toEqual([[[{ id: 'zz', seq: 11 }]], [[{ id: 'yy', seq: 12 }]]])
    // No visible value changed.
    expect(changes).not.toHaveBeenCalled()
  })

  it('a refetch older than the announced version stays stale and asks again', () => {
    const store = storeWith(1)
    const needs = vi.fn()
    store.onNeedsFetch(needs)
    store.dispatch(changed('a', 4, [set('title', 'four')]))
    store.dispatch({ type: 'server/items', items: [todo(3)] })
    expect(store.getItemState('a').version).toBe(3)
    expect(needs).toHaveBeenCalledTimes(2)
    store.dispatch({ type: 'server/items', items: [todo(4, { title: 'four' })] })
    expect(store.getStaleIds()).toEqual([])
    expect(needs).toHaveBeenCalledTimes(2)
  })

  it('CHANGED ops that do not apply mark the item stale instead of throwing', () => {
    const onError = vi.fn()
    const store = new CollectionStore({ onError })
    store.dispatch(added(todo(1)))
    store.dispatch(changed('a', 2, [{ op: 'remove', path: '/nope' }]))
    expect(store.peek('a')).toEqual(todo(1))
    expect(store.getStaleIds()).toEqual(['a'])
    expect(onError).toHaveBeenCalledTimes(1)
  })

  it('server/items adopts only newer versions; server/missing tombstones unknown ids only', () => {
    const store = storeWith(3)
    store.dispatch({
      type: 'server/items',
      items: [todo(2, { title: 'old' }), todo(1, { id: 'b' })],
    })
    expect(store.peek('a')).toEqual(todo(3))
    expect(store.peek('b')).toEqual(todo(1, { id: 'b' }))
    // A GET that raced the ADDED must not delete the item.
    store.dispatch({ type: 'server/missing', id: 'a' })
    expect(store.peek('a')).toEqual(todo(3))
    store.dispatch({ type: 'server/missing', id: 'c' })
    expect(store.getItemState('c').status).toBe('deleted')
  })

  it('server/reset replaces the confirmed layer and removes absent ids', () => {
    const store = storeWith(1)
    store.dispatch(added(todo(1, { id: 'b' })))
    const listener = vi.fn()
    store.subscribe(listener)
    store.dispatch({ type: 'server/reset', items: [todo(4, { title: 'new' })], absent: ['b'] })
    expect(store.peek('a')).toEqual(todo(4, { title: 'new' }))
    expect(store.peek('b')).toBeUndefined()
    expect(listener).toHaveBeenCalledTimes(1)
    const changes = listener.mock.calls[0]![0]
    expect(changes.map((c: { id: string; cause: string }) => [c.id, c.cause])).toEqual([
      ['a', 'reset'],
      ['b', 'reset'],
    ])
  })

  it('server changes carry their seq to listeners', () => {
    const store = storeWith(1)
    const listener = vi.fn()
    store.subscribe(listener)
    const event = changed('a', 2, [set('done', true)])
    store.dispatch(event)
    expect(listener.mock.calls[0]![0][0]).toMatchObject({
      id: 'a',
      cause: 'server',
      seq: event.type === 'server/changed' ? event.meta.seq : -1,
      before: todo(1),
      after: todo(2, { done: true }),
    })
  })

  it('invalid actions are reported, never thrown', () => {
    const onError = vi.fn()
    const store = new CollectionStore({ onError })
    const bad: unknown[] = [
      null,
      { type: 'nope' },
      { type: 'server/added', item: { id: 3 }, meta: {} },
      { type: 'server/changed', id: 'a', ops: 'x', meta: { version: 'x' } },
      { type: 'server/items', items: [null, { id: '' }] },
      { type: 'local/write', mutation: { kind: 'PATCH', mutationId: 'm', id: 'a', ops: 5 } },
    ]
    for (const action of bad) expect(() => store.dispatch(action as never)).not.toThrow()
    expect(onError).toHaveBeenCalledTimes(7)
    expect(store.size).toBe(0)
  })
})
