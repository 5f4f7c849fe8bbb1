import type { Id, Item } from '../../protocol/index.js'
import type { LivecrudError } from '../../protocol/errors.js'
import type { ItemState, StoreChange, UnseenChange } from '../types.js'
import { ItemEntry } from './ItemEntry.js'
import type { ReplayFailure } from './replayPending.js'

const NONE: readonly never[] = Object.freeze([])
/** Records kept for reuse: a reset touching the whole collection must not leave one per item. */
const MAX_SPARE = 64
/** Up to this many ids per batch, finding one by a scan beats hashing it (and allocates nothing). */
const SCAN_LIMIT = 8

/** An entry as it was when the batch first touched it. */
interface Touched {
  id: Id
  visible: Item | undefined
  version: number
  hasPendingWrites: boolean
  error: LivecrudError | null
  status: ItemState['status']
  cause: StoreChange['cause']
  seq: number | undefined
}

/** What one batch changed, as `ChangeLog.take` hands it over. */
export interface TakenChanges {
  changes: StoreChange[]
  states: readonly Id[]
  stale: readonly Id[]
  failures: readonly ReplayFailure[]
  unseen: readonly UnseenChange[]
}

/**
 * What one batch changed, coalesced per id: the visible value before the batch's first transition,
 * the cause and seq of its last. Listeners then hear each id once per batch, and never an intermediate
 * value.
 *
 * A batch is usually one event, so this runs once per event: it reuses its records and arrays (only
 * the changes handed to listeners are new), which keeps the per-event garbage — and the collections
 * the GC makes of it — small.
 */
export class ChangeLog {
  /**
   * This batch's records in touch order, `count` of them; the slots after it hold records of earlier
   * batches, reused. (`length = 0` would free the array's storage, and a push reallocate it.)
   */
  private readonly records: Touched[] = []
  private count = 0
  /** Id → record, built only once a batch touches more ids than a scan of the records handles fast. */
  private index: Map<Id, Touched> | undefined
  private stale: Id[] = []
  private failures: ReplayFailure[] = []
  private unseenList: UnseenChange[] = []

  /** Call before a transition mutates `entry`. */
  touch(entry: ItemEntry, cause: StoreChange['cause'], seq?: number): void {
    if (this.again(entry.id, cause, seq)) return
    const t = this.record(entry.id, cause, seq)
    t.visible = entry.visible
    t.version = entry.version
    t.hasPendingWrites = entry.hasPendingWrites
    t.error = entry.error
    t.status = entry.status
  }

  /**
   * Call before a transition replaces the plain item stored under `id` (without an entry). `id` is the
   * event's own string, not `item.id`: in a large collection the stored item's id string is cold, and
   * comparing it would cost a cache miss per event.
   */
  touchItem(id: Id, item: Item, cause: StoreChange['cause'], seq?: number): void {
    if (this.again(id, cause, seq)) return
    const t = this.record(id, cause, seq)
    t.visible = item
    t.version = item._version
    t.hasPendingWrites = false
    t.error = null
    t.status = 'present'
  }

  private record(id: Id, cause: StoreChange['cause'], seq: number | undefined): Touched {
    let t = this.records[this.count]
    if (t === undefined) {
      t = {
        id,
        visible: undefined,
        version: 0,
        hasPendingWrites: false,
        error: null,
        status: 'unknown',
        cause,
        seq,
      }
      this.records.push(t)
    }
    t.id = id
    t.cause = cause
    t.seq = seq
    this.count++
    if (this.index !== undefined) this.index.set(id, t)
    else if (this.count > SCAN_LIMIT) {
      this.index = new Map()
      for (let i = 0; i < this.count; i++) this.index.set(this.records[i]!.id, this.records[i]!)
    }
    return t
  }

  private find(id: Id): Touched | undefined {
    if (this.index !== undefined) return this.index.get(id)
    for (let i = 0; i < this.count; i++) {
      const t = this.records[i]!
      if (t.id === id) return t
    }
    return undefined
  }

  /** A later transition of an id this batch touched: the change reports the last cause and seq. */
  private again(id: Id, cause: StoreChange['cause'], seq: number | undefined): boolean {
    const known = this.find(id)
    if (!known) return false
    known.cause = cause
    if (seq !== undefined) known.seq = seq
    return true
  }

  /** Whether this batch has touched `id`. */
  has(id: Id): boolean {
    return this.find(id) !== undefined
  }

  markStale(id: Id): void {
    this.stale.push(id)
  }

  unseen(id: Id, seq: number | undefined): void {
    this.unseenList.push(seq === undefined ? { id } : { id, seq })
  }

  replayFailure(failure: ReplayFailure): void {
    this.failures.push(failure)
  }

  /**
   * Empties the log: visible changes, ids whose ItemState changed, newly stale ids, failures.
   * `current` is what the store holds for an id now (a plain item or its entry).
   */
  take(current: (id: Id) => Item | ItemEntry | undefined): TakenChanges {
    // Most batches change one item: a literal of one is the smallest array that can hold it.
    let changes: StoreChange[] | undefined
    let states: Id[] | undefined
    const records = this.records
    for (let i = 0; i < this.count; i++) {
      const t = records[i]!
      const id = t.id
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
          if (states === undefined) states = [id]
          else states.push(id)
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
          if (states === undefined) states = [id]
          else states.push(id)
        }
      }
      if (visible !== t.visible) {
        // Built whole: adding `seq` afterwards would give the object a second shape and a backing store.
        const change: StoreChange =
          t.seq === undefined
            ? { id, before: t.visible, after: visible, cause: t.cause }
            : { id, before: t.visible, after: visible, cause: t.cause, seq: t.seq }
        if (changes === undefined) changes = [change]
        else changes.push(change)
      }
      // Drop the references before the record waits for reuse.
      t.visible = undefined
      t.error = null
    }
    this.count = 0
    this.index = undefined
    if (records.length > MAX_SPARE) records.length = MAX_SPARE
    // A new result each time: one kept for reuse would hold the batch's changes (after a load, one
    // per item with its value) until the next batch.
    const taken: TakenChanges = {
      changes: changes ?? [],
      states: states ?? NONE,
      stale: this.stale.length === 0 ? NONE : [...new Set(this.stale)],
      failures: this.failures.length === 0 ? NONE : this.failures,
      unseen: this.unseenList.length === 0 ? NONE : this.unseenList,
    }
    if (this.stale.length > 0) this.stale = []
    if (this.failures.length > 0) this.failures = []
    if (this.unseenList.length > 0) this.unseenList = []
    return taken
  }
}
