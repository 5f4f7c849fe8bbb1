import { createStore, type StoreApi } from 'zustand/vanilla'
import type { Id, Item } from '../../protocol/index.js'
import type { ItemState, StoreChange } from '../types.js'
import type { LocalMutation, StoreAction } from './actions.js'
import { Batcher } from './Batcher.js'
import { ChangeLog } from './ChangeLog.js'
import {
  ItemEntry,
  UNKNOWN_STATE,
  type EntryUpdate,
  type PendingEntry,
  type ServerLayer,
} from './ItemEntry.js'
import { ListenerSet } from './ListenerSet.js'
import {
  ackWrite,
  addPending,
  conflictWrite,
  rejectWrite,
  toStoredMutation,
} from './localTransitions.js'
import type { ReplayFailure } from './replayPending.js'
import {
  isItem,
  isVersion,
  serverAbsent,
  serverChanged,
  serverItem,
  serverMissing,
  serverRemoved,
} from './serverTransitions.js'

export interface CollectionStoreOptions {
  /** Collection name (for messages). */
  name?: string
  /** Share one batcher between the stores of a client so `client.batch` spans collections. */
  batcher?: Batcher
  /** Listener errors and invalid actions (default `console.error`). */
  onError?: (error: unknown) => void
  /** A pending write no longer applies over the newest server state; it stays pending, hidden. */
  onReplayFailure?: (failure: ReplayFailure) => void
}

/** The zustand state: entries live in one Map replaced item by item; `rev` bumps once per batch. */
export interface CollectionStoreState {
  entries: Map<Id, ItemEntry>
  rev: number
}

type Cause = StoreChange['cause']

/**
 * The client-side store of one collection: confirmed server state plus pending local writes per item.
 * Every transition goes through `dispatch`; listeners are notified once per (nestable) batch.
 */
export class CollectionStore<T extends Item = Item> {
  readonly name: string
  readonly #api: StoreApi<CollectionStoreState>
  readonly #entries = new Map<Id, ItemEntry>()
  /** mutationId → item id, in write order. */
  readonly #mutations = new Map<string, Id>()
  #pendingList: readonly LocalMutation[] | undefined
  readonly #stale = new Set<Id>()
  #size = 0
  readonly #batcher: Batcher
  readonly #onError: (error: unknown) => void
  readonly #onReplayFailure: ((failure: ReplayFailure) => void) | undefined
  readonly #log = new ChangeLog()
  readonly #listeners: ListenerSet<[StoreChange<T>[]]>
  readonly #itemListeners = new Map<Id, ListenerSet<[]>>()
  readonly #needsFetch: ListenerSet<[Id[]]>
  readonly #observedListeners: ListenerSet<[boolean]>
  #observers = 0

  constructor(options: CollectionStoreOptions = {}) {
    this.name = options.name ?? 'collection'
    this.#onError = options.onError ?? ((error) => console.error(error))
    this.#onReplayFailure = options.onReplayFailure
    this.#batcher = options.batcher ?? new Batcher(this.#onError)
    this.#api = createStore<CollectionStoreState>()(() => ({ entries: this.#entries, rev: 0 }))
    this.#listeners = new ListenerSet(this.#onError, (delta) => this.#observe(delta))
    this.#needsFetch = new ListenerSet(this.#onError)
    this.#observedListeners = new ListenerSet(this.#onError)
  }

  /** The underlying zustand store (for devtools): `rev` bumps once per notified batch. */
  get api(): StoreApi<CollectionStoreState> {
    return this.#api
  }

  // ---- transitions -------------------------------------------------------------------------

  dispatch(action: StoreAction): void {
    this.#batcher.begin()
    try {
      this.#reduce(action)
    } catch (error) {
      this.#onError(error)
    } finally {
      this.#batcher.end()
    }
  }

  batch<R>(fn: () => R): R {
    return this.#batcher.batch(fn)
  }

  #reduce(action: StoreAction): void {
    if (typeof action !== 'object' || action === null) throw new TypeError('invalid store action')
    switch (action.type) {
      case 'server/added': {
        const { item, meta } = action
        if (!isItem(item)) throw new TypeError(`${this.name}: ADDED without a valid item`)
        const version = isVersion(meta?.version) ? meta.version : item._version
        const entry = this.#entry(item.id)
        return this.#commit(
          entry,
          serverItem(entry, item, version, meta?.mutationId),
          'server',
          meta?.seq,
        )
      }
      case 'server/changed': {
        const { id, ops, meta } = action
        if (typeof id !== 'string' || !isVersion(meta?.version)) {
          throw new TypeError(`${this.name}: CHANGED without an id or version`)
        }
        const entry = this.#entry(id)
        const update = serverChanged(entry, ops, meta.version, meta.mutationId, this.#onError)
        return this.#commit(entry, update, 'server', meta.seq)
      }
      case 'server/removed': {
        const { id, meta } = action
        if (typeof id !== 'string' || !isVersion(meta?.version)) {
          throw new TypeError(`${this.name}: REMOVED without an id or version`)
        }
        const entry = this.#entry(id)
        return this.#commit(
          entry,
          serverRemoved(entry, meta.version, meta.mutationId),
          'server',
          meta.seq,
        )
      }
      case 'server/items':
      case 'server/reset': {
        const cause = action.type === 'server/reset' ? 'reset' : 'server'
        for (const item of Array.isArray(action.items) ? action.items : []) {
          if (!isItem(item)) {
            this.#onError(new TypeError(`${this.name}: ignored an invalid item`))
            continue
          }
          const entry = this.#entry(item.id)
          this.#commit(entry, serverItem(entry, item, item._version), cause)
          // A GET that answered before the event it missed leaves the item stale: fetch again.
          if (this.#stale.has(item.id)) this.#log.markStale(item.id)
        }
        if (action.type === 'server/reset' && Array.isArray(action.absent)) {
          for (const id of action.absent) {
            if (typeof id !== 'string') continue
            const entry = this.#entry(id)
            this.#commit(entry, serverAbsent(entry), cause)
          }
        }
        return
      }
      case 'server/missing': {
        if (typeof action.id !== 'string')
          throw new TypeError(`${this.name}: missing without an id`)
        const entry = this.#entry(action.id)
        return this.#commit(entry, serverMissing(entry), 'server')
      }
      case 'local/write': {
        const mutation = toStoredMutation(action.mutation)
        const { id, mutationId } = mutation
        if (typeof id !== 'string' || id === '' || typeof mutationId !== 'string') {
          throw new TypeError(`${this.name}: a write needs an id and a mutationId`)
        }
        if (this.#mutations.has(mutationId)) {
          throw new Error(`${this.name}: mutation ${mutationId} is already pending`)
        }
        const entry = this.#entry(id)
        return this.#commit(entry, addPending(entry, mutation), 'optimistic')
      }
      case 'local/ack': {
        const entry = this.#pendingEntry(action.mutationId)
        if (!entry) return // the echo confirmed it first
        const { result, meta } = action
        if (isItem(result) && result.id !== entry.id) {
          // The server stored it under another id: confirm here, adopt the result under its own id.
          this.#commit(
            entry,
            ackWrite(entry, action.mutationId, false, undefined),
            'confirm',
            meta?.seq,
          )
          const other = this.#entry(result.id)
          return this.#commit(
            other,
            serverItem(other, result, result._version),
            'confirm',
            meta?.seq,
          )
        }
        return this.#commit(
          entry,
          ackWrite(entry, action.mutationId, result, meta),
          'confirm',
          meta?.seq,
        )
      }
      case 'local/reject': {
        const entry = this.#pendingEntry(action.mutationId)
        if (!entry) return
        return this.#commit(entry, rejectWrite(entry, action.mutationId, action.error), 'rollback')
      }
      case 'local/conflict': {
        const entry = this.#pendingEntry(action.mutationId)
        if (!entry) return
        const update = conflictWrite(entry, action.mutationId, action.current, action.error)
        return this.#commit(entry, update, 'rollback')
      }
      default:
        throw new TypeError(
          `${this.name}: unknown store action ${String((action as { type?: unknown }).type)}`,
        )
    }
  }

  /** The entry of `id`; a new one is only stored once a transition commits to it. */
  #entry(id: Id): ItemEntry {
    return this.#entries.get(id) ?? new ItemEntry(id)
  }

  #pendingEntry(mutationId: string): ItemEntry | undefined {
    const id = this.#mutations.get(mutationId)
    return id === undefined ? undefined : this.#entries.get(id)
  }

  /** Updates one entry (never the collection) and records what listeners must hear. */
  #commit(entry: ItemEntry, update: EntryUpdate | null, cause: Cause, seq?: number): void {
    if (update === null) return
    const { id } = entry
    this.#log.touch(entry, cause, seq)
    const prevPending = entry.pending
    const wasVisible = entry.visible !== undefined
    const prevStaleVersion = entry.staleVersion
    const failures = entry.apply(update)
    if (entry.pending !== prevPending) this.#reindex(prevPending, entry)
    if (entry.visible !== undefined && !wasVisible) this.#size++
    else if (entry.visible === undefined && wasVisible) this.#size--
    if (entry.stale) {
      this.#stale.add(id)
      if (entry.staleVersion > prevStaleVersion) this.#log.markStale(id)
    } else if (this.#stale.size > 0) {
      this.#stale.delete(id)
    }
    if (this.#entries.get(id) !== entry) this.#entries.set(id, entry)
    for (const failure of failures) this.#log.replayFailure(failure)
    this.#batcher.mark(this)
  }

  #reindex(prev: readonly PendingEntry[], next: ItemEntry): void {
    this.#pendingList = undefined
    for (const { mutation } of prev) {
      if (!next.pending.some((p) => p.mutation.mutationId === mutation.mutationId)) {
        this.#mutations.delete(mutation.mutationId)
      }
    }
    for (const { mutation } of next.pending) {
      if (!this.#mutations.has(mutation.mutationId))
        this.#mutations.set(mutation.mutationId, next.id)
    }
  }

  /** Called by the batcher when the outermost batch ends. */
  flush(): void {
    const { changes, states, stale, failures } = this.#log.take()
    this.#api.setState({ rev: this.#api.getState().rev + 1 })
    for (const failure of failures) {
      try {
        this.#onReplayFailure?.(failure)
      } catch (error) {
        this.#onError(error)
      }
    }
    for (const id of states) this.#itemListeners.get(id)?.emit()
    if (changes.length > 0) this.#listeners.emit(changes as StoreChange<T>[])
    const needed = stale.filter((id) => this.#stale.has(id))
    if (needed.length > 0) this.#needsFetch.emit(needed)
  }

  // ---- reads -------------------------------------------------------------------------------

  /** The visible value (server state + pending writes), frozen. */
  peek(id: Id): T | undefined {
    return this.#entries.get(id)?.visible as T | undefined
  }

  getItemState(id: Id): ItemState<T> {
    return (this.#entries.get(id)?.state ?? UNKNOWN_STATE) as ItemState<T>
  }

  hasPendingWrites(id: Id): boolean {
    return this.#entries.get(id)?.hasPendingWrites ?? false
  }

  /** The confirmed layer of an item (debugging, tests). */
  getConfirmed(id: Id): ServerLayer | undefined {
    return this.#entries.get(id)?.server
  }

  /** Pending writes of this collection in write order (the same array while unchanged). */
  getPendingMutations(): readonly LocalMutation[] {
    if (this.#pendingList) return this.#pendingList
    const list: LocalMutation[] = []
    for (const [mutationId, id] of this.#mutations) {
      const p = this.#entries.get(id)?.pending.find((p) => p.mutation.mutationId === mutationId)
      if (p) list.push(p.mutation)
    }
    return (this.#pendingList = list)
  }

  /** Ids whose newest server state could not be applied: refetch them and dispatch `server/items`. */
  getStaleIds(): Id[] {
    return [...this.#stale]
  }

  /** Number of visible items. */
  get size(): number {
    return this.#size
  }

  *values(): IterableIterator<T> {
    for (const entry of this.#entries.values()) if (entry.visible) yield entry.visible as T
  }

  *ids(): IterableIterator<Id> {
    for (const entry of this.#entries.values()) if (entry.visible) yield entry.id
  }

  // ---- subscriptions -----------------------------------------------------------------------

  /** Called once per batch with the visible changes (ids whose visible value changed). */
  subscribe(listener: (changes: StoreChange<T>[]) => void): () => void {
    return this.#listeners.add(listener)
  }

  /** Called after each batch that changed this item's `ItemState`. */
  subscribeItem(id: Id, listener: () => void): () => void {
    let set = this.#itemListeners.get(id)
    if (!set) {
      const created: ListenerSet<[]> = new ListenerSet<[]>(this.#onError, (delta, size) => {
        if (size === 0 && this.#itemListeners.get(id) === created) this.#itemListeners.delete(id)
        this.#observe(delta)
      })
      set = created
      this.#itemListeners.set(id, set)
    }
    return set.add(listener)
  }

  /** Called with the ids that became stale in a batch. */
  onNeedsFetch(listener: (ids: Id[]) => void): () => void {
    return this.#needsFetch.add(listener)
  }

  /** Number of `subscribe` + `subscribeItem` listeners (the client ref-counts SUBSCRIBE on it). */
  get observerCount(): number {
    return this.#observers
  }

  /** Called with true when the first observer arrives, false when the last one leaves. */
  onObservedChange(listener: (observed: boolean) => void): () => void {
    return this.#observedListeners.add(listener)
  }

  #observe(delta: 1 | -1): void {
    this.#observers += delta
    if (this.#observers === 1 && delta === 1) this.#observedListeners.emit(true)
    else if (this.#observers === 0) this.#observedListeners.emit(false)
  }
}
