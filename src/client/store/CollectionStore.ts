import { createStore, type StoreApi } from 'zustand/vanilla'
import type { Id, Item } from '../../protocol/index.js'
import type { ItemState, StoreChange, UnseenChange } from '../types.js'
import type { LocalMutation, StoreAction } from './actions.js'
import { applyItemOps } from './applyItemOps.js'
import { Batcher } from './Batcher.js'
import { ChangeLog } from './ChangeLog.js'
import { ItemEntry, UNKNOWN_STATE, type EntryUpdate, type ServerLayer } from './ItemEntry.js'
import { MutationIndex } from './MutationIndex.js'
import type { ReplayFailure } from './replayPending.js'
import { reduceAction, type ReduceTarget } from './reduceAction.js'
import { isVersion } from './serverTransitions.js'
import { Subscriptions } from './Subscriptions.js'

export interface CollectionStoreOptions {
  /** Collection name (for messages). */
  name?: string
  /** Share one batcher between the stores of a client so `client.batch` spans collections. */
  batcher?: Batcher
  /** Listener errors and invalid actions (default `console.error`). */
  onError?: (error: unknown) => void
  /** A pending write no longer applies over the newest server state; it stays pending, hidden. */
  onReplayFailure?: (failure: ReplayFailure) => void
  /**
   * How long a deleted item's tombstone outlives its delete, ms (default 60 000). It must outlast any
   * read sent before the delete (a GET answered late would bring the item back): keep it above the
   * request timeout. After it, an unobserved tombstone is dropped, so deletes do not pile up in memory
   * and in the refetch of a resync.
   */
  tombstoneTtl?: number | undefined
}

const DEFAULT_TOMBSTONE_TTL = 60_000

/**
 * The zustand state. Entries live in one Map and change one at a time, in place (never a copy of the
 * collection); `rev` bumps once per notified batch. Read items through the store's methods.
 */
export interface CollectionStoreState {
  /**
   * An item with nothing but its confirmed value is stored as that frozen item (its version is
   * `_version`); any other (pending writes, error, stale, tombstone, a handed-out `ItemState`) as an
   * `ItemEntry`.
   */
  entries: Map<Id, Item | ItemEntry>
  rev: number
}

type Cause = StoreChange['cause']

/** Never emitted (listeners hear only non-empty lists): shared instead of a new `[]` per flush. */
const NO_IDS: Id[] = []

/**
 * The client-side store of one collection: confirmed server state plus pending local writes per item.
 * Every transition goes through `dispatch`; listeners are notified once per (nestable) batch.
 */
export class CollectionStore<T extends Item = Item> {
  readonly name: string
  private readonly zustand: StoreApi<CollectionStoreState>
  private readonly entries = new Map<Id, Item | ItemEntry>()
  private readonly mutations = new MutationIndex()
  private readonly stale = new Set<Id>()
  private visibleCount = 0
  private readonly batcher: Batcher
  private readonly onError: (error: unknown) => void
  private readonly onReplayFailure: ((failure: ReplayFailure) => void) | undefined
  private readonly log = new ChangeLog()
  private readonly subscriptions: Subscriptions<T>
  private readonly target: ReduceTarget
  private readonly current = (id: Id): Item | ItemEntry | undefined => this.entries.get(id)
  /** Tombstoned ids → when they became tombstones, oldest first (re-inserted on each new delete). */
  private readonly tombstones = new Map<Id, number>()
  private readonly tombstoneTtl: number

  constructor(options: CollectionStoreOptions = {}) {
    this.name = options.name ?? 'collection'
    this.onError = options.onError ?? ((error) => console.error(error))
    this.onReplayFailure = options.onReplayFailure
    const ttl = options.tombstoneTtl
    this.tombstoneTtl =
      typeof ttl === 'number' && Number.isFinite(ttl) && ttl > 0 ? ttl : DEFAULT_TOMBSTONE_TTL
    this.batcher = options.batcher ?? new Batcher(this.onError)
    this.zustand = createStore<CollectionStoreState>()(() => ({ entries: this.entries, rev: 0 }))
    this.subscriptions = new Subscriptions<T>(this.onError)
    this.target = {
      name: this.name,
      entry: (id) => this.entryOf(id) ?? new ItemEntry(id),
      pendingEntry: (mutationId) => {
        const id = this.mutations.itemOf(mutationId)
        return id === undefined ? undefined : this.entryOf(id)
      },
      hasMutation: (mutationId) => this.mutations.has(mutationId),
      commit: (entry, update, cause, seq) => this.commit(entry, update, cause, seq),
      isStale: (id) => this.stale.has(id),
      markStale: (id) => this.log.markStale(id),
      unseen: (id, seq) => this.log.unseen(id, seq),
      onError: this.onError,
    }
  }

  /**
   * The entry of `id`: the stored one, or a fresh unstored view of its plain item (`commit` stores
   * the result back, as an item again when it stayed plain).
   */
  private entryOf(id: Id): ItemEntry | undefined {
    const value = this.entries.get(id)
    return value === undefined || value instanceof ItemEntry ? value : ItemEntry.confirmed(value)
  }

  /** The stored entry of `id`, turning a plain item into one (to cache its `ItemState`). */
  private storedEntry(id: Id): ItemEntry | undefined {
    const value = this.entries.get(id)
    if (value === undefined || value instanceof ItemEntry) return value
    const entry = ItemEntry.confirmed(value)
    this.entries.set(id, entry)
    return entry
  }

  /** The stored entry of `id` when it has one (plain items have no pending writes). */
  private fullEntry(id: Id): ItemEntry | undefined {
    const value = this.entries.get(id)
    return value instanceof ItemEntry ? value : undefined
  }

  /** The underlying zustand store (for devtools): `rev` bumps once per notified batch. */
  get api(): StoreApi<CollectionStoreState> {
    return this.zustand
  }

  // ---- transitions -------------------------------------------------------------------------

  dispatch(action: StoreAction): void {
    this.batcher.begin()
    try {
      if (!this.changePlain(action)) reduceAction(this.target, action)
    } catch (error) {
      this.onError(error)
    } finally {
      this.batcher.end()
    }
  }

  /**
   * The usual event, a CHANGED that applies over a plain item, without an entry: the same transition
   * as `reduceAction` (no pending write to confirm, the next version, present and not stale) with
   * nothing allocated but the new item. False when it does not fit: `reduceAction` then handles it.
   */
  private changePlain(action: StoreAction): boolean {
    if (typeof action !== 'object' || action === null || action.type !== 'server/changed') {
      return false
    }
    const { id, ops, meta } = action
    if (typeof id !== 'string' || !isVersion(meta?.version)) return false
    const item = this.entries.get(id)
    if (item === undefined || item instanceof ItemEntry || item._version !== meta.version - 1) {
      return false
    }
    const result = applyItemOps(item, ops, id, meta.version)
    if (!result.ok) return false // reduceAction reports the error and marks the item stale
    this.log.touchItem(id, item, 'server', meta.seq)
    this.entries.set(id, result.item)
    this.batcher.mark(this)
    return true
  }

  batch<R>(fn: () => R): R {
    return this.batcher.batch(fn)
  }

  /** Updates one entry (never the collection) and records what listeners must hear. */
  private commit(entry: ItemEntry, update: EntryUpdate | null, cause: Cause, seq?: number): void {
    if (update === null) return
    const { id } = entry
    // A re-read of the version already held (a repeated GET, an echo the ack confirmed first) cannot
    // change the entry: nothing to log or flush. Still logged when this batch already changed the
    // entry (its change reports the last transition's cause and seq), and for a stale entry (the read
    // that found it stale asks for a refetch at the flush).
    if (
      update.server === undefined &&
      update.pending === undefined &&
      update.staleVersion === undefined &&
      update.error === undefined &&
      !entry.stale &&
      this.entries.has(id) &&
      !this.log.has(id)
    ) {
      return
    }
    this.log.touch(entry, cause, seq)
    const prevPending = entry.pending
    const wasVisible = entry.visible !== undefined
    const prevStaleVersion = entry.staleVersion
    const failures = entry.apply(update)
    if (entry.pending !== prevPending) this.mutations.update(prevPending, entry)
    if (entry.visible !== undefined && !wasVisible) this.visibleCount++
    else if (entry.visible === undefined && wasVisible) this.visibleCount--
    if (entry.stale) {
      this.stale.add(id)
      if (entry.staleVersion > prevStaleVersion) this.log.markStale(id)
    } else if (this.stale.size > 0) {
      this.stale.delete(id)
    }
    if (entry.deleted && entry.visible === undefined) {
      if (update.server !== undefined) {
        this.tombstones.delete(id)
        this.tombstones.set(id, Date.now())
      }
    } else if (this.tombstones.size > 0) {
      this.tombstones.delete(id)
    }
    // Most items carry nothing but their confirmed value: keep that alone, no entry per item.
    const stored = entry.plain ? entry.item! : entry
    if (this.entries.get(id) !== stored) this.entries.set(id, stored)
    for (const failure of failures) this.log.replayFailure(failure)
    this.batcher.mark(this)
  }

  /**
   * Drops tombstones older than the TTL, oldest first, stopping at the first young one (O(1) per flush
   * when none is due). One still needed — an item listener, a pending write, an error, a stale mark —
   * waits another TTL.
   */
  private expireTombstones(): void {
    const now = Date.now()
    const horizon = now - this.tombstoneTtl
    for (const [id, since] of this.tombstones) {
      if (since > horizon) return
      this.tombstones.delete(id)
      const value = this.entries.get(id)
      if (!(value instanceof ItemEntry) || !value.deleted || value.visible !== undefined) continue
      if (
        value.pending.length > 0 ||
        value.error !== null ||
        value.stale ||
        this.subscriptions.hasItemListeners(id)
      ) {
        this.tombstones.set(id, now)
      } else {
        this.entries.delete(id)
      }
    }
  }

  /** Called by the batcher when the outermost batch ends. */
  flush(): void {
    if (this.tombstones.size > 0) this.expireTombstones()
    const { changes, states, stale, failures, unseen } = this.log.take(this.current)
    // A replace with the whole next state: one object per flush instead of a partial and its merge.
    this.zustand.setState({ entries: this.entries, rev: this.zustand.getState().rev + 1 }, true)
    for (const failure of failures) {
      try {
        this.onReplayFailure?.(failure)
      } catch (error) {
        this.onError(error)
      }
    }
    const needsFetch = stale.length === 0 ? NO_IDS : stale.filter((id) => this.stale.has(id))
    this.subscriptions.notify(changes as StoreChange<T>[], states, needsFetch, unseen)
  }

  // ---- reads -------------------------------------------------------------------------------

  /** The visible value (server state + pending writes), frozen. */
  peek(id: Id): T | undefined {
    const value = this.entries.get(id)
    return (value instanceof ItemEntry ? value.visible : value) as T | undefined
  }

  getItemState(id: Id): ItemState<T> {
    return (this.storedEntry(id)?.state ?? UNKNOWN_STATE) as ItemState<T>
  }

  hasPendingWrites(id: Id): boolean {
    return this.fullEntry(id)?.hasPendingWrites ?? false
  }

  /** The confirmed layer of an item (debugging, tests). */
  getConfirmed(id: Id): ServerLayer | undefined {
    return this.entryOf(id)?.server
  }

  /** Pending writes of this collection in write order (the same array while unchanged). */
  getPendingMutations(): readonly LocalMutation[] {
    return this.mutations.list((id) => this.fullEntry(id))
  }

  /** Ids whose newest server state could not be applied: refetch them and dispatch `server/items`. */
  getStaleIds(): Id[] {
    return [...this.stale]
  }

  /** Number of visible items. */
  get size(): number {
    return this.visibleCount
  }

  *values(): IterableIterator<T> {
    for (const value of this.entries.values()) {
      if (!(value instanceof ItemEntry)) yield value as T
      else if (value.visible) yield value.visible as T
    }
  }

  /** Every id held, visible or not (pending, stale, tombstoned): what a resync refetches. */
  knownIds(): Id[] {
    return [...this.entries.keys()]
  }

  get knownCount(): number {
    return this.entries.size
  }

  *ids(): IterableIterator<Id> {
    for (const [id, value] of this.entries) {
      if (!(value instanceof ItemEntry) || value.visible) yield id
    }
  }

  // ---- subscriptions -----------------------------------------------------------------------

  /** Called once per batch with the visible changes (ids whose visible value changed). */
  subscribe(listener: (changes: StoreChange<T>[]) => void): () => void {
    return this.subscriptions.subscribe(listener)
  }

  /** Called after each batch that changed this item's `ItemState`. */
  subscribeItem(id: Id, listener: () => void): () => void {
    return this.subscriptions.subscribeItem(id, listener)
  }

  /** Called with the ids that became stale in a batch: refetch them, dispatch `server/items`. */
  onNeedsFetch(listener: (ids: Id[]) => void): () => void {
    return this.subscriptions.onNeedsFetch(listener)
  }

  /**
   * Called once per batch with the server events about items this store held no value of (CHANGED or
   * REMOVED of an unknown item): no visible value changed, so `subscribe` does not hear them, but a
   * paged query's membership and total may have (live lists refetch).
   */
  onUnseenChanges(listener: (changes: readonly UnseenChange[]) => void): () => void {
    return this.subscriptions.onUnseenChanges(listener)
  }

  /** Number of `subscribe` + `subscribeItem` listeners (the client ref-counts SUBSCRIBE on it). */
  get observerCount(): number {
    return this.subscriptions.observerCount
  }

  /** Called with true when the first observer arrives, false when the last one leaves. */
  onObservedChange(listener: (observed: boolean) => void): () => void {
    return this.subscriptions.onObservedChange(listener)
  }
}
