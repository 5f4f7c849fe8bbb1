import { compileViewComparator } from '../client/liveList/compileViewComparator.js'
import type { StoreRegistry } from '../client/StoreRegistry.js'
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

    query<Q extends LiveQuery<any>>(collection: string, query: ListQuery, live: Q): Q {
      const q = normalizeQuery(query)
      if (!q.ok) return live
      const { page, pageSize, sort, filters } = q.value
      const keep = compileFilter(filters)
      const order = compileViewComparator(sort)
      const store = stores.get(collection)
      let rev = -1
      let shown = false
      let local: LiveQuerySnapshot | undefined
      const cacheView = (s: LiveQuerySnapshot): LiveQuerySnapshot => {
        const now = (store as FullStore).api?.getState().rev ?? 0
        if (!local || now !== rev || local.isFetching !== s.isFetching) {
          rev = now
          const all: Item[] = []
          for (const item of (store as FullStore).values?.() ?? []) if (keep(item)) all.push(item)
          const items = all.sort(order).slice((page - 1) * pageSize, page * pageSize)
          const ids = items.map((i) => i.id)
          local = {
            items,
            ids,
            total: all.length,
            status: 'success',
            error: null,
            isFetching: s.isFetching,
          }
          local.fromCache = true
        }
        return local
      }
      return {
        ...live,
        subscribe: (listener: () => void) => {
          const off = live.subscribe(listener)
          const unwatch = watch(collection, listener)
          // The cached page follows the store (the live list itself waits for its LIST).
          const offStore = store.subscribe(() => shown && listener())
          return () => (off(), unwatch(), offStore())
        },
        getSnapshot: () => {
          const s = live.getSnapshot()
          shown = restored.has(collection) && (cached.has(collection) || s.status === 'pending')
          return shown ? cacheView(s) : s
        },
      }
    },
  }
}
