import { useCallback, useMemo, useSyncExternalStore } from 'react'
import type { LiveQuery, LiveQuerySnapshot, QueryStatus } from '../client/types.js'
import type { LivecrudError } from '../protocol/errors.js'
import type { Id, Item, ListQuery } from '../protocol/types.js'
import type { HookOptions } from './useLivecrudClient.js'
import { useLiveQuery, whenSettled } from './useLiveQuery.js'

export interface UseItemIdsOptions extends HookOptions {
  /** Suspend while the first page loads; throw its error to an error boundary. */
  suspense?: boolean
}

export interface UseItemIdsResult {
  /** The page's ids in order: the same array while order and membership are unchanged. */
  ids: Id[]
  total: number
  status: QueryStatus
  error: LivecrudError | null
  /** With a persistence: true while the page shown is the cached one (see `LiveQuerySnapshot`). */
  fromCache?: boolean
}

/**
 * The ids of a live page, for lists that render one row component per id, each calling `useItem`:
 *
 * ```tsx
 * function TodoList() {
 *   const { ids, status } = useItemIds('todos', { sort: 'title', pageSize: 100 })
 *   if (status === 'pending') return <Spinner />
 *   return <ul>{ids.map((id) => <TodoRow key={id} id={id} />)}</ul>
 * }
 * const TodoRow = memo(function TodoRow({ id }: { id: string }) {
 *   const { data, isPending } = useItem<Todo>('todos', id)
 *   return <li className={isPending ? 'saving' : ''}>{data?.title}</li>
 * })
 * ```
 *
 * A change to one item's content re-renders that row only: the list keeps the same `ids` array, so it
 * does not re-render. The list re-renders when ids, order, `total`, `status` or `error` change; `memo` on
 * the row then keeps the unchanged rows from re-rendering with it. `isFetching` is left out on purpose,
 * so a background refetch that changes nothing re-renders nothing.
 */
export function useItemIds(
  collection: string,
  query?: ListQuery,
  options: UseItemIdsOptions = {},
): UseItemIdsResult {
  const liveQuery = useLiveQuery(collection, query, options)
  const subscribe = useCallback(
    (onChange: () => void) => liveQuery.subscribe(onChange),
    [liveQuery],
  )
  const getSnapshot = useMemo(() => idsGetter(liveQuery), [liveQuery])
  const result = useSyncExternalStore(subscribe, getSnapshot, getSnapshot)
  if (options.suspense) {
    if (result.status === 'pending') throw whenSettled(liveQuery)
    if (result.status === 'error') throw result.error
  }
  return result
}

function idsGetter(liveQuery: LiveQuery<Item>): () => UseItemIdsResult {
  let lastSnapshot: LiveQuerySnapshot<Item> | undefined
  let last: UseItemIdsResult | undefined
  return () => {
    const s = liveQuery.getSnapshot()
    if (last && s === lastSnapshot) return last
    lastSnapshot = s
    if (
      last &&
      s.ids === last.ids &&
      s.total === last.total &&
      s.status === last.status &&
      s.error === last.error &&
      s.fromCache === last.fromCache
    )
      return last
    last = { ids: s.ids, total: s.total, status: s.status, error: s.error }
    if (s.fromCache) last.fromCache = true
    return last
  }
}
