import { describe, expect, it, vi } from 'vitest'
import { CollectionStore } from '../../../src/client/store/index.js'
import { LivecrudError } from '../../../src/protocol/errors.js'
import type { Item } from '../../../src/protocol/index.js'
import { ack, added, changed, patch, rejected, removed, set } from './helpers.js'

const todo = (version: number, fields: Record<string, unknown> = {}): Item => ({
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

describe('CollectionStore: local writes', () => {
  it('an optimistic POST is visible at once, with pending state', () => {
    const store = new CollectionStore()
    const input = { title: 'new', tags: ['x'] }
    store.dispatch({
      type: 'local/write',
      mutation: { kind: 'POST', mutationId: 'm1', id: 'n', item: input },
    })
    expect(store.peek('n')).toEqual({ id: 'n', _version: 0, title: 'new', tags: ['x'] })
    expect(store.getItemState('n')).toMatchObject({ hasPendingWrites: true, status: 'present' })
    // The store copied the caller's object: it stays the caller's, mutable.
    expect(Object.isFrozen(input.tags)).toBe(false)
    expect(store.getPendingMutations().map((m) => m.mutationId)).toEqual(['m1'])
  })

  it('a server change to one field keeps my pending change to another (rebase)', () => {
    const store = storeWith(1)
    store.dispatch(patch('m1', 'a', [set('done', true)]))
    store.dispatch(changed('a', 2, [set('title', 'buy oat milk')]))
    expect(store.peek('a')).toEqual(todo(2, { title: 'buy oat milk', done: true }))
    expect(store.getConfirmed('a')?.item).toEqual(todo(2, { title: 'buy oat milk' }))
  })

  it('ack before echo: confirmed once, the echo is a no-op', () => {
    const store = storeWith(2)
    store.dispatch(patch('m1', 'a', [set('done', true)]))
    const listener = vi.fn()
    const itemListener = vi.fn()
    store.subscribe(listener)
    store.subscribeItem('a', itemListener)
    store.dispatch(ack('m1', todo(3, { done: true }), 3))
    expect(store.getItemState('a')).toMatchObject({ version: 3, hasPendingWrites: false })
    const state = store.getItemState('a')
    store.dispatch(changed('a', 3, [set('done', true)], { mutationId: 'm1' }))
    expect(listener).toHaveBeenCalledTimes(1)
    expect(itemListener).toHaveBeenCalledTimes(1)
    expect(store.getItemState('a')).toBe(state)
    expect(store.size).toBe(1)
  })

  it('echo before ack: confirmed once, the ack is a no-op', () => {
    const store = storeWith(2)
    store.dispatch(patch('m1', 'a', [set('done', true)]))
    const listener = vi.fn()
    store.subscribe(listener)
    store.dispatch(changed('a', 3, [set('done', true)], { mutationId: 'm1' }))
    expect(store.getItemState('a')).toMatchObject({ version: 3, hasPendingWrites: false })
    const state = store.getItemState('a')
    store.dispatch(ack('m1', todo(3, { done: true }), 3))
    expect(store.getItemState('a')).toBe(state)
    expect(listener).toHaveBeenCalledTimes(1)
  })

  it('an optimistic create and its echo leave exactly one row, no flash', () => {
    const store = new CollectionStore()
    const seen: unknown[] = []
    store.subscribe((changes) => seen.push(...changes.map((c) => c.after)))
    store.dispatch({
      type: 'local/write',
      mutation: { kind: 'POST', mutationId: 'm1', id: 'n', item: { title: 'x' } },
    })
    store.dispatch(added({ id: 'n', _version: 1, title: 'x' }, { mutationId: 'm1' }))
    store.dispatch(ack('m1', { id: 'n', _version: 1, title: 'x' }, 1))
    expect(store.size).toBe(1)
    expect([...store.values()]).toEqual([{ id: 'n', _version: 1, title: 'x' }])
    expect(seen.every((v) => v !== undefined)).toBe(true)
  })

  it('an echo whose ops cannot apply keeps the write visible until the refetch', () => {
    const store = storeWith(1)
    store.dispatch(patch('m1', 'a', [set('done', true)]))
    // v2 (someone else's change) was missed; my echo is v3.
    store.dispatch(changed('a', 3, [set('done', true)], { mutationId: 'm1' }))
    expect(store.peek('a')).toMatchObject({ done: true })
    expect(store.getItemState('a').hasPendingWrites).toBe(true)
    store.dispatch({ type: 'server/items', items: [todo(3, { title: 'other', done: true })] })
    expect(store.getItemState('a')).toMatchObject({ version: 3, hasPendingWrites: false })
    expect(store.peek('a')).toEqual(todo(3, { title: 'other', done: true }))
  })

  it('rejecting one of three pending writes rolls back only that one', () => {
    const store = storeWith(1)
    store.dispatch(patch('m1', 'a', [set('title', 'one')]))
    store.dispatch(patch('m2', 'a', [set('done', true)]))
    store.dispatch(patch('m3', 'a', [{ op: 'add', path: '/note', value: 'three' }]))
    const listener = vi.fn()
    store.subscribe(listener)
    store.dispatch(rejected('m2'))
    expect(store.peek('a')).toEqual(todo(1, { title: 'one', note: 'three' }))
    expect(store.getItemState('a').error?.code).toBe('FORBIDDEN')
    expect(store.getPendingMutations().map((m) => m.mutationId)).toEqual(['m1', 'm3'])
    expect(listener.mock.calls[0]![0][0].cause).toBe('rollback')
    // The next successful write clears the error.
    store.dispatch(ack('m1', todo(2, { title: 'one' }), 2))
    expect(store.getItemState('a').error).toBeNull()
    expect(store.peek('a')).toEqual(todo(2, { title: 'one', note: 'three' }))
  })

  it('a conflict adopts the server item and drops the write', () => {
    const store = storeWith(1)
    store.dispatch(patch('m1', 'a', [set('title', 'mine')]))
    const error = new LivecrudError('CONFLICT', 'version mismatch')
    store.dispatch({
      type: 'local/conflict',
      mutationId: 'm1',
      current: todo(2, { title: 'theirs' }),
      error,
    })
    expect(store.getItemState('a')).toMatchObject({
      data: todo(2, { title: 'theirs' }),
      version: 2,
      hasPendingWrites: false,
      error,
    })
    store.dispatch(patch('m2', 'a', [set('title', 'mine')]))
    // "Gone" carries no version: the item is refetched, and the GET's answer decides.
    const needs = vi.fn()
    store.onNeedsFetch(needs)
    store.dispatch({ type: 'local/conflict', mutationId: 'm2', current: null, error })
    expect(needs).toHaveBeenCalledWith(['a'])
    store.dispatch({ type: 'server/missing', id: 'a' })
    expect(store.getItemState('a').status).toBe('deleted')
  })

  it('a remembered "gone" conflict on an item that came back is settled by one read, not refetched forever', () => {
    // The server decided the retried write while the item was deleted and answers that decision
    // again (PROTOCOL §5); meanwhile the item was re-created and the client holds it at v3.
    const store = storeWith(3)
    store.dispatch(patch('m1', 'a', [set('title', 'mine')]))
    const needs = vi.fn()
    store.onNeedsFetch(needs)
    const error = new LivecrudError('CONFLICT', 'version mismatch', { current: null })
    store.dispatch({ type: 'local/conflict', mutationId: 'm1', current: null, error })
    expect(needs).toHaveBeenCalledTimes(1)
    // The refetch finds it at the version held: present, nothing more to fetch.
    store.dispatch({ type: 'server/items', items: [todo(3)] })
    expect(needs).toHaveBeenCalledTimes(1)
    expect(store.getItemState('a')).toMatchObject({ status: 'present', version: 3, data: todo(3) })
    // And a later missing answer would still have deleted it at the next version.
    const other = storeWith(3)
    other.dispatch(patch('m2', 'a', [set('title', 'x')]))
    other.dispatch({ type: 'local/conflict', mutationId: 'm2', current: null, error })
    other.dispatch({ type: 'server/missing', id: 'a' })
    expect(other.getItemState('a')).toMatchObject({ status: 'deleted', version: 4 })
  })

  it('after a conflict, a write confirmed by its echo before its ack clears the error, once', () => {
    const store = storeWith(1)
    store.dispatch(patch('m1', 'a', [set('title', 'mine')]))
    const error = new LivecrudError('CONFLICT', 'version mismatch')
    store.dispatch({ type: 'local/conflict', mutationId: 'm1', current: todo(2), error })
    expect(store.getItemState('a').error).toBe(error)
    store.dispatch(patch('m2', 'a', [set('title', 'again')]))
    const onItem = vi.fn()
    store.subscribeItem('a', onItem)
    // The echo of m2 arrives first (it applies over v2), then the ack.
    store.dispatch(changed('a', 3, [set('title', 'again')], { mutationId: 'm2' }))
    expect(store.getItemState('a')).toMatchObject({
      data: todo(3, { title: 'again' }),
      hasPendingWrites: false,
      error: null,
    })
    store.dispatch(ack('m2', todo(3, { title: 'again' }), 3))
    expect(store.getItemState('a').error).toBeNull()
    expect(onItem).toHaveBeenCalledTimes(1)
  })

  it('after a conflict, an echo that cannot be applied still confirms the write and clears the error', () => {
    const store = storeWith(1)
    store.dispatch(patch('m1', 'a', [set('title', 'mine')]))
    const error = new LivecrudError('CONFLICT', 'version mismatch')
    store.dispatch({ type: 'local/conflict', mutationId: 'm1', current: todo(2), error })
    store.dispatch(patch('m2', 'a', [set('title', 'again')]))
    // v3 was missed: the echo at v4 is not applied, the write stays shown until the refetch.
    store.dispatch(changed('a', 4, [set('title', 'again')], { mutationId: 'm2' }))
    expect(store.getItemState('a')).toMatchObject({ hasPendingWrites: true, error: null })
    expect(store.peek('a')).toMatchObject({ title: 'again' })
  })

  it('a pending DELETE hides the item; its ack tombstones it at the ack version', () => {
    const store = storeWith(1)
    store.dispatch({ type: 'local/write', mutation: { kind: 'DELETE', mutationId: 'd', id: 'a' } })
    expect(store.peek('a')).toBeUndefined()
    expect(store.getItemState('a').status).toBe('deleted')
    expect(store.size).toBe(0)
    store.dispatch(ack('d', true, 2))
    expect(store.getItemState('a')).toMatchObject({ status: 'deleted', version: 2 })
    store.dispatch(removed('a', 2, { mutationId: 'd' }))
    store.dispatch(changed('a', 2, [set('title', 'late')]))
    expect(store.peek('a')).toBeUndefined()
  })

  it('a replayed patch whose test fails is hidden and reported, not thrown', () => {
    const onReplayFailure = vi.fn()
    const store = new CollectionStore({ onReplayFailure })
    store.dispatch(added(todo(1)))
    store.dispatch(
      patch('m1', 'a', [
        { op: 'test', path: '/title', value: 'buy milk' },
        set('title', 'buy bread'),
      ]),
    )
    store.dispatch(patch('m2', 'a', [set('done', true)]))
    expect(store.peek('a')).toEqual(todo(1, { title: 'buy bread', done: true }))
    store.dispatch(changed('a', 2, [set('title', 'buy eggs')]))
    expect(store.peek('a')).toEqual(todo(2, { title: 'buy eggs', done: true }))
    expect(onReplayFailure).toHaveBeenCalledTimes(1)
    expect(onReplayFailure.mock.calls[0]![0].mutation.mutationId).toBe('m1')
    store.dispatch(changed('a', 3, [set('done', false)]))
    expect(onReplayFailure).toHaveBeenCalledTimes(1) // reported once
    expect(store.getPendingMutations()).toHaveLength(2) // the server decides its fate
  })

  it('writes of unknown outcome simply stay pending across server events', () => {
    const store = storeWith(1)
    store.dispatch(patch('m1', 'a', [set('done', true)]))
    store.dispatch(changed('a', 2, [set('title', 'x')]))
    store.dispatch({ type: 'server/reset', items: [todo(3, { title: 'y' })], absent: [] })
    expect(store.peek('a')).toEqual(todo(3, { title: 'y', done: true }))
    expect(store.hasPendingWrites('a')).toBe(true)
  })

  it('a reset with an absent id keeps a pending re-create visible', () => {
    const store = storeWith(1)
    store.dispatch({
      type: 'local/write',
      mutation: { kind: 'PUT', mutationId: 'p', id: 'a', item: { title: 'mine' } },
    })
    store.dispatch({ type: 'server/reset', items: [], absent: ['a'] })
    expect(store.getConfirmed('a')).toMatchObject({ deleted: true })
    expect(store.peek('a')).toEqual({ id: 'a', _version: 1, title: 'mine' })
  })

  it('ack/reject/conflict of unknown mutations are no-ops; a duplicate mutationId is refused', () => {
    const onError = vi.fn()
    const store = new CollectionStore({ onError })
    store.dispatch(added(todo(1)))
    const state = store.getItemState('a')
    store.dispatch(ack('zz', true, 9))
    store.dispatch(rejected('zz'))
    expect(store.getItemState('a')).toBe(state)
    store.dispatch(patch('m1', 'a', [set('done', true)]))
    store.dispatch(patch('m1', 'a', [set('title', 'twice')]))
    expect(onError).toHaveBeenCalledTimes(1)
    expect(store.peek('a')).toEqual(todo(1, { done: true }))
  })

  it('an ack without meta still settles: item results by their _version, DELETE at the known version', () => {
    const store = storeWith(1)
    store.dispatch(patch('m1', 'a', [set('done', true)]))
    store.dispatch(ack('m1', todo(2, { done: true })))
    expect(store.getItemState('a')).toMatchObject({ version: 2, hasPendingWrites: false })
    store.dispatch({ type: 'local/write', mutation: { kind: 'DELETE', mutationId: 'd', id: 'a' } })
    store.dispatch(ack('d', true))
    expect(store.getItemState('a')).toMatchObject({ status: 'deleted', version: 2 })
    // The REMOVED that follows moves the tombstone to its real version.
    store.dispatch(removed('a', 3, { mutationId: 'd' }))
    expect(store.getItemState('a').version).toBe(3)
  })

  it('an ack whose item carries another id confirms the write and adopts the item under its id', () => {
    const store = new CollectionStore()
    store.dispatch({
      type: 'local/write',
      mutation: { kind: 'POST', mutationId: 'm1', id: 'tmp', item: { title: 'x' } },
    })
    store.dispatch(ack('m1', { id: 'srv-1', _version: 1, title: 'x' }, 1))
    expect(store.peek('tmp')).toBeUndefined()
    expect(store.peek('srv-1')).toEqual({ id: 'srv-1', _version: 1, title: 'x' })
    expect(store.getPendingMutations()).toEqual([])
  })

  it('getPendingMutations keeps its identity while unchanged; item states are frozen', () => {
    const store = storeWith(1)
    store.dispatch(patch('m1', 'a', [set('done', true)]))
    const list = store.getPendingMutations()
    store.dispatch(changed('a', 2, [set('title', 'x')]))
    expect(store.getPendingMutations()).toBe(list)
    expect(Object.isFrozen(list[0])).toBe(true)
    expect(Object.isFrozen(store.getItemState('a'))).toBe(true)
  })
})
