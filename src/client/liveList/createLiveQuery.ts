import type { Item, ListQuery } from '../../protocol/types.js'
import type { LiveQuery, LiveQuerySnapshot } from '../types.js'
import { LiveLists, toLivecrudError, type ListEntry, type LiveListContext } from './LiveLists.js'

const managers = new WeakMap<object, LiveLists<Item>>()

/** The LiveLists of a context (one per collection of a client), made on first use. */
export function liveListsOf<T extends Item>(context: LiveListContext<T>): LiveLists<T> {
  let m = managers.get(context)
  if (!m) {
    m = new LiveLists(context as unknown as LiveListContext<Item>)
    managers.set(context, m)
  }
  return m as unknown as LiveLists<T>
}

/** Stops the live lists of a context (call on client close); their QueryClient too when they made it. */
export function disposeLiveLists(context: LiveListContext): void {
  const m = managers.get(context)
  if (!m) return
  managers.delete(context)
  m.dispose()
}

/** Refetches every observed live list of the context's collection (after a reset or resync). */
export function refetchLiveLists(context: LiveListContext): Promise<void> {
  return managers.get(context)?.refetchAll() ?? Promise.resolve()
}

/**
 * A live list: `collection.query(q)`. Identical queries share one list and one LIST; the snapshot is
 * the same object while nothing visible changed, `ids` the same array while order and membership hold.
 */
export function createLiveQuery<T extends Item>(
  context: LiveListContext<T>,
  query: ListQuery = {},
): LiveQuery<T> {
  const lists = liveListsOf(context)
  let normalized: ReturnType<LiveLists<T>['normalize']> | undefined
  let invalid: ReturnType<typeof toLivecrudError> | undefined
  try {
    normalized = lists.normalize(query)
  } catch (error) {
    invalid = toLivecrudError(error)
  }
  const listeners = new Set<() => void>()
  let entry: ListEntry<T> | undefined
  let stop: (() => void) | undefined
  let snapshot: LiveQuerySnapshot<T> | undefined

  const current = (): ListEntry<T> | undefined => {
    if (!normalized) return undefined
    if (!entry || entry.disposed) entry = lists.entry(normalized)
    return entry
  }
  const emit = () => {
    for (const l of [...listeners]) l()
  }

  const start = () => {
    const e = current()
    if (!e) return
    lists.attach(e)
    const observer = lists.observe(e)
    const offObserver = observer.subscribe(emit)
    const offList = e.list.subscribe(emit)
    stop = () => {
      offList()
      offObserver()
      observer.destroy()
      lists.detach(e)
    }
  }

  const getSnapshot = (): LiveQuerySnapshot<T> => {
    const e = current()
    if (!e) {
      snapshot ??= {
        items: [],
        ids: [],
        total: 0,
        status: 'error',
        error: invalid ?? null,
        isFetching: false,
      }
      return snapshot
    }
    const view = e.list.getView()
    const state = e.query.state
    const failed = state.status === 'error'
    const status = e.list.hasData ? (failed ? 'error' : 'success') : state.status
    const error = failed && state.error ? toLivecrudError(state.error) : null
    // A list that let go of its collection subscription may have missed events: its page is not
    // current until the refetch that observing it again starts (a render reads before it subscribes).
    const isFetching = state.fetchStatus === 'fetching' || e.refetchScheduled || e.lapsed
    const prev = snapshot
    if (
      prev &&
      prev.ids === view.ids &&
      prev.items === view.items &&
      prev.total === view.total &&
      prev.status === status &&
      prev.error === error &&
      prev.isFetching === isFetching
    )
      return prev
    snapshot = { items: view.items, ids: view.ids, total: view.total, status, error, isFetching }
    return snapshot
  }

  return {
    subscribe(listener) {
      listeners.add(listener)
      if (listeners.size === 1 && !stop) start()
      return () => {
        if (!listeners.delete(listener) || listeners.size > 0) return
        stop?.()
        stop = undefined
      }
    },
    getSnapshot,
    async refetch() {
      const e = current()
      if (e) await lists.refetch(e)
    },
  }
}
