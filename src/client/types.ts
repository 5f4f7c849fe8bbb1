import type { Socket } from 'socket.io-client'
import type { ChangeEvent, Id, Item, ListQuery, Operation } from '../protocol/index.js'
import type { LivecrudError } from '../protocol/errors.js'
import type {
  Collections,
  InputOf,
  ItemOf,
  ListQueryOf,
  NoCollections,
} from '../protocol/schema.js'
import type { Persistence, PersistenceState } from './persistence.js'

/** Public contract of the client. Implementations live beside this file; React binds to these types only. */

export interface ClientOptions<C extends Collections = NoCollections> {
  /**
   * One Standard Schema per collection (the same object the server gets). It types every API
   * (`client.collection('tasks')` is a `CollectionHandle<Task>`; other names are type errors) and
   * validates every write of those collections before it is applied: an invalid one rejects with a
   * `ValidationError`, nothing queued or sent. A JSON Patch is checked on the item it produces (when
   * the store holds the item; else only the server checks it). The check is synchronous: writes of a
   * schema that answers asynchronously are left to the server, which awaits it.
   */
  collections?: C
  /**
   * Check items arriving from the server against their schema too (default: off; the server
   * validated them on write, and rows written outside livecrud may predate the schema). 'warn' logs
   * each invalid item (collection, id, issues) and keeps it; 'drop' logs it and leaves it out: GET
   * answers undefined, lists skip it (their `total` still counts it), an event that would make it
   * invalid removes it from the store. Needs synchronous schemas (an asynchronous one is not checked).
   */
  validateIncoming?: 'warn' | 'drop'
  /** Server URL (`io(url)`), or pass an existing `socket`. */
  url?: string
  socket?: Socket
  /** Default request timeout in ms (default 10 000). */
  timeout?: number
  /** Sent in the handshake `auth` (re-read on every reconnect when a function). */
  token?: string | (() => string | undefined)
  /** Stable id of this client; generated when omitted. */
  clientId?: string
  /** Max writes queued while disconnected (default 1 000); beyond it writes reject with QUEUE_FULL. */
  maxQueue?: number
  /** Delay before UNSUBSCRIBE after the last observer of a collection leaves (ms, default 1 000). */
  unsubscribeDelay?: number
  /**
   * How long a live list nobody observes keeps its state, ms (default 60 000). It lets go of the
   * collection subscription after `unsubscribeDelay` like any observer; observed again within this
   * time it shows the cached page flagged `isFetching` and refetches it, after it starts from scratch.
   */
  listCacheTime?: number
  /**
   * How long a deleted item's tombstone is kept, ms (default 60 000): while it lasts, a read sent
   * before the delete and answered after it cannot bring the item back. Keep it above the longest
   * read timeout you use. After it an unobserved tombstone is dropped, so a long session's deletes
   * neither pile up in memory nor in the refetch after a reconnect.
   */
  tombstoneTtl?: number
  /**
   * `indexedDBPersistence({ name })` from `livecrud/persist`: writes survive reloads (a durable
   * outbox), observed collections start warm from a cache, tabs share one outbox. The persisted
   * clientId replaces `clientId` once restored; the first connection waits for the restore.
   */
  persistence?: Persistence
}

export interface WriteOptions {
  /** Apply locally before the server answers (default true). */
  optimistic?: boolean
  /** Conditional write: CONFLICT unless the server's item has this `_version`. */
  ifVersion?: number
  /**
   * Per-attempt answer timeout in ms (default: the client's `timeout`). On expiry the promise rejects
   * with TimeoutError (outcome unknown) while the write stays pending in the store and is retried
   * with the same mutationId until the server answers; that answer confirms or rolls it back.
   * Writes made offline, or cut by a disconnect, do not time out: they are (re)sent after reconnect
   * and their promise settles with the server's answer. Every write promise settles exactly once.
   */
  timeout?: number
}

export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'closed'

/** What the store knows about one item; the same object while nothing changes. */
export interface ItemState<T extends Item = Item> {
  /** Server state with pending writes replayed over it; undefined when unknown or deleted. */
  data: T | undefined
  /** Confirmed server version (0 when unknown). */
  version: number
  /** True while local writes to this item await the server. */
  hasPendingWrites: boolean
  /** The last write error of this item (cleared by the next successful write). */
  error: LivecrudError | null
  /** 'unknown': never loaded; 'present'; 'deleted': a tombstone. */
  status: 'unknown' | 'present' | 'deleted'
  /** With a persistence: true while the value comes from the cache and the server did not confirm it. */
  fromCache?: boolean
}

/** A change to the visible state of a collection's store, as `collection.subscribe` delivers them. */
export interface StoreChange<T extends Item = Item> {
  id: Id
  /** Visible value before and after (undefined = absent). */
  before: T | undefined
  after: T | undefined
  /** What caused it. */
  cause: 'server' | 'optimistic' | 'confirm' | 'rollback' | 'reset'
  /** For server-caused changes: the seq of the event (lists use it to skip what a LIST already included). */
  seq?: number
}

/**
 * A server event about an item whose previous value the store never held (CHANGED or REMOVED of an
 * unknown item): no visible value changed, but any query the item may have matched before is now
 * unknown until refetched. `seq` is the event's.
 */
export interface UnseenChange {
  id: Id
  seq?: number
}

export interface PendingWrite {
  mutationId: string
  collection: string
  id: Id
  kind: 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /**
   * 'queued' while offline (or paced after RATE_LIMITED), 'sent' when awaiting an ack, 'unknown' after
   * a timeout or disconnect.
   */
  state: 'queued' | 'sent' | 'unknown'
}

export type QueryStatus = 'pending' | 'success' | 'error'

export interface LiveQuerySnapshot<T extends Item = Item> {
  /** Visible items of the page, in order. Unchanged items keep their identity. */
  items: T[]
  /** Same order as `items`; the same array while order and membership are unchanged. */
  ids: Id[]
  total: number
  status: QueryStatus
  error: LivecrudError | null
  isFetching: boolean
  /** With a persistence: true while the page is the cached one and the server did not confirm it. */
  fromCache?: boolean
}

export interface LiveQuery<T extends Item = Item> {
  subscribe(listener: () => void): () => void
  getSnapshot(): LiveQuerySnapshot<T>
  refetch(): Promise<void>
}

declare const untyped: unique symbol
/** The write type of a collection without a schema: writes and queries take loose types. */
export interface Untyped {
  readonly [untyped]: true
}

/** `postItem`'s argument: the schema's input (fields with defaults optional), `id` optional. */
export type PostInput<T extends Item, In> = In extends Untyped
  ? Partial<T> & Record<string, unknown>
  : In & { id?: Id }
/** `putItem`'s argument: the schema's input with the item's `id`. */
export type PutInput<T extends Item, In> = In extends Untyped
  ? T | (Partial<T> & { id: Id })
  : In & { id: Id; _version?: number }
/** `patchItem`'s merge argument: any part of the schema's input, with the item's `id`. */
export type PatchInput<T extends Item, In> = In extends Untyped
  ? Partial<T> & { id: Id }
  : Partial<In> & { id: Id; _version?: number }
/** A list query: with a schema, sort and filters name only fields of `T`. */
export type QueryInput<T extends Item, In> = In extends Untyped ? ListQuery : ListQueryOf<T>

/**
 * One collection's operations. `T` is its item type; `In` what writes send (the schema's input), or
 * `Untyped` for a collection without a schema.
 */
export interface CollectionHandle<T extends Item = Item, In = Untyped> {
  readonly name: string
  getItem(id: Id, timeout?: number): Promise<T | undefined>
  getItems(query?: QueryInput<T, In>): Promise<T[]>
  postItem(item: PostInput<T, In>, options?: WriteOptions): Promise<T>
  putItem(item: PutInput<T, In>, options?: WriteOptions): Promise<T>
  /** A partial item (top-level fields merged), or JSON Patch operations with `/<id>/…` paths. */
  patchItem(patch: PatchInput<T, In> | Operation[], options?: WriteOptions): Promise<T>
  deleteItem(id: Id, options?: WriteOptions): Promise<boolean>
  /** Synchronous visible value from the store; no request. */
  peek(id: Id): T | undefined
  /** Synchronous item state from the store; stable identity while unchanged. */
  getItemState(id: Id): ItemState<T>
  /** Called after each batch that changed this item (also keeps the collection subscribed). */
  subscribeItem(id: Id, listener: () => void): () => void
  /** Called once per batch with the visible changes of this collection (also keeps it subscribed). */
  subscribe(listener: (changes: StoreChange<T>[]) => void): () => void
  /** A live list: sorted, filtered, paged, kept exact as events arrive. */
  query(query?: QueryInput<T, In>): LiveQuery<T>
}

/** Names of the collections `C` types (none without `collections`). */
export type CollectionName<C extends Collections> = NoCollections extends C
  ? never
  : keyof C & string
/** Any name when the client has no `collections`; none when it has. */
type LooseName<C extends Collections> = NoCollections extends C ? string : never
/** The item type of collection `N`. */
export type ItemIn<C extends Collections, N extends keyof C> = ItemOf<C[N]>
/** The handle of collection `N` of `C`. */
export type HandleOf<C extends Collections, N extends keyof C> = CollectionHandle<
  ItemOf<C[N]>,
  InputOf<C[N]>
>

/**
 * The client. With `collections` (`LivecrudClient<typeof collections>`) every collection argument is
 * one of its names and the types follow from its schema; without, any name with explicit generics.
 */
export interface LivecrudClient<C extends Collections = NoCollections> {
  readonly clientId: string
  getItem<N extends CollectionName<C>>(
    id: Id,
    collection: N,
    timeout?: number,
  ): Promise<ItemIn<C, N> | undefined>
  getItem<T extends Item = Item>(
    id: Id,
    collection: LooseName<C>,
    timeout?: number,
  ): Promise<T | undefined>
  getItems<N extends CollectionName<C>>(
    query: ListQueryOf<ItemIn<C, N>>,
    collection: N,
  ): Promise<ItemIn<C, N>[]>
  getItems<T extends Item = Item>(query: ListQuery, collection: LooseName<C>): Promise<T[]>
  postItem<N extends CollectionName<C>>(
    item: PostInput<ItemIn<C, N>, InputOf<C[N]>>,
    collection: N,
    options?: WriteOptions,
  ): Promise<ItemIn<C, N>>
  postItem<T extends Item = Item>(
    item: Record<string, unknown>,
    collection: LooseName<C>,
    options?: WriteOptions,
  ): Promise<T>
  putItem<N extends CollectionName<C>>(
    item: PutInput<ItemIn<C, N>, InputOf<C[N]>>,
    collection: N,
    options?: WriteOptions,
  ): Promise<ItemIn<C, N>>
  putItem<T extends Item = Item>(
    item: Record<string, unknown> & { id: Id },
    collection: LooseName<C>,
    options?: WriteOptions,
  ): Promise<T>
  patchItem<N extends CollectionName<C>>(
    patch: PatchInput<ItemIn<C, N>, InputOf<C[N]>> | Operation[],
    collection: N,
    options?: WriteOptions,
  ): Promise<ItemIn<C, N>>
  patchItem<T extends Item = Item>(
    patch: (Record<string, unknown> & { id: Id }) | Operation[],
    collection: LooseName<C>,
    options?: WriteOptions,
  ): Promise<T>
  deleteItem(
    id: Id,
    collection: CollectionName<C> | LooseName<C>,
    options?: WriteOptions,
  ): Promise<boolean>
  collection<N extends CollectionName<C>>(name: N): HandleOf<C, N>
  collection<T extends Item = Item>(name: LooseName<C>): CollectionHandle<T>
  /** Runs `fn`; listeners are notified once at the end, however many changes it made. */
  batch<R>(fn: () => R): R
  getConnectionState(): ConnectionState
  subscribeConnectionState(listener: (state: ConnectionState) => void): () => void
  /** Writes not yet confirmed, in order (offline queue included). */
  getPendingWrites(): readonly PendingWrite[]
  subscribePendingWrites(listener: () => void): () => void
  /** Raw push events as received (before store application), for devtools. */
  onEvent(listener: (event: ChangeEvent) => void): () => void
  /** Last seq applied per subscribed collection. */
  getSeq(collection: CollectionName<C> | LooseName<C>): number | undefined
  /** 'none' without a persistence; 'memory' when IndexedDB cannot be used (nothing survives a reload). */
  getPersistenceState(): PersistenceState
  /** Deletes everything persisted (outbox, cache, clientId) — on logout; the client goes on in memory. */
  clearPersistence(): Promise<void>
  close(): void
}
