import type { CollectionHandle, LiveQuery } from '../client/types.js'
import type { Item, ListQuery } from '../protocol/types.js'

/** How long a live query nobody subscribes to stays shared (a suspended render retries within this). */
export const SHARED_QUERY_GRACE_MS = 1000

interface Entry {
  shared: LiveQuery<any>
  refs: number
  timer: ReturnType<typeof setTimeout> | undefined
}

const byHandle = new WeakMap<CollectionHandle<any>, Map<string, Entry>>()

/**
 * One live query object per collection and query key for all hooks. React throws away the memoized values
 * of a render that suspends or is abandoned, so without this a suspended `useItems` would build a new live
 * query on every retry. Entries live while subscribed, and for a grace period after.
 */
export function sharedLiveQuery<T extends Item>(
  handle: CollectionHandle<T>,
  key: string,
  query: ListQuery | undefined,
): LiveQuery<T> {
  let entries = byHandle.get(handle)
  if (!entries) byHandle.set(handle, (entries = new Map()))
  const existing = entries.get(key)
  if (existing) return existing.shared
  const map = entries
  const inner = handle.query(query)
  const entry: Entry = { shared: undefined!, refs: 0, timer: undefined }
  const release = () => {
    clearTimeout(entry.timer)
    entry.timer = setTimeout(() => {
      if (entry.refs === 0 && map.get(key) === entry) map.delete(key)
    }, SHARED_QUERY_GRACE_MS)
  }
  entry.shared = {
    subscribe(listener) {
      entry.refs++
      clearTimeout(entry.timer)
      const off = inner.subscribe(listener)
      let done = false
      return () => {
        if (done) return
        done = true
        off()
        if (--entry.refs === 0) release()
      }
    },
    getSnapshot: () => inner.getSnapshot(),
    refetch: () => inner.refetch(),
  }
  map.set(key, entry)
  // Created during a render that may never commit: forget it unless someone subscribes.
  release()
  return entry.shared
}
