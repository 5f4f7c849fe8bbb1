import type { CollectionHandle } from '../client/types.js'
import type { LivecrudError } from '../protocol/errors.js'
import type { Id } from '../protocol/types.js'
import { toLivecrudError } from './toLivecrudError.js'

/** One fetch of an item the store does not know yet, shared by every hook showing that item. */
export interface ItemFetch {
  /** 'done' only stays when the server answered but the store still has no state for the item. */
  status: 'fetching' | 'error' | 'done'
  error: LivecrudError | null
  /** Settles (never rejects) when the request does: what Suspense waits for. */
  promise: Promise<void>
  /** When the request failed (performance.now()). */
  failedAt?: number
}

/** A failed fetch is not retried sooner: re-renders and React's render retries must not hammer the server. */
export const RETRY_AFTER_ERROR_MS = 1000
/** Ids per batched LIST: the protocol's limit on `$in`. */
export const BATCH_SIZE = 100

interface Queued {
  entry: ItemFetch
  settle: () => void
}

/**
 * In-flight and failed item fetches of one collection handle. The store keeps items, not requests, so
 * this dedupes and batches the fetches of many rows mounting at once (and of StrictMode's double
 * effects), and keeps a failed fetch's error visible until the last hook showing it unmounts (the next
 * mount retries) or, for a Suspense render that never mounted, for `RETRY_AFTER_ERROR_MS`.
 */
export class ItemFetches {
  private readonly entries = new Map<Id, ItemFetch>()
  private readonly listeners = new Map<Id, Set<() => void>>()
  /** Ids waiting for this tick's request, with what settles their promise. */
  private readonly queued = new Map<Id, Queued>()

  constructor(private readonly handle: CollectionHandle) {}

  get(id: Id): ItemFetch | undefined {
    return this.entries.get(id)
  }

  /** The fetch of `id`, started unless one is running, is done, or failed less than a moment ago. */
  ensure(id: Id): ItemFetch {
    const existing = this.entries.get(id)
    if (
      existing &&
      (existing.status !== 'error' ||
        performance.now() - (existing.failedAt ?? 0) < RETRY_AFTER_ERROR_MS)
    )
      return existing
    let settle!: () => void
    const promise = new Promise<void>((resolve) => (settle = resolve))
    const entry: ItemFetch = { status: 'fetching', error: null, promise }
    this.entries.set(id, entry)
    this.queued.set(id, { entry, settle })
    if (this.queued.size === 1) queueMicrotask(() => this.flush())
    return entry
  }

  /**
   * The ids asked for in one tick go out together: one GET for a single id, else LISTs filtered by
   * `id $in` (at most `BATCH_SIZE` each). A list of 1,000 rows mounting would otherwise send 1,000 GETs,
   * more than the server lets one connection have in flight.
   */
  private flush(): void {
    const batch = [...this.queued]
    this.queued.clear()
    if (batch.length === 1) {
      const id = batch[0]![0]
      this.run(batch, () => this.handle.getItem(id))
      return
    }
    for (let i = 0; i < batch.length; i += BATCH_SIZE) {
      const chunk = batch.slice(i, i + BATCH_SIZE)
      const ids = chunk.map(([id]) => id)
      this.run(chunk, () =>
        this.handle.getItems({ filters: { id: { $in: ids } }, pageSize: ids.length }),
      )
    }
  }

  private run(chunk: Array<[Id, Queued]>, request: () => Promise<unknown>): void {
    let promise: Promise<unknown>
    try {
      promise = request()
    } catch (error) {
      promise = Promise.reject(error)
    }
    promise.then(
      () => {
        for (const [id, { entry, settle }] of chunk) {
          if (this.entries.get(id) === entry) {
            // Still unknown after the answer: the server does not have it (or will not show it).
            if (this.handle.getItemState(id).status === 'unknown')
              this.set(id, { status: 'done', error: null, promise: entry.promise })
            else this.set(id, undefined)
          }
          settle()
        }
      },
      (error: unknown) => {
        const failedAt = performance.now()
        const failure = toLivecrudError(error)
        for (const [id, { entry, settle }] of chunk) {
          if (this.entries.get(id) === entry)
            this.set(id, { status: 'error', error: failure, promise: entry.promise, failedAt })
          settle()
        }
      },
    )
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
