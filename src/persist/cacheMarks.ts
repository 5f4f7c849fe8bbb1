import { compileViewComparator } from '../client/liveList/compileViewComparator.js'
import type { StoreLike, StoreRegistry } from '../client/StoreRegistry.js'
import type { ItemState, LiveQuery, LiveQuerySnapshot } from '../client/types.js'
import { compileFilter, normalizeQuery } from '../protocol/query.js'
import type { Item, ListQuery } from '../protocol/types.js'

/** What a CollectionStore offers beyond StoreLike (duck-typed: the registry may hold other stores). */
export interface FullStore {
  values?(): Iterable<Item>
  getConfirmed?(id: string): { item: Item | undefined; deleted: boolean } | undefined
  api?: { getState(): { rev: number } }
}

export type CacheMarks = ReturnType<typeof cacheMarks>

/**
 * `fromCache` on item states and live-query snapshots: set for a collection from its restore until its
 * first join caught up with the server. While a live list has no answer of its own, it shows the
 * cached items evaluated locally (filter, sort, page), so a page loaded offline shows its lists at once.
 */
export function cacheMarks(stores: StoreRegistry) {
  /** Restored from the cache, not confirmed yet. */
  const cached = new Set<string>()
  /** Ever restored (a list still waiting for its first LIST keeps showing the cache). */
  const restored = new Set<string>()
  const listeners = new Map<string, Set<() => void>>()
  const memo = new WeakMap<ItemState, ItemState>()

  const watch = (collection: string, listener: () => void) => {
    let set = listeners.get(collection)
    if (!set) listeners.set(collection, (set = new Set()))
    set.add(listener)
    return () => void set.delete(listener)
  }

  return {
    restored,
    watch,
    mark(collection: string, on: boolean): void {
      if (on) restored.add(collection)
      if (on === cached.has(collection)) return
      if (on) cached.add(collection)
      else cached.delete(collection)
      for (const l of [...(listeners.get(collection) ?? [])]) l()
    },

    itemState<T extends ItemState>(collection: string, state: T): T {
      if (!cached.has(collection) || state.status === 'unknown') return state
      let marked = memo.get(state)
      if (!marked) memo.set(state, (marked = Object.freeze({ ...state, fromCache: true })))
      return marked as T
    },

    /** Wraps `live` (in place): the cached page while the collection is unconfirmed. */
    query<Q extends LiveQuery<any>>(collection: string, query: ListQuery, live: Q): Q {
      const q = normalizeQuery(query)
      if (!q.ok) return live
      const { page, pageSize, sort, filters } = q.value
      const keep = compileFilter(filters)
      const order = compileViewComparator(sort)
      const store = stores.get(collection) as StoreLike & FullStore
      const { subscribe, getSnapshot } = live
      let shown = false
      let again = true
      let key: unknown
      let local: LiveQuerySnapshot
      live.subscribe = (listener) => {
        // Confirmed: a cached list whose LIST failed while offline asks once more.
        const check = () => {
          const s = getSnapshot()
          if (
            again &&
            restored.has(collection) &&
            !cached.has(collection) &&
            s.error &&
            !s.isFetching
          ) {
            again = false
            void live.refetch()
          }
          listener()
        }
        const off = subscribe(check)
        const unwatch = watch(collection, check)
        // The cached page follows the store (the live list itself waits for its LIST).
        const offStore = store.subscribe(() => shown && listener())
        return () => (off(), unwatch(), offStore())
      }
      live.getSnapshot = () => {
        const s = getSnapshot()
        shown =
          restored.has(collection) &&
          (cached.has(collection) || s.status === 'pending' || (s.isFetching && !!s.error))
        if (!shown) return s
        const now = `${store.api?.getState().rev}${s.isFetching}`
        if (key !== now) {
          key = now
          const all = [...(store.values?.() ?? [])].filter(keep)
          const items = all.sort(order).slice((page - 1) * pageSize, page * pageSize)
          local = { ...s, items, ids: items.map((i) => i.id), total: all.length, error: null }
          local.status = 'success'
          local.fromCache = true
        }
        return local
      }
      return live
    },
  }
}
