import type { Id, Item } from '../../protocol/index.js'
import type { LivecrudError } from '../../protocol/errors.js'
import type { ItemState, StoreChange, UnseenChange } from '../types.js'
import { ItemEntry } from './ItemEntry.js'
import type { ReplayFailure } from './replayPending.js'

const NONE: readonly never[] = Object.freeze([])

/** An entry as it was when the batch first touched it. */
interface Touched {
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
    if (this.#again(entry.id, cause, seq)) return
    this.#touched.set(entry.id, {
      visible: entry.visible,
      version: entry.version,
      hasPendingWrites: entry.hasPendingWrites,
      error: entry.error,
      status: entry.status,
      cause,
      seq,
    })
  }

  /** Call before a transition replaces a plain item (stored without an entry). */
  touchItem(item: Item, cause: StoreChange['cause'], seq?: number): void {
    if (this.#again(item.id, cause, seq)) return
    this.#touched.set(item.id, {
      visible: item,
      version: item._version,
      hasPendingWrites: false,
      error: null,
      status: 'present',
      cause,
      seq,
    })
  }

  /** A later transition of an id this batch touched: the change reports the last cause and seq. */
  #again(id: Id, cause: StoreChange['cause'], seq: number | undefined): boolean {
    const known = this.#touched.get(id)
    if (!known) return false
    known.cause = cause
    if (seq !== undefined) known.seq = seq
    return true
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

  /**
   * Empties the log: visible changes, ids whose ItemState changed, newly stale ids, failures.
   * `current` is what the store holds for an id now (a plain item or its entry).
   */
  take(current: (id: Id) => Item | ItemEntry | undefined): {
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
      const now = current(id)
      let visible: Item | undefined
      if (now instanceof ItemEntry) {
        visible = now.visible
        if (
          visible !== t.visible ||
          now.version !== t.version ||
          now.hasPendingWrites !== t.hasPendingWrites ||
          now.error !== t.error ||
          now.status !== t.status
        ) {
          states.push(id)
        }
      } else {
        // Touched ids are always stored; a plain item is present, confirmed, without writes or error.
        visible = now
        if (
          visible !== t.visible ||
          now?._version !== t.version ||
          t.hasPendingWrites ||
          t.error !== null ||
          t.status !== 'present'
        ) {
          states.push(id)
        }
      }
      if (visible === t.visible) continue
      const change: StoreChange = { id, before: t.visible, after: visible, cause: t.cause }
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
