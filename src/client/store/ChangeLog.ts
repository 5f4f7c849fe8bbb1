import type { Id, Item } from '../../protocol/index.js'
import type { LivecrudError } from '../../protocol/errors.js'
import type { ItemState, StoreChange, UnseenChange } from '../types.js'
import type { ItemEntry } from './ItemEntry.js'
import type { ReplayFailure } from './replayPending.js'

const NONE: readonly never[] = Object.freeze([])

/** An entry as it was when the batch first touched it. */
interface Touched {
  entry: ItemEntry
  visible: Item | undefined
  version: number
  hasPendingWrites: boolean
  error: LivecrudError | null
  status: ItemState['status']
  cause: StoreChange['cause']
  seq: number | undefined
}

/**
 * What one batch changed, coalesced per id: the visible value before the batch's first transition,
 * the cause and seq of its last. Listeners then hear each id once per batch, and never an intermediate
 * value.
 */
export class ChangeLog {
  #touched = new Map<Id, Touched>()
  #stale: Id[] = []
  #failures: ReplayFailure[] = []
  #unseen: UnseenChange[] = []
  /** Reused: only read by the flush that asked for it. */
  #states: Id[] = []

  /** Call before a transition mutates `entry`. */
  touch(entry: ItemEntry, cause: StoreChange['cause'], seq?: number): void {
    const known = this.#touched.get(entry.id)
    if (known) {
      known.cause = cause
      if (seq !== undefined) known.seq = seq
      return
    }
    this.#touched.set(entry.id, {
      entry,
      visible: entry.visible,
      version: entry.version,
      hasPendingWrites: entry.hasPendingWrites,
      error: entry.error,
      status: entry.status,
      cause,
      seq,
    })
  }

  /** Whether this batch has touched `id`. */
  has(id: Id): boolean {
    return this.#touched.has(id)
  }

  markStale(id: Id): void {
    this.#stale.push(id)
  }

  unseen(id: Id, seq: number | undefined): void {
    this.#unseen.push(seq === undefined ? { id } : { id, seq })
  }

  replayFailure(failure: ReplayFailure): void {
    this.#failures.push(failure)
  }

  /** Empties the log: visible changes, ids whose ItemState changed, newly stale ids, failures. */
  take(): {
    changes: StoreChange[]
    states: readonly Id[]
    stale: readonly Id[]
    failures: readonly ReplayFailure[]
    unseen: readonly UnseenChange[]
  } {
    const changes: StoreChange[] = []
    const states = this.#states
    states.length = 0
    for (const [id, t] of this.#touched) {
      const { entry } = t
      if (
        entry.visible !== t.visible ||
        entry.version !== t.version ||
        entry.hasPendingWrites !== t.hasPendingWrites ||
        entry.error !== t.error ||
        entry.status !== t.status
      ) {
        states.push(id)
      }
      if (entry.visible === t.visible) continue
      const change: StoreChange = { id, before: t.visible, after: entry.visible, cause: t.cause }
      if (t.seq !== undefined) change.seq = t.seq
      changes.push(change)
    }
    const stale = this.#stale.length === 0 ? NONE : [...new Set(this.#stale)]
    const failures = this.#failures.length === 0 ? NONE : this.#failures
    const unseen = this.#unseen.length === 0 ? NONE : this.#unseen
    this.#touched.clear()
    if (this.#stale.length > 0) this.#stale = []
    if (this.#failures.length > 0) this.#failures = []
    if (this.#unseen.length > 0) this.#unseen = []
    return { changes, states, stale, failures, unseen }
  }
}
