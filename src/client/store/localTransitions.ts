import { deepFreeze, frozenCopy } from '../../protocol/frozen.js'
import type { Item, WriteAckMeta } from '../../protocol/index.js'
import type { LivecrudError } from '../../protocol/errors.js'
import type { LocalMutation } from './actions.js'
import type { EntryUpdate, ItemEntry, ServerLayer } from './ItemEntry.js'
import { isItem, isVersion, toStoredItem } from './serverTransitions.js'

/** The pending layer: pure functions from an entry to its update. */

/**
 * A private, frozen copy of a write: the caller keeps its objects mutable, and replays can share the
 * copy's subtrees safely.
 */
export function toStoredMutation(m: LocalMutation): LocalMutation {
  switch (m.kind) {
    case 'POST':
    case 'PUT': {
      if (typeof m.item !== 'object' || m.item === null || Array.isArray(m.item)) {
        throw new TypeError(`${m.kind} needs an item object`)
      }
      const { id: _id, _version: _v, ...fields } = frozenCopy(m.item)
      return Object.freeze({
        kind: m.kind,
        mutationId: m.mutationId,
        id: m.id,
        item: Object.freeze(fields),
      })
    }
    case 'PATCH':
      if (!Array.isArray(m.ops)) throw new TypeError('PATCH needs an ops array')
      return Object.freeze({
        kind: 'PATCH',
        mutationId: m.mutationId,
        id: m.id,
        ops: frozenCopy(m.ops),
      })
    case 'DELETE':
      return deepFreeze({ kind: 'DELETE', mutationId: m.mutationId, id: m.id })
    default:
      throw new TypeError(`unknown mutation kind ${String((m as { kind?: unknown }).kind)}`)
  }
}

export function addPending(entry: ItemEntry, mutation: LocalMutation): EntryUpdate {
  return { pending: [...entry.pending, { mutation }] }
}

function withoutMutation(entry: ItemEntry, mutationId: string): EntryUpdate['pending'] {
  return entry.pending.filter((p) => p.mutation.mutationId !== mutationId)
}

/**
 * The server applied the write. Its result is server truth at its version, adopted when newer than the
 * confirmed layer (the later echo is then dropped by the version gate); when older, the confirmed
 * layer already contains the write. Either way the write leaves the pending layer.
 */
export function ackWrite(
  entry: ItemEntry,
  mutationId: string,
  result: Item | boolean,
  meta: WriteAckMeta | undefined,
): EntryUpdate {
  const update: EntryUpdate = { pending: withoutMutation(entry, mutationId), error: null }
  const metaVersion = isVersion(meta?.version) ? meta.version : undefined
  if (isItem(result)) {
    const version = metaVersion ?? result._version
    if (version > entry.version) update.server = present(result, version)
  } else if (result === true) {
    if (metaVersion === undefined) {
      // Without a version the delete is still certain: hide it at the known version.
      if (!entry.deleted) update.server = tombstone(entry.version, entry)
    } else if (metaVersion > entry.version) {
      update.server = tombstone(metaVersion, entry)
    }
  } else if (result === false) {
    // Nothing to delete on the server: it did not exist at that version.
    if (metaVersion !== undefined && metaVersion > entry.version) {
      update.server = tombstone(metaVersion, entry)
    } else if (entry.item === undefined && !entry.deleted) {
      update.server = tombstone(entry.version, entry)
    }
  }
  return update
}

export function rejectWrite(
  entry: ItemEntry,
  mutationId: string,
  error: LivecrudError,
): EntryUpdate {
  return { pending: withoutMutation(entry, mutationId), error }
}

/** ifVersion lost: the server's current item replaces ours unless ours is newer. */
export function conflictWrite(
  entry: ItemEntry,
  mutationId: string,
  current: Item | null,
  error: LivecrudError,
): EntryUpdate {
  const update: EntryUpdate = { pending: withoutMutation(entry, mutationId), error }
  if (isItem(current)) {
    if (current._version > entry.version) update.server = present(current, current._version)
  } else if (current === null && !entry.deleted) {
    if (entry.item === undefined) update.server = tombstone(entry.version, entry)
    // "Gone" comes without a version, and may be an answer remembered from before the item came
    // back: a present item is refetched rather than guessed deleted, and any fresh read settles it
    // (the half marks "verify", not "a newer version exists").
    else update.staleVersion = Math.max(entry.staleVersion, entry.version + 0.5)
  }
  return update
}

function present(item: Item, version: number): ServerLayer {
  return { item: toStoredItem(item, version), version, deleted: false }
}

function tombstone(version: number, entry: ItemEntry): ServerLayer {
  return { item: undefined, version: Math.max(version, entry.version), deleted: true }
}
