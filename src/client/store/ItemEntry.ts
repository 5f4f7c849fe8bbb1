import type { Id, Item } from '../../protocol/index.js'
import type { LivecrudError } from '../../protocol/errors.js'
import type { ItemState } from '../types.js'
import type { LocalMutation } from './actions.js'
import { replayPending, type ReplayFailure } from './replayPending.js'
import { sameJson } from './sameJson.js'

/** The confirmed layer: the newest server state this store knows for an id. */
export interface ServerLayer {
  /** Undefined when unknown or deleted. */
  readonly item: Item | undefined
  /** 0 when never loaded; for a tombstone, the version of the delete (or the last known one). */
  readonly version: number
  readonly deleted: boolean
}

export interface PendingEntry {
  readonly mutation: LocalMutation
  /**
   * Set when the server reported this write committed at that version (an echo whose ops could not be
   * applied). The write stays in the replay until the confirmed layer reaches that version, so the
   * item never flashes back to an older value while a refetch runs.
   */
  readonly confirmedAt?: number
}

/** One item of a collection store. Immutable: a transition replaces the entry. */
export interface ItemEntry {
  readonly id: Id
  readonly server: ServerLayer
  readonly pending: readonly PendingEntry[]
  /** Highest version announced by an event that could not be applied (0 when none). */
  readonly staleVersion: number
  readonly error: LivecrudError | null
  /** Server state with pending writes replayed. */
  readonly visible: Item | undefined
  /** mutationIds whose replay failed in `visible`, to report each failure once. */
  readonly failed: readonly string[]
  /** Same object while nothing visible changes (React's useSyncExternalStore relies on it). */
  readonly state: ItemState
}

export const UNKNOWN_STATE: ItemState = Object.freeze({
  data: undefined,
  version: 0,
  hasPendingWrites: false,
  error: null,
  status: 'unknown',
})

const NO_SERVER: ServerLayer = Object.freeze({ item: undefined, version: 0, deleted: false })

export function emptyEntry(id: Id): ItemEntry {
  return {
    id,
    server: NO_SERVER,
    pending: [],
    staleVersion: 0,
    error: null,
    visible: undefined,
    failed: [],
    state: UNKNOWN_STATE,
  }
}

export function isStale(entry: ItemEntry): boolean {
  return entry.staleVersion > entry.server.version
}

export interface EntryUpdate {
  server?: ServerLayer
  pending?: readonly PendingEntry[]
  staleVersion?: number
  error?: LivecrudError | null
}

/**
 * Builds the next entry: prunes writes the confirmed layer has caught up with, replays the pending
 * layer when either layer changed, and keeps `visible` and `state` identities when their content
 * is unchanged. Returns the replay failures not reported before.
 */
export function updateEntry(
  prev: ItemEntry,
  update: EntryUpdate,
): { entry: ItemEntry; failures: ReplayFailure[] } {
  const server = update.server ?? prev.server
  let pending = update.pending ?? prev.pending
  if (pending.some((p) => p.confirmedAt !== undefined && p.confirmedAt <= server.version)) {
    pending = pending.filter((p) => p.confirmedAt === undefined || p.confirmedAt > server.version)
  }
  const error = update.error !== undefined ? update.error : prev.error
  const staleVersion = update.staleVersion ?? prev.staleVersion

  let visible = prev.visible
  let failed = prev.failed
  let failures: ReplayFailure[] = []
  if (server !== prev.server || pending !== prev.pending) {
    const replay = replayPending(server, pending, prev.id)
    visible = replay.visible
    // Optimistic values are rebuilt on every replay: keep the old object when nothing changed.
    if (
      (pending.length > 0 || prev.pending.length > 0) &&
      visible !== prev.visible &&
      sameJson(visible, prev.visible)
    ) {
      visible = prev.visible
    }
    failed = replay.failures.map((f) => f.mutation.mutationId)
    failures = replay.failures.filter((f) => !prev.failed.includes(f.mutation.mutationId))
    if (failed.length === 0 && prev.failed.length === 0) failed = prev.failed
  }

  const status: ItemState['status'] =
    visible !== undefined
      ? 'present'
      : server.deleted ||
          server.item !== undefined ||
          pending.some((p) => p.mutation.kind === 'DELETE')
        ? 'deleted'
        : 'unknown'
  const hasPendingWrites = pending.length > 0
  const s = prev.state
  const state =
    s.data === visible &&
    s.version === server.version &&
    s.hasPendingWrites === hasPendingWrites &&
    s.error === error &&
    s.status === status
      ? s
      : { data: visible, version: server.version, hasPendingWrites, error, status }

  return {
    entry: { id: prev.id, server, pending, staleVersion, error, visible, failed, state },
    failures,
  }
}
