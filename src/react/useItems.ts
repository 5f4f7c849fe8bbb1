import { useCallback, useMemo, useSyncExternalStore } from 'react'
import type { LiveQuery, LiveQuerySnapshot, QueryStatus } from '../client/types.js'
import type { LivecrudError } from '../protocol/errors.js'
import type { Item, ListQuery } from '../protocol/types.js'
import type { HookOptions } from './useLivecrudClient.js'
import { useLiveQuery, whenSettled } from './useLiveQuery.js'

export interface UseItemsOptions extends HookOptions {
  /** Suspend while the first page loads; throw its error to an error boundary. */
  suspense?: boolean
}

export interface UseItemsResult<T extends Item = Item> {
  /** The page's items in order; unchanged items keep their identity across updates. */
  data: T[]
  /** Matching items in the whole collection (all pages). */
  total: number
  status: QueryStatus
  error: LivecrudError | null
  /** True while a request for this list runs (first load or a refetch). */
  isFetching: boolean
  /** With a persistence: true while the page shown is the cached one (see `LiveQuerySnapshot`). */
  fromCache?: boolean
}

/**
 * A live page of a collection: `{ page, pageSize, sort, filters }`, kept sorted, filtered and paged as
 * events arrive. A new query object each render is fine: equal queries share one live query.
 */
export function useItems<T extends Item = Item>(
  collection: string,
  query?: ListQuery,
  options: UseItemsOptions = {},
): UseItemsResult<T> {
  const liveQuery = useLiveQuery<T>(collection, query, options)
  const snapshot = useLiveQuerySnapshot(liveQuery)
  if (options.suspense) {
    if (snapshot.status === 'pending') throw whenSettled(liveQuery)
    if (snapshot.status === 'error') throw snapshot.error
  }
  return useMemo(
    () => ({
      data: snapshot.items,
      total: snapshot.total,
      status: snapshot.status,
      error: snapshot.error,
      isFetching: snapshot.isFetching,
      ...(snapshot.fromCache ? { fromCache: true } : {}),
    }),
    [snapshot],
  )
}

export function useLiveQuerySnapshot<T extends Item>(
  liveQuery: LiveQuery<T>,
): LiveQuerySnapshot<T> {
  const subscribe = useCallback(
    (onChange: () => void) => liveQuery.subscribe(onChange),
    [liveQuery],
  )
  const getSnapshot = useCallback(() => liveQuery.getSnapshot(), [liveQuery])
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot)
}
