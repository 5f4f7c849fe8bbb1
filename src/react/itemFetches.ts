import type { CollectionHandle } from '../client/types.js'
import type { LivecrudError } from '../protocol/errors.js'
import type { Id } from '../protocol/types.js'
import { toLivecrudError } from './toLivecrudError.js'

/** One GET of an item the store does not know yet, shared by every hook showing that item. */
export interface ItemFetch {
  /** 'done' only stays when the GET answered but the store still has no state for the item. */
  status: 'fetching' | 'error' | 'done'
  error: LivecrudError | null
  /** Settles (never rejects) when the GET does: what Suspense waits for. */
  promise: Promise<void>
  /** When the GET failed (performance.now()). */
  failedAt?: number
}

/** A failed GET is not retried sooner: re-renders and React's own render retries must not hammer the server. */
export const RETRY_AFTER_ERROR_MS = 1000

/**
 * In-flight and failed item GETs of one collection handle. The store keeps items, not requests, so this
 * dedupes the GETs of many rows mounting at once (and of StrictMode's double effects) and keeps a failed
 * GET's error visible until the last hook showing it unmounts (the next mount retries), or, for a Suspense
 * render that never mounted, for `RETRY_AFTER_ERROR_MS`.
 */
export class ItemFetches {
  private readonly entries = new Map<Id, ItemFetch>()
  private readonly listeners = new Map<Id, Set<() => void>>()

  constructor(private readonly handle: CollectionHandle) {}

  get(id: Id): ItemFetch | undefined {
    return this.entries.get(id)
  }

  /** The GET of `id`, started unless one is running, is done, or failed less than a moment ago. */
  ensure(id: Id): ItemFetch {
    const existing = this.entries.get(id)
    if (
      existing &&
      (existing.status !== 'error' ||
        performance.now() - (existing.failedAt ?? 0) < RETRY_AFTER_ERROR_MS)
    )
      return existing
    // The callbacks run after `entry` is set (the GET starts in a microtask).
    const promise = Promise.resolve()
      .then(() => this.handle.getItem(id))
      .then(
        () => {
          if (this.entries.get(id) !== entry) return
          if (this.handle.getItemState(id).status === 'unknown')
            this.set(id, { status: 'done', error: null, promise })
          else this.set(id, undefined)
        },
        (error: unknown) => {
          if (this.entries.get(id) !== entry) return
          const failedAt = performance.now()
          this.set(id, { status: 'error', error: toLivecrudError(error), promise, failedAt })
        },
      )
    const entry: ItemFetch = { status: 'fetching', error: null, promise }
    this.entries.set(id, entry)
    return entry
  }

  subscribe(id: Id, listener: () => void): () => void {
    let set = this.listeners.get(id)
    if (!set) this.listeners.set(id, (set = new Set()))
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size > 0) return
      this.listeners.delete(id)
      // Forget a settled outcome once nobody shows it, so a later mount fetches again.
      if (this.entries.get(id)?.status !== 'fetching') this.entries.delete(id)
    }
  }

  private set(id: Id, entry: ItemFetch | undefined): void {
    // Kept even when nobody listens: a suspended render reads the outcome when it retries.
    if (entry) this.entries.set(id, entry)
    else this.entries.delete(id)
    const set = this.listeners.get(id)
    if (set) for (const listener of [...set]) listener()
  }
}

const registry = new WeakMap<CollectionHandle, ItemFetches>()

export function itemFetchesOf(handle: CollectionHandle): ItemFetches {
  let fetches = registry.get(handle)
  if (!fetches) registry.set(handle, (fetches = new ItemFetches(handle)))
  return fetches
}
