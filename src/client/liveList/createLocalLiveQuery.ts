import { LivecrudError } from '../../protocol/errors.js'
import { normalizeQuery } from '../../protocol/query.js'
import type { Id, Item, ListQuery } from '../../protocol/types.js'
import type { LiveQuery, LiveQuerySnapshot, StoreChange } from '../types.js'
import { SortedView } from './SortedView.js'

/** What a local view reads: every visible item of the collection, and its changes. */
export interface LocalViewStore<T extends Item = Item> {
  values(): Iterable<T>
  subscribe(listener: (changes: StoreChange<T>[]) => void): () => void
}

/**
 * The big-view mode: a live query evaluated entirely over the items the store holds (no LIST), for
 * collections loaded whole. Every page is exact; one change costs O(log n) comparisons plus a shift of
 * the items between its old and new place. While observed, the view follows the store; when observed
 * again after a pause it is rebuilt.
 */
export function createLocalLiveQuery<T extends Item>(
  store: LocalViewStore<T>,
  query: ListQuery = {},
): LiveQuery<T> {
  const q = normalizeQuery(query, { maxPageSize: Number.MAX_SAFE_INTEGER })
  const view = q.ok ? new SortedView(q.value) : undefined
  const listeners = new Set<() => void>()
  let stop: (() => void) | undefined
  let built = false
  let dirty = true
  let snapshot: LiveQuerySnapshot<T> = {
    items: [],
    ids: [],
    total: 0,
    status: q.ok ? 'success' : 'error',
    error: q.ok ? null : new LivecrudError('BAD_REQUEST', q.message),
    isFetching: false,
  }

  const ensureBuilt = () => {
    if (!view || built) return
    view.build(store.values())
    built = true
    dirty = true
  }

  // Changes past the end of the page leave it as it was: only a different total is news then.
  const pageEnd = q.ok ? q.value.page * q.value.pageSize : 0
  const onChanges = (changes: StoreChange<T>[]) => {
    let lowest = Infinity
    for (const c of changes) {
      const at = view!.apply(c.id, c.before, c.after)
      if (at >= 0 && at < lowest) lowest = at
    }
    if (lowest >= pageEnd && view!.total === snapshot.total) return
    dirty = true
    for (const l of [...listeners]) l()
  }

  const getSnapshot = (): LiveQuerySnapshot<T> => {
    if (!view) return snapshot
    // Unobserved, the view does not follow the store: read it fresh.
    if (!stop) built = false
    ensureBuilt()
    if (!dirty) return snapshot
    dirty = false
    const vals = view.page(q.ok ? q.value.page : 1, q.ok ? q.value.pageSize : 0) as T[]
    const prev = snapshot
    let sameIds = prev.ids.length === vals.length
    let sameItems = sameIds
    const ids: Id[] = new Array<Id>(vals.length)
    for (let i = 0; i < vals.length; i++) {
      ids[i] = vals[i]!.id
      if (sameIds && prev.ids[i] !== ids[i]) sameIds = false
      if (sameItems && prev.items[i] !== vals[i]) sameItems = false
    }
    if (sameIds && sameItems && prev.total === view.total) return prev
    snapshot = {
      ...prev,
      ids: sameIds ? prev.ids : ids,
      items: sameItems ? prev.items : vals,
      total: view.total,
    }
    return snapshot
  }

  return {
    subscribe(listener) {
      listeners.add(listener)
      if (!stop && view) {
        built = false
        const off = store.subscribe(onChanges)
        stop = () => off()
        ensureBuilt()
      }
      return () => {
        if (!listeners.delete(listener) || listeners.size > 0) return
        stop?.()
        stop = undefined
      }
    },
    getSnapshot,
    async refetch() {
      built = false
      ensureBuilt()
      for (const l of [...listeners]) l()
    },
  }
}
