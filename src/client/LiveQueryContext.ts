import type { Item, ListQuery, ListResult } from '../protocol/types.js'
import type { StoreLike } from './StoreRegistry.js'

/**
 * What a live query gets from the client (`collection.query(q)` calls `createLiveQuery(context, q)` of
 * ./liveList/index.ts). The live list layer owns ordering, filtering and paging; the client owns the
 * connection, the store and the subscription.
 */
export interface LiveQueryContext<T extends Item = Item> {
  readonly collection: string
  /** The collection's store: apply nothing to it directly; read and subscribe. */
  readonly store: StoreLike<T>
  /** Sends LIST; its items are put into the store before it resolves. `seq` tells what it includes. */
  list(query: ListQuery, timeout?: number): Promise<ListResult>
  /**
   * Keeps the collection subscribed while the returned release is not called. A live list lingers
   * `detachDelay` (the client passes its unsubscribeDelay) before releasing, so the client's
   * release unsubscribes without a second delay.
   */
  acquire(): () => void
  /** Called when the server could not replay missed changes: refetch (the store was reset already). */
  onReset(listener: () => void): () => void
  /** Last seq applied to the store for this collection. */
  getSeq(): number | undefined
}
