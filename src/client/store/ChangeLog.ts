import type { Id, Item } from '../../protocol/index.js'
import type { ItemState, StoreChange } from '../types.js'
import type { ItemEntry } from './ItemEntry.js'
import type { ReplayFailure } from './replayPending.js'

interface Pending {
  before: Item | undefined
  beforeState: ItemState
  cause: StoreChange['cause']
  seq: number | undefined
}

/**
 * What one batch changed, coalesced per id: the visible value before the batch's first transition,
 * the cause and seq of its last. Listeners then hear each id once per batch, and never an intermediate
 * value.
 */
export class ChangeLog {
  #changes = new Map<Id, Pending>()
  #stale: Id[] = []
  #failures: ReplayFailure[] = []

  record(prev: ItemEntry, next: ItemEntry, cause: StoreChange['cause'], seq?: number): void {
    const known = this.#changes.get(prev.id)
    if (known) {
      known.cause = cause
      if (seq !== undefined) known.seq = seq
      return
    }
    if (prev.state === next.state && prev.visible === next.visible) return
    this.#changes.set(prev.id, { before: prev.visible, beforeState: prev.state, cause, seq })
  }

  markStale(id: Id): void {
    this.#stale.push(id)
  }

  replayFailure(failure: ReplayFailure): void {
    this.#failures.push(failure)
  }

  /** Empties the log: visible changes, ids whose ItemState changed, newly stale ids, failures. */
  take(entries: ReadonlyMap<Id, ItemEntry>): {
    changes: StoreChange[]
    states: Id[]
    stale: Id[]
    failures: ReplayFailure[]
  } {
    const changes: StoreChange[] = []
    const states: Id[] = []
    for (const [id, c] of this.#changes) {
      const entry = entries.get(id)
      if (!entry) continue
      if (entry.state !== c.beforeState) states.push(id)
      if (entry.visible === c.before) continue
      const change: StoreChange = { id, before: c.before, after: entry.visible, cause: c.cause }
      if (c.seq !== undefined) change.seq = c.seq
      changes.push(change)
    }
    const out = { changes, states, stale: [...new Set(this.#stale)], failures: this.#failures }
    this.#changes = new Map()
    this.#stale = []
    this.#failures = []
    return out
  }
}
