import { LivecrudError } from '../../protocol/errors.js'
import type { Id, Item, ListQuery } from '../../protocol/types.js'
import type { LiveQueryContext } from '../LiveQueryContext.js'
import type { LiveQuery, LiveQuerySnapshot, StoreChange } from '../types.js'

/** Coalesces bursts of store changes into one LIST. */
const REFETCH_DELAY_MS = 30

/**
 * Placeholder live query owned by the live-list layer (H4 replaces it with exact local evaluation):
 * it lists from the server, shows the store's visible values for the page's ids, and refetches when
 * a change outside the page or a reset may have changed membership.
 */
export function createLiveQuery<T extends Item>(
  context: LiveQueryContext<T>,
  query: ListQuery,
): LiveQuery<T> {
  const listeners = new Set<() => void>()
  let snapshot: LiveQuerySnapshot<T> = {
    items: [],
    ids: [],
    total: 0,
    status: 'pending',
    error: null,
    isFetching: false,
  }
  let stop: (() => void) | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let generation = 0

  const publish = (next: Partial<LiveQuerySnapshot<T>>) => {
    snapshot = { ...snapshot, ...next }
    for (const l of [...listeners]) l()
  }

  const visible = (ids: Id[], fallback: Map<Id, T>): T[] =>
    ids.flatMap((id) => {
      const v = context.store.peek(id) ?? fallback.get(id)
      return v ? [v] : []
    })

  const refetch = async (): Promise<void> => {
    const mine = ++generation
    publish({ isFetching: true })
    try {
      const result = await context.list(query)
      if (mine !== generation) return
      const byId = new Map(result.items.map((i) => [i.id, i as T]))
      const ids = result.items.map((i) => i.id)
      publish({
        ids,
        items: visible(ids, byId),
        total: result.total,
        status: 'success',
        error: null,
        isFetching: false,
      })
    } catch (error) {
      if (mine !== generation) return
      const e =
        error instanceof LivecrudError ? error : new LivecrudError('INTERNAL', String(error))
      publish({ status: 'error', error: e, isFetching: false })
    }
  }

  const schedule = () => {
    clearTimeout(timer)
    timer = setTimeout(() => void refetch(), REFETCH_DELAY_MS)
  }

  const onChanges = (changes: StoreChange<T>[]) => {
    const onPage = new Set(snapshot.ids)
    if (changes.some((c) => onPage.has(c.id)))
      publish({ items: visible(snapshot.ids, new Map(snapshot.items.map((i) => [i.id, i]))) })
    schedule()
  }

  const start = () => {
    const release = context.acquire()
    const unsubscribe = context.store.subscribe(onChanges)
    const unReset = context.onReset(schedule)
    void refetch()
    stop = () => {
      clearTimeout(timer)
      generation++
      unReset()
      unsubscribe()
      release()
    }
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
    getSnapshot: () => snapshot,
    refetch,
  }
}
