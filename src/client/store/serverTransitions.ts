import type { Item, Operation } from '../../protocol/index.js'
import { applyItemOps } from './applyItemOps.js'
import { deepFreeze } from '../../protocol/frozen.js'
import type { EntryUpdate, ItemEntry, ServerLayer } from './ItemEntry.js'

/** Version gates of server-originated state: pure functions from an entry to its update. */

export function isVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

export function isItem(value: unknown): value is Item {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const v = value as Record<string, unknown>
  return typeof v.id === 'string' && v.id !== '' && isVersion(v._version)
}

/** Frozen, with `_version` equal to the version it is stored under. Frozen in place when it already is. */
export function toStoredItem(item: Item, version: number): Item {
  return deepFreeze(item._version === version ? item : { ...item, _version: version })
}

function present(item: Item, version: number): ServerLayer {
  return { item: toStoredItem(item, version), version, deleted: false }
}

function tombstone(version: number): ServerLayer {
  return { item: undefined, version, deleted: true }
}

/**
 * The server says `mutationId` was committed at `version`. Keep the write in the replay until the
 * confirmed layer reaches that version (`updateEntry` prunes it then), so a confirmation that arrives
 * before the state it produced never shows an older value. A write that succeeded clears the item's
 * error here too: the echo often confirms it before the ack, which then finds nothing left to do.
 */
function confirmed(entry: ItemEntry, mutationId: string | undefined, version: number): EntryUpdate {
  if (mutationId === undefined) return {}
  const i = entry.pending.findIndex((p) => p.mutation.mutationId === mutationId)
  const p = entry.pending[i]
  if (p === undefined || (p.confirmedAt !== undefined && p.confirmedAt <= version)) return {}
  const pending = [...entry.pending]
  pending[i] = { mutation: p.mutation, confirmedAt: version }
  return { pending, error: null }
}

/** ADDED, and items read by GET / LIST / resync: adopted only when newer. */
export function serverItem(
  entry: ItemEntry,
  item: Item,
  version: number,
  mutationId?: string,
): EntryUpdate {
  const update = confirmed(entry, mutationId, version)
  if (version > entry.version) update.server = present(item, version)
  // A read of the version held settles a "verify" mark (see conflictWrite).
  else if (version === entry.version && entry.staleVersion % 1 !== 0) update.staleVersion = version
  return update
}

export function serverRemoved(entry: ItemEntry, version: number, mutationId?: string): EntryUpdate {
  const update = confirmed(entry, mutationId, version)
  if (version > entry.version) update.server = tombstone(version)
  return update
}

/**
 * CHANGED carries ops from `version - 1` to `version`: they apply only over exactly that state. Anything
 * else (unknown item, a gap, a tombstone, ops that fail) is not guessed at: the entry is marked stale
 * so the client refetches it.
 */
export function serverChanged(
  entry: ItemEntry,
  ops: readonly Operation[],
  version: number,
  mutationId: string | undefined,
  onError: (error: Error) => void,
): EntryUpdate {
  const update = confirmed(entry, mutationId, version)
  if (version <= entry.version) return update
  if (entry.item !== undefined && !entry.deleted && entry.version === version - 1) {
    const result = applyItemOps(entry.item, ops, entry.id, version)
    if (result.ok) {
      update.server = { item: result.item, version, deleted: false }
      return update
    }
    onError(result.error)
  }
  update.staleVersion = Math.max(entry.staleVersion, version)
  return update
}

/**
 * GET answered null. The event stream is authoritative for items it delivered, so a present item is
 * only dropped when it is stale (its newer state could not be applied and the server now has none);
 * a GET that raced an ADDED must not delete the new item.
 */
export function serverMissing(entry: ItemEntry): EntryUpdate | null {
  if (entry.item === undefined) return entry.deleted ? null : { server: tombstone(entry.version) }
  if (entry.staleVersion > entry.version)
    return { server: tombstone(Math.ceil(entry.staleVersion)) }
  return null
}

/** A resync says the id no longer exists. */
export function serverAbsent(entry: ItemEntry): EntryUpdate | null {
  if (entry.deleted) return null
  return { server: tombstone(Math.ceil(Math.max(entry.version, entry.staleVersion))) }
}
