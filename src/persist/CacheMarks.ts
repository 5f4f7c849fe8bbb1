import { applyQuery, normalizeQuery } from '../protocol/query.js'
import type { Item, ListQuery } from '../protocol/types.js'
import type { StoreRegistry } from '../client/StoreRegistry.js'
import type { ItemState, LiveQuery, LiveQuerySnapshot } from '../client/types.js'

/** What a CollectionStore offers beyond StoreLike (duck-typed: the registry may hold other stores). */
export interface FullStore {
  values?(): Iterable<Item>
  getConfirmed?(id: string): { item: Item | undefined; deleted: boolean } | undefined
  api?: { getState(): { rev: number } }
}

/**
 * `fromCache` on item states and live-query snapshots: set for a collection from its restore until its
 * first join caught up with the server. While a live list has no answer of its own, it shows the
 * cached items evaluated locally (filter, sort, page), so a page loaded offline shows its lists at once.
 */
export class CacheMarks {
  /** Restored from the cache, not confirmed yet. */
  readonly cached = new Set<string>()
  /** Ever restored (a list still waiting for its first LIST keeps showing the cache). */
  readonly restored = new Set<string>()
  private readonly listeners = new Map<string, Set<() => void>>()
  private readonly memo = new WeakMap<object, object>()

  constructor(private readonly stores: StoreRegistry) {}

  mark(collection: string, on: boolean): void {
    if (on) this.restored.add(collection)
    if (on === this.cached.has(collection)) return
    if (on) this.cached.add(collection)
    else this.cached.delete(collection)
    for (const l of [...(this.listeners.get(collection) ?? [])]) l()
  }

  watch(collection: string, listener: () => void): () => void {
    let set = this.listeners.get(collection)
    if (!set) this.listeners.set(collection, (set = new Set()))
    set.add(listener)
    return () => set.delete(listener)
  }

  itemState<T extends ItemState>(collection: string, state: T): T {
    if (!this.cached.has(collection) || state.status === 'unknown') return state
    return this.memoize(state, () => Object.freeze({ ...state, fromCache: true }))
  }

  query<Q extends LiveQuery<any>>(collection: string, query: ListQuery, live: Q): Q {
    const q = normalizeQuery(query)
    if (!q.ok) return live
    const store = this.stores.get(collection) as unknown as FullStore
    let rev = -1
    let shown = false
    let local: LiveQuerySnapshot | undefined
    const cacheView = (s: LiveQuerySnapshot): LiveQuerySnapshot => {
      const now = store.api?.getState().rev ?? 0
      if (!local || now !== rev || local.isFetching !== s.isFetching) {
        rev = now
        const { items, total } = applyQuery(store.values?.() ?? [], q.value)
        const ids = items.map((i) => i.id)
        local = { items, ids, total, status: 'success', error: null, isFetching: s.isFetching }
        local.fromCache = true
      }
      return local
    }
    return {
      ...live,
      subscribe: (listener: () => void) => {
        const off = live.subscribe(listener)
        const unwatch = this.watch(collection, listener)
        // The cached page follows the store (the live list itself waits for its LIST).
        const offStore = this.stores.get(collection).subscribe(() => {
          if (shown) listener()
        })
        return () => (off(), unwatch(), offStore())
      },
      getSnapshot: () => {
        const s = live.getSnapshot()
        const show =
          this.restored.has(collection) && (this.cached.has(collection) || s.status === 'pending')
        shown = show
        return show ? cacheView(s) : s
      },
    } as Q
  }

  private memoize<T>(key: object, make: () => T): T {
    let value = this.memo.get(key) as T | undefined
    if (!value) this.memo.set(key, (value = make()) as object)
    return value
  }
}
