import type { ChangeEvent, Id, Item } from '../protocol/types.js'
import type { StoreAction } from './store/actions.js'
import { Batcher } from './store/Batcher.js'
import type { ItemState, StoreChange, UnseenChange } from './types.js'

/** What the client needs from a collection store (CollectionStore implements it). */
export interface StoreLike<T extends Item = Item> {
  dispatch(action: StoreAction): void
  peek(id: Id): T | undefined
  getItemState(id: Id): ItemState<T>
  subscribeItem(id: Id, listener: () => void): () => void
  subscribe(listener: (changes: StoreChange<T>[]) => void): () => void
  batch<R>(fn: () => R): R
  /** Ids whose newest server state could not be applied: the client refetches them. */
  onNeedsFetch?(listener: (ids: Id[]) => void): () => void
  /** Server events about items the store held no value of (live lists refetch on them). */
  onUnseenChanges?(listener: (changes: readonly UnseenChange[]) => void): () => void
  /** Every id the store holds anything for: present, pending, stale or tombstoned. */
  knownIds(): Id[]
  /** How many those are (without copying them). */
  readonly knownCount: number
}

/** Builds a collection's store; every store of a client shares `batcher`. */
export type StoreFactory = (collection: string, batcher: Batcher) => StoreLike

/** One store per collection, created on first use; every action goes through `dispatch` here. */
export class StoreRegistry {
  private readonly stores = new Map<string, StoreLike>()

  private readonly batcher = new Batcher()
  private readonly created = new Set<(collection: string, store: StoreLike) => void>()

  /**
   * Sees every action before its store does (`validateIncoming`): it may replace it, or leave items
   * out of a `server/items` / `server/reset` in place (GET and LIST then answer without them).
   */
  screen: ((collection: string, action: StoreAction) => StoreAction) | undefined

  constructor(private readonly factory: StoreFactory) {}

  /** Called for every store created from now on. */
  onCreate(listener: (collection: string, store: StoreLike) => void): void {
    this.created.add(listener)
  }

  get<T extends Item = Item>(collection: string): StoreLike<T> {
    let store = this.stores.get(collection)
    if (!store) {
      store = this.factory(collection, this.batcher)
      this.stores.set(collection, store)
      for (const listener of this.created) listener(collection, store)
    }
    return store as unknown as StoreLike<T>
  }

  dispatch(collection: string, action: StoreAction): void {
    this.get(collection).dispatch(this.screen ? this.screen(collection, action) : action)
  }

  /**
   * The ids a resync must refetch: whatever this collection's store holds (present, pending, stale or
   * tombstoned). Asked of the store rather than tracked per action here, which cost a Set insert per
   * event and kept every id ever seen.
   */
  knownIds(collection: string): Id[] {
    return this.stores.get(collection)?.knownIds() ?? []
  }

  /** Whether this collection's store holds anything a resync would have to refetch. */
  holdsAny(collection: string): boolean {
    return (this.stores.get(collection)?.knownCount ?? 0) > 0
  }

  /** One batch across every collection: listeners of all stores fire once, at the end. */
  batch<R>(fn: () => R): R {
    return this.batcher.batch(fn)
  }

  collections(): string[] {
    return [...this.stores.keys()]
  }
}

/** The store action for a push (or replayed) event. */
export function eventToAction(event: ChangeEvent): StoreAction {
  switch (event.type) {
    case 'ADDED':
      return { type: 'server/added', item: event.item, meta: event.meta }
    case 'CHANGED':
      return { type: 'server/changed', id: event.id, ops: event.ops, meta: event.meta }
    case 'REMOVED':
      return { type: 'server/removed', id: event.id, meta: event.meta }
  }
}
