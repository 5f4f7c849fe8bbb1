import { useCallback, useEffect, useMemo, useSyncExternalStore } from 'react'
import type { CollectionHandle, ItemState } from '../client/types.js'
import type { LivecrudError } from '../protocol/errors.js'
import type { Id, Item } from '../protocol/types.js'
import { itemFetchesOf, type ItemFetch, type ItemFetches } from './itemFetches.js'
import { useLivecrudClient, type HookOptions } from './useLivecrudClient.js'

export interface UseItemOptions extends HookOptions {
  /** Suspend (throw the GET's promise) while the item is unknown; throw its error to an error boundary. */
  suspense?: boolean
}

export interface UseItemResult<T extends Item = Item> {
  /** The visible item (server state with pending writes replayed); undefined while loading, when missing or deleted. */
  data: T | undefined
  /** 'pending' while the store does not know the item and a GET runs; 'success' once known (even as missing). */
  status: 'pending' | 'success' | 'error'
  /** The failed GET's error while the item is unknown, else the item's last write error. */
  error: LivecrudError | null
  /** True while local writes to this item await the server (not the loading state: see `status`). */
  isPending: boolean
}

/**
 * One item, live: served from the collection's store, fetched once when the store does not know it, and
 * re-rendered only when that item's state changes (the store keeps `ItemState` identity while unchanged).
 */
export function useItem<T extends Item = Item>(
  collection: string,
  id: Id,
  options: UseItemOptions = {},
): UseItemResult<T> {
  const client = useLivecrudClient(options.client)
  const handle = useMemo(() => client.collection<T>(collection), [client, collection])
  const fetches = itemFetchesOf(handle)
  const subscribe = useCallback(
    (onChange: () => void) => {
      const offItem = handle.subscribeItem(id, onChange)
      const offFetch = fetches.subscribe(id, onChange)
      return () => {
        offItem()
        offFetch()
      }
    },
    [handle, fetches, id],
  )
  const getSnapshot = useMemo(() => itemResultGetter(handle, fetches, id), [handle, fetches, id])
  const result = useSyncExternalStore(subscribe, getSnapshot, getSnapshot)

  const unknown = result.status === 'pending' && fetches.get(id) === undefined
  if (options.suspense) {
    // Starting the GET during render is what Suspense needs: nothing mounts until it settles.
    if (result.status === 'pending') throw fetches.ensure(id).promise
    if (result.status === 'error') throw result.error
  }
  useEffect(() => {
    if (unknown) fetches.ensure(id)
  }, [unknown, fetches, id])
  return result
}

/** A getSnapshot returning the same result object while what it shows is unchanged. */
function itemResultGetter<T extends Item>(
  handle: CollectionHandle<T>,
  fetches: ItemFetches,
  id: Id,
): () => UseItemResult<T> {
  let lastState: ItemState<T> | undefined
  let lastFetch: ItemFetch | undefined
  let last: UseItemResult<T> | undefined
  return () => {
    const state = handle.getItemState(id)
    const fetch = fetches.get(id)
    if (last && state === lastState && fetch === lastFetch) return last
    lastState = state
    lastFetch = fetch
    const next = toResult(state, fetch)
    // A GET starting changes nothing visible: keep the object so React sees no change.
    if (
      last &&
      next.data === last.data &&
      next.status === last.status &&
      next.error === last.error &&
      next.isPending === last.isPending
    )
      return last
    return (last = next)
  }
}

function toResult<T extends Item>(
  state: ItemState<T>,
  fetch: ItemFetch | undefined,
): UseItemResult<T> {
  const known = state.status !== 'unknown' || state.data !== undefined
  const status =
    known || fetch?.status === 'done' ? 'success' : fetch?.status === 'error' ? 'error' : 'pending'
  return {
    data: state.data,
    status,
    error: status === 'error' ? fetch!.error : state.error,
    isPending: state.hasPendingWrites,
  }
}
