import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CollectionStore } from '../../../src/client/store/index.js'
import type { Item } from '../../../src/protocol/index.js'
import { added, changed, removed, set } from './helpers.js'

const TTL = 1_000
const item = (id: string, version = 1, fields: Record<string, unknown> = {}): Item => ({
  id,
  _version: version,
  n: 0,
  ...fields,
})

/** Any flush runs the expiry: one event on an unrelated item. */
let tick = 1
const touchOther = (store: CollectionStore) =>
  store.dispatch(changed('other', ++tick, [set('n', tick)]))

function storeWithDeleted() {
  const store = new CollectionStore({ tombstoneTtl: TTL })
  store.dispatch(added(item('other')))
  tick = 1
  store.dispatch(added(item('a', 1)))
  store.dispatch(removed('a', 2))
  return store
}

describe('CollectionStore: tombstones', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(0)
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('within the TTL a late read of the deleted item cannot bring it back', () => {
    const store = storeWithDeleted()
    vi.setSystemTime(TTL - 1)
    touchOther(store)
    store.dispatch({ type: 'server/items', items: [item('a', 1)] })
    expect(store.peek('a')).toBeUndefined()
    expect(store.getItemState('a').status).toBe('deleted')
    expect(store.knownIds()).toContain('a')
  })

  it('after the TTL an unobserved tombstone is dropped at the next flush', () => {
    const store = storeWithDeleted()
    vi.setSystemTime(TTL + 1)
    expect(store.knownIds()).toContain('a') // nothing flushed yet
    touchOther(store)
    expect(store.knownIds()).not.toContain('a')
    expect(store.getItemState('a').status).toBe('unknown')
    expect(store.size).toBe(1)
  })

  it('a newer ADDED re-creates the item and no expiry removes it later', () => {
    const store = storeWithDeleted()
    store.dispatch(added(item('a', 3, { n: 7 })))
    vi.setSystemTime(10 * TTL)
    touchOther(store)
    expect(store.peek('a')).toMatchObject({ _version: 3, n: 7 })
  })

  it('an observed tombstone is kept past the TTL, then dropped a TTL after its listener leaves', () => {
    const store = storeWithDeleted()
    const stop = store.subscribeItem('a', () => {})
    vi.setSystemTime(TTL + 1)
    touchOther(store)
    expect(store.getItemState('a').status).toBe('deleted')
    stop()
    // Checked again one TTL after the check that found it observed.
    vi.setSystemTime(2 * TTL)
    touchOther(store)
    expect(store.getItemState('a').status).toBe('deleted')
    vi.setSystemTime(2 * TTL + 2)
    touchOther(store)
    expect(store.knownIds()).not.toContain('a')
  })

  it('a tombstone under a pending write is kept', () => {
    const store = storeWithDeleted()
    store.dispatch({
      type: 'local/write',
      mutation: { kind: 'PATCH', mutationId: 'm1', id: 'a', ops: [set('n', 1)] },
    })
    vi.setSystemTime(5 * TTL)
    touchOther(store)
    expect(store.knownIds()).toContain('a')
    expect(store.hasPendingWrites('a')).toBe(true)
  })

  it('an invalid TTL falls back to the default (60 s)', () => {
    const store = new CollectionStore({ tombstoneTtl: -5 })
    store.dispatch(added(item('other')))
    tick = 1
    store.dispatch(added(item('a')))
    store.dispatch(removed('a', 2))
    vi.setSystemTime(59_000)
    touchOther(store)
    expect(store.knownIds()).toContain('a')
    vi.setSystemTime(61_000)
    touchOther(store)
    expect(store.knownIds()).not.toContain('a')
  })
})
