import type { Operation } from './jsonPatch.js'

/** Item ids are strings: 1–128 characters of `A–Z a–z 0–9 _ - . :` (see `ID_PATTERN`). */
export type Id = string

/**
 * An item on the wire: a plain JSON object with a string `id` and the server-owned `_version`
 * (+1 on every write; clients never write it).
 */
export interface Item {
  id: Id
  _version: number
  [field: string]: unknown
}

/** Sent with every write. */
export interface WriteMeta {
  /** Unique per write, made by the client; the server answers a repeat with the original result. */
  mutationId: string
  /** Conditional write: fails with CONFLICT unless the stored item has this `_version`. */
  ifVersion?: number
}

/** Third argument of a successful write ack: where the write landed in the collection's stream. */
export interface WriteAckMeta {
  seq: number
  version: number
  /** True when this answer is the remembered result of an earlier identical `mutationId`. */
  duplicate?: boolean
}

/** Meta of every push event. */
export interface EventMeta {
  /** The collection's commit-ordered stream position of this change. */
  seq: number
  /**
   * The `seq` of the previous event this connection was sent for this collection (or the `seq` its
   * SUBSCRIBE answered). A client whose last seen seq differs has missed something: catch up.
   */
  prevSeq: number
  /** The item's version after this change (for REMOVED: the tombstone's version). */
  version: number
  mutationId?: string
  clientId?: string
}

export type SortDirection = 'asc' | 'desc'
export interface SortField {
  field: string
  dir: SortDirection
}
/** `'title'`, `'-title'` (descending), a list of those, or `SortField[]`. */
export type SortSpec = string | ReadonlyArray<string | SortField>

export type Scalar = null | boolean | number | string
export interface FilterOperators {
  $eq?: Scalar
  $ne?: Scalar
  $in?: Scalar[]
  $nin?: Scalar[]
  $gt?: number | string
  $gte?: number | string
  $lt?: number | string
  $lte?: number | string
}
export type FilterCondition = Scalar | FilterOperators
/** Field (or dotted path) → condition; all conditions must hold. */
export type Filters = Record<string, FilterCondition>

export interface ListQuery {
  /** 1-based; default 1. */
  page?: number
  /** Default `DEFAULT_PAGE_SIZE`, at most the server's maximum (`MAX_PAGE_SIZE` by default). */
  pageSize?: number
  sort?: SortSpec
  filters?: Filters
}

export interface NormalizedQuery {
  page: number
  pageSize: number
  sort: SortField[]
  filters: Filters
}

export interface ListResult {
  items: Item[]
  total: number
  page: number
  pageSize: number
  /** The collection's seq this answer reflects: every change with seq ≤ it is included. */
  seq: number
}

export interface SubscribeOptions {
  /** Replay the changes after this seq (the last one the client saw). */
  since?: number
}

export interface SubscribeResult {
  /** The collection's seq at the time of joining; live events follow it. */
  seq: number
  /** With `since`: the missed changes, in seq order, already filtered for this user. */
  changes?: ChangeEvent[]
  /** With `since` older than the server's retention: refetch what is on screen. */
  reset?: boolean
}

/** A push event as one value (used by SUBSCRIBE replays and by the client's event stream). */
export type ChangeEvent =
  | { type: 'ADDED'; collection: string; id: Id; item: Item; meta: EventMeta }
  | { type: 'CHANGED'; collection: string; id: Id; ops: Operation[]; meta: EventMeta }
  | { type: 'REMOVED'; collection: string; id: Id; meta: EventMeta }
