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

/** What a transition changes; omitted fields stay. */
export interface EntryUpdate {
  server?: ServerLayer
  pending?: readonly PendingEntry[]
  staleVersion?: number
  error?: LivecrudError | null
}

export const UNKNOWN_STATE: ItemState = Object.freeze({
  data: undefined,
  version: 0,
  hasPendingWrites: false,
  error: null,
  status: 'unknown',
})

/** Shared by every entry without pending writes: nothing to allocate or keep per item. */
const NONE: readonly never[] = Object.freeze([])

/**
 * One item of a collection store. Mutated in place by `apply`: an event then retains nothing but the
 * new item value, which keeps per-event cost flat as the collection grows (every object an event
 * keeps alive is copied by the next scavenges; with 100k items nearly all of them survive). What
 * escapes — items and `ItemState` — is immutable.
 */
export class ItemEntry {
  /** Confirmed layer. */
  item: Item | undefined = undefined
  version = 0
  deleted = false
  pending: readonly PendingEntry[] = NONE
  /** Highest version announced by an event that could not be applied (0 when none). */
  staleVersion = 0
  error: LivecrudError | null = null
  /** Server state with pending writes replayed. */
  visible: Item | undefined = undefined
  status: ItemState['status'] = 'unknown'
  /** mutationIds whose replay failed in `visible`, to report each failure once. */
  failed: readonly string[] = NONE
  private cachedState: ItemState | undefined

  constructor(readonly id: Id) {}

  /** A view of a plain confirmed item as an entry, for a transition to work on. */
  static confirmed(item: Item): ItemEntry {
    const entry = new ItemEntry(item.id)
    entry.item = item
    entry.version = item._version
    entry.visible = item
    entry.status = 'present'
    return entry
  }

  /**
   * Whether the entry holds nothing but its confirmed item (versioned by `item._version`): the store
   * then keeps the item alone. An entry whose `ItemState` was handed out is kept, so the state keeps
   * its identity while unchanged.
   */
  get plain(): boolean {
    const { item } = this
    return (
      item !== undefined &&
      this.cachedState === undefined &&
      this.visible === item &&
      !this.deleted &&
      this.pending.length === 0 &&
      this.error === null &&
      this.failed.length === 0 &&
      this.staleVersion <= this.version &&
      item._version === this.version
    )
  }

  get stale(): boolean {
    return this.staleVersion > this.version
  }

  get hasPendingWrites(): boolean {
    return this.pending.length > 0
  }

  /** Built on first read, then the same object until one of its fields changes. */
  get state(): ItemState {
    return (this.cachedState ??= Object.freeze({
      data: this.visible,
      version: this.version,
      hasPendingWrites: this.pending.length > 0,
      error: this.error,
      status: this.status,
    }))
  }

  get server(): ServerLayer {
    return { item: this.item, version: this.version, deleted: this.deleted }
  }

  /**
   * Applies an update: prunes writes the confirmed layer has caught up with, replays the pending layer
   * when either layer changed (keeping the old visible object when the value is equal). Returns the
   * replay failures not reported before.
   */
  apply(update: EntryUpdate): readonly ReplayFailure[] {
    const prevVisible = this.visible
    const prevPending = this.pending
    const prevHasPending = prevPending.length > 0
    const prevError = this.error
    const prevStatus = this.status
    const prevVersion = this.version
    let serverChanged = false
    if (update.server) {
      const s = update.server
      serverChanged =
        s.item !== this.item || s.version !== this.version || s.deleted !== this.deleted
      this.item = s.item
      this.version = s.version
      this.deleted = s.deleted
    }
    let pending = update.pending ?? prevPending
    if (
      pending.length > 0 &&
      pending.some((p) => p.confirmedAt !== undefined && p.confirmedAt <= this.version)
    ) {
      pending = pending.filter((p) => p.confirmedAt === undefined || p.confirmedAt > this.version)
    }
    this.pending = pending.length === 0 ? NONE : pending
    if (update.error !== undefined) this.error = update.error
    if (update.staleVersion !== undefined) this.staleVersion = update.staleVersion

    let failures: readonly ReplayFailure[] = NONE
    if (this.pending.length === 0 && !prevHasPending) {
      // The common event: nothing to replay.
      if (serverChanged) this.visible = this.deleted ? undefined : this.item
    } else if (serverChanged || this.pending !== prevPending) {
      const replay = replayPending(this.server, this.pending, this.id)
      // Optimistic values are rebuilt on every replay: keep the old object when nothing changed.
      this.visible =
        replay.visible !== prevVisible && sameJson(replay.visible, prevVisible)
          ? prevVisible
          : replay.visible
      if (replay.failures.length > 0) {
        const before = this.failed
        this.failed = replay.failures.map((f) => f.mutation.mutationId)
        failures = replay.failures.filter((f) => !before.includes(f.mutation.mutationId))
      } else {
        this.failed = NONE
      }
    }

    this.status =
      this.visible !== undefined
        ? 'present'
        : this.deleted ||
            this.item !== undefined ||
            this.pending.some((p) => p.mutation.kind === 'DELETE')
          ? 'deleted'
          : 'unknown'
    if (
      this.visible !== prevVisible ||
      this.version !== prevVersion ||
      this.pending.length > 0 !== prevHasPending ||
      this.error !== prevError ||
      this.status !== prevStatus
    ) {
      this.cachedState = undefined
    }
    return failures
  }
}
