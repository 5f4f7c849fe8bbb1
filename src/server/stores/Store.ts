import type { Id, Item, NormalizedQuery, Filters } from '../../protocol/index.js'

/** One committed change, as stores record it in their change log and deliver it to `onChange`. */
export interface ChangeRecord {
  collection: string
  /** Commit-ordered, per collection, gap-free: 1, 2, 3, … */
  seq: number
  /**
   * `RESET`: every item of the collection may have changed at once (a TRUNCATE of a table-backed
   * collection; `id` is '', `item` and `prev` are null). No event says that: subscribers' prevSeq
   * chains break at it and `SUBSCRIBE since` across it answers `reset: true`.
   */
  type: 'ADDED' | 'CHANGED' | 'REMOVED' | 'RESET'
  id: Id
  /** The item's version after the change (REMOVED: the tombstone's version). */
  version: number
  /** After-image (null for REMOVED). */
  item: Item | null
  /** Before-image (null for ADDED). Kept so per-recipient authorization needs no database read. */
  prev: Item | null
  mutationId?: string
  clientId?: string
  /**
   * Who wrote it (`origin.ts`: the user and the client id). Fan-out sends `mutationId` and `clientId`
   * only to connections of this origin.
   */
  origin?: string
}

/** What a write does to the current item; decided inside the store's transaction. */
export type WriteDecision =
  | { action: 'put'; item: Record<string, unknown> } // full new data; the store sets `id` and `_version`
  | { action: 'delete' }
  | { action: 'none'; result: boolean | Item | null } // nothing to write (e.g. DELETE of a missing item → false)

export interface WriteRequest {
  collection: string
  id: Id
  mutationId: string
  clientId?: string
  /**
   * The writer's origin (`origin.ts`): remembered mutations are keyed by (collection, origin,
   * mutationId), so a retry finds its own result and never another user's. Default (writes made
   * by the app itself, outside a connection): `originOf('', clientId)`, see `requestOrigin`.
   */
  origin?: string
  /**
   * The write expects no item (a POST): a store may decide on `null` first and read only when an
   * item turns out to be there (PostgreSQL saves a round trip so). Never changes the outcome.
   */
  expectsNoItem?: boolean
  /**
   * Pure function of the current item (null when missing or deleted). Throw a `LivecrudError` to abort
   * (nothing is written). Runs inside the transaction and may run more than once.
   */
  decide(current: Item | null): WriteDecision
}

export interface WriteResult {
  /** The item after the write (null after a delete or a no-op on a missing item). */
  item: Item | null
  /** What the ack carries: the item for POST/PUT/PATCH, a boolean for DELETE. */
  result: Item | boolean | null
  /** The change committed (null for a no-op or a duplicate). */
  change: ChangeRecord | null
  /** True when `mutationId` was seen before: the original result is returned, nothing is written. */
  duplicate: boolean
  seq: number
  version: number
}

export type ChangesSince =
  { tooOld: false; changes: ChangeRecord[]; seq: number } | { tooOld: true; seq: number }

/**
 * The storage contract of the reference server. Implementations: memory, PostgreSQL / PGlite (`pg`),
 * Redis. Every write is atomic: item, version, change-log entry, the collection's `seq` and the
 * remembered `mutationId` commit together or not at all.
 */
export interface Store {
  readonly kind: string
  get(collection: string, id: Id): Promise<Item | null>
  /** Filter, sort and page inside the store, with exactly the semantics of `protocol/query.ts`. `scope` filters must match too. */
  list(
    collection: string,
    query: NormalizedQuery,
    scope?: Filters,
  ): Promise<{ items: Item[]; total: number; seq: number }>
  write(request: WriteRequest): Promise<WriteResult>
  /** The changes with seq > since, in order; `tooOld` when the log no longer holds seq since+1. */
  changesSince(collection: string, since: number): Promise<ChangesSince>
  seq(collection: string): Promise<number>
  /**
   * Every change committed by this process or any other process sharing the database, in seq order
   * per collection, with no gaps (feeds catch up from the log after a lost notification).
   */
  onChange(listener: (change: ChangeRecord) => void): () => void
  close(): Promise<void>
}
