import type { Id } from '../../protocol/index.js'
import type { StoreChange } from '../types.js'
import type { StoreAction } from './actions.js'
import type { EntryUpdate, ItemEntry } from './ItemEntry.js'
import {
  ackWrite,
  addPending,
  conflictWrite,
  rejectWrite,
  toStoredMutation,
} from './localTransitions.js'
import {
  isItem,
  isVersion,
  serverAbsent,
  serverChanged,
  serverItem,
  serverMissing,
  serverRemoved,
} from './serverTransitions.js'

/** What `reduceAction` needs from the store it drives. */
export interface ReduceTarget {
  readonly name: string
  /** The entry of `id` (a new, unstored one when unknown). */
  entry(id: Id): ItemEntry
  /** The entry holding this pending write. */
  pendingEntry(mutationId: string): ItemEntry | undefined
  hasMutation(mutationId: string): boolean
  /** Applies an update to one entry; null = nothing to do. */
  commit(
    entry: ItemEntry,
    update: EntryUpdate | null,
    cause: StoreChange['cause'],
    seq?: number,
  ): void
  isStale(id: Id): boolean
  markStale(id: Id): void
  /** A server event changed an item whose previous value the store never held. */
  unseen(id: Id, seq: number | undefined): void
  onError(error: unknown): void
}

/**
 * A newer CHANGED or REMOVED of an item without a confirmed value (never read, or a tombstone): what it
 * was before the event is unknown, so nobody could have followed it.
 */
function isUnseen(entry: ItemEntry, version: number): boolean {
  return entry.item === undefined && version > entry.version
}

/**
 * Every transition of a collection store, in one place: validates the action, picks the entry and
 * the pure transition for it. Invalid actions throw (the store reports them, never rethrows).
 */
export function reduceAction(store: ReduceTarget, action: StoreAction): void {
  if (typeof action !== 'object' || action === null) throw new TypeError('invalid store action')
  switch (action.type) {
    case 'server/added': {
      const { item, meta } = action
      if (!isItem(item)) throw new TypeError(`${store.name}: ADDED without a valid item`)
      const version = isVersion(meta?.version) ? meta.version : item._version
      const entry = store.entry(item.id)
      return store.commit(
        entry,
        serverItem(entry, item, version, meta?.mutationId),
        'server',
        meta?.seq,
      )
    }
    case 'server/changed': {
      const { id, ops, meta } = action
      if (typeof id !== 'string' || !isVersion(meta?.version)) {
        throw new TypeError(`${store.name}: CHANGED without an id or version`)
      }
      const entry = store.entry(id)
      if (isUnseen(entry, meta.version)) store.unseen(id, meta.seq)
      const update = serverChanged(entry, ops, meta.version, meta.mutationId, store.onError)
      return store.commit(entry, update, 'server', meta.seq)
    }
    case 'server/removed': {
      const { id, meta } = action
      if (typeof id !== 'string' || !isVersion(meta?.version)) {
        throw new TypeError(`${store.name}: REMOVED without an id or version`)
      }
      const entry = store.entry(id)
      if (isUnseen(entry, meta.version)) store.unseen(id, meta.seq)
      return store.commit(
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
          store.onError(new TypeError(`${store.name}: ignored an invalid item`))
          continue
        }
        const entry = store.entry(item.id)
        store.commit(entry, serverItem(entry, item, item._version), cause)
        // A GET that answered before the event it missed leaves the item stale: fetch again.
        if (store.isStale(item.id)) store.markStale(item.id)
      }
      if (action.type === 'server/reset' && Array.isArray(action.absent)) {
        for (const id of action.absent) {
          if (typeof id !== 'string') continue
          const entry = store.entry(id)
          store.commit(entry, serverAbsent(entry), cause)
        }
      }
      return
    }
    case 'server/missing': {
      if (typeof action.id !== 'string') throw new TypeError(`${store.name}: missing without an id`)
      const entry = store.entry(action.id)
      return store.commit(entry, serverMissing(entry), 'server')
    }
    case 'local/write': {
      const mutation = toStoredMutation(action.mutation)
      const { id, mutationId } = mutation
      if (typeof id !== 'string' || id === '' || typeof mutationId !== 'string') {
        throw new TypeError(`${store.name}: a write needs an id and a mutationId`)
      }
      if (store.hasMutation(mutationId)) {
        throw new Error(`${store.name}: mutation ${mutationId} is already pending`)
      }
      const entry = store.entry(id)
      return store.commit(entry, addPending(entry, mutation), 'optimistic')
    }
    case 'local/ack': {
      const entry = store.pendingEntry(action.mutationId)
      if (!entry) return // the echo confirmed it first
      const { result, meta } = action
      if (isItem(result) && result.id !== entry.id) {
        // The server stored it under another id: confirm here, adopt the result under its own id.
        store.commit(
          entry,
          ackWrite(entry, action.mutationId, false, undefined),
          'confirm',
          meta?.seq,
        )
        const other = store.entry(result.id)
        return store.commit(other, serverItem(other, result, result._version), 'confirm', meta?.seq)
      }
      return store.commit(
        entry,
        ackWrite(entry, action.mutationId, result, meta),
        'confirm',
        meta?.seq,
      )
    }
    case 'local/reject': {
      const entry = store.pendingEntry(action.mutationId)
      if (!entry) return
      return store.commit(entry, rejectWrite(entry, action.mutationId, action.error), 'rollback')
    }
    case 'local/conflict': {
      const entry = store.pendingEntry(action.mutationId)
      if (!entry) return
      const update = conflictWrite(entry, action.mutationId, action.current, action.error)
      return store.commit(entry, update, 'rollback')
    }
    default:
      throw new TypeError(
        `${store.name}: unknown store action ${String((action as { type?: unknown }).type)}`,
      )
  }
}
