import { QueryClient } from '@tanstack/query-core'
import { LivecrudError } from '../protocol/errors.js'
import { isValidId } from '../protocol/limits.js'
import type {
  ChangeEvent,
  Id,
  Item,
  ListQuery,
  ListResult,
  Operation,
  WriteMeta,
} from '../protocol/index.js'
import { CollectionHandle } from './CollectionHandle.js'
import { disposeLiveLists, type LiveListContext } from './liveList/index.js'
import { listByIds } from './listByIds.js'
import type { PersistenceSession, PersistenceState } from './persistence.js'
import { randomId } from './randomId.js'
import { StoreRegistry } from './StoreRegistry.js'
import type { StoreFactory } from './StoreRegistry.js'
import { SubscriptionManager } from './SubscriptionManager.js'
import { toPatchRequest } from './toPatchRequest.js'
import { Transport } from './Transport.js'
import { ServerError } from './errors.js'
import { WriteQueue } from './WriteQueue.js'
import { writeFailed, writeSucceeded } from './writeOutcomes.js'
import type { WriteKind, WriteRequest } from './WriteQueue.js'
import type {
  ClientOptions,
  ConnectionState,
  LivecrudClient,
  PendingWrite,
  WriteOptions,
} from './types.js'
import { callSafely } from './callSafely.js'
import { schemaChecks, type PreparedWrite, type CheckWrite } from './validation.js'

const DEFAULT_TIMEOUT = 10_000
const DEFAULT_MAX_QUEUE = 1000
const DEFAULT_UNSUBSCRIBE_DELAY = 1000
const DEFAULT_LIST_CACHE_TIME = 60_000

export interface ClientStats {
  gaps: number
  catchUps: number
  resets: number
  refetches: number
  duplicatesDropped: number
  writeSends: number
}

type Prepared = PreparedWrite

/** The client: requests, stores, subscriptions and the write queue wired together. */
export class ClientCore implements LivecrudClient {
  /** A persistence replaces it with the persisted one before the first connection. */
  clientId: string
  readonly stores: StoreRegistry
  // Not private: livecrud/persist works with them (persistence.ts, ClientParts).
  readonly transport: Transport
  readonly subscriptions: SubscriptionManager
  readonly writes: WriteQueue
  private readonly handles = new Map<string, CollectionHandle<any>>()
  private readonly eventListeners = new Set<(event: ChangeEvent) => void>()
  private readonly contexts = new Map<string, LiveListContext<any>>()
  private readonly queried = new Set<string>()
  /** One for every live list of this client; made on the first live query. */
  private queryClient: QueryClient | undefined
  private readonly unsubscribeDelay: number
  private readonly listCacheTime: number
  private readonly checkWrite: CheckWrite
  /** Set when `options.persistence` is: the outbox and cache around this client. */
  readonly persist: PersistenceSession | undefined

  constructor(options: ClientOptions, storeFactory: StoreFactory) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError('createClient needs options: { url } or { socket }')
    this.clientId = options.clientId ?? randomId()
    this.transport = new Transport({
      url: options.url,
      socket: options.socket,
      clientId: () => this.clientId,
      token: options.token,
      timeout: positive(options.timeout, DEFAULT_TIMEOUT),
      // With a persistence, the first connection waits for what it restores (and its clientId).
      connect: !options.persistence,
    })
    this.stores = new StoreRegistry(storeFactory)
    this.checkWrite = schemaChecks(options, this.stores)
    this.stores.onCreate((collection, store) => {
      store.onNeedsFetch?.((ids) => void this.refresh(collection, ids))
    })
    this.unsubscribeDelay = nonNegative(options.unsubscribeDelay, DEFAULT_UNSUBSCRIBE_DELAY)
    this.listCacheTime = nonNegative(options.listCacheTime, DEFAULT_LIST_CACHE_TIME)
    this.subscriptions = new SubscriptionManager(this.transport, this.stores, this.unsubscribeDelay)
    this.writes = new WriteQueue(
      this.transport,
      {
        onSuccess: (w, result, meta) => writeSucceeded(this.stores, w, result, meta),
        onFailure: (w, error) => writeFailed(this.stores, w, error),
      },
      nonNegative(options.maxQueue, DEFAULT_MAX_QUEUE),
    )
    this.transport.onState((state) => {
      if (state === 'connected') {
        // Rejoin first so the stream resumes from lastSeq, then replay what waited.
        this.subscriptions.onConnected()
        void this.writes.flush()
      } else if (state === 'disconnected') {
        this.subscriptions.onDisconnected()
        this.writes.onDisconnected()
      }
    })
    this.transport.onPush((event) => {
      if (this.eventListeners.size > 0)
        for (const listener of [...this.eventListeners]) callSafely(listener, event)
      this.subscriptions.handleEvent(event)
      const { mutationId, clientId } = event.meta
      if (mutationId && clientId === this.clientId) this.writes.onEcho(mutationId)
    })
    this.persist = options.persistence?.attach(this)
  }

  getItem<T extends Item = Item>(
    id: Id,
    collection: string,
    timeout?: number,
  ): Promise<T | undefined> {
    // The store takes the answer in the ack callback: the caller awaits one promise, not two.
    return this.transport.call('GET', [collection, id], timeout, (result) => {
      if (result === null || result === undefined) {
        if (isValidId(id)) this.stores.dispatch(collection, { type: 'server/missing', id })
        return undefined
      }
      if (!isItem(result))
        throw new ServerError('INTERNAL', 'the server answered GET with a malformed item')
      const items = [result]
      this.stores.dispatch(collection, { type: 'server/items', items })
      return items[0] as T | undefined
    })
  }

  async getItems<T extends Item = Item>(query: ListQuery, collection: string): Promise<T[]> {
    const result = await this.list(collection, query ?? {})
    return result.items.filter(isItem) as T[]
  }

  postItem<T extends Item = Item>(
    item: Record<string, unknown>,
    collection: string,
    options?: WriteOptions,
  ): Promise<T> {
    return this.write<T>(collection, 'POST', options, () => {
      if (!isPlainObject(item)) throw badRequest('postItem needs a plain object')
      if (item.id !== undefined && !isValidId(item.id)) throw badRequest('postItem: invalid `id`')
      const id = (item.id as Id | undefined) ?? randomId()
      const body = { ...item, id }
      return { id, payload: body, mutation: { kind: 'POST', mutationId: '', id, item: body } }
    })
  }

  putItem<T extends Item = Item>(
    item: Record<string, unknown> & { id: Id },
    collection: string,
    options?: WriteOptions,
  ): Promise<T> {
    return this.write<T>(collection, 'PUT', options, () => {
      if (!isPlainObject(item) || !isValidId(item.id))
        throw badRequest('putItem needs an item with a valid `id`')
      return {
        id: item.id,
        payload: item,
        mutation: { kind: 'PUT', mutationId: '', id: item.id, item },
      }
    })
  }

  patchItem<T extends Item = Item>(
    patch: (Record<string, unknown> & { id: Id }) | Operation[],
    collection: string,
    options?: WriteOptions,
  ): Promise<T> {
    return this.write<T>(collection, 'PATCH', options, () => {
      const p = toPatchRequest(patch)
      return {
        id: p.id,
        payload: p.wire,
        mutation: { kind: 'PATCH', mutationId: '', id: p.id, ops: p.ops },
      }
    })
  }

  deleteItem(id: Id, collection: string, options?: WriteOptions): Promise<boolean> {
    return this.write<boolean>(collection, 'DELETE', options, () => {
      if (!isValidId(id)) throw badRequest('deleteItem needs a valid id')
      return { id, payload: id, mutation: { kind: 'DELETE', mutationId: '', id } }
    })
  }

  collection<T extends Item = Item>(name: string): CollectionHandle<T> {
    let handle = this.handles.get(name)
    if (!handle) {
      this.handles.set(name, (handle = new CollectionHandle<T>(name, this)))
      this.persist?.decorate(handle)
    }
    return handle as CollectionHandle<T>
  }

  batch<R>(fn: () => R): R {
    return this.stores.batch(fn)
  }

  getConnectionState(): ConnectionState {
    return this.transport.getState()
  }

  subscribeConnectionState(listener: (state: ConnectionState) => void): () => void {
    return this.transport.onState(listener)
  }

  getPendingWrites(): readonly PendingWrite[] {
    return this.writes.getPending()
  }

  subscribePendingWrites(listener: () => void): () => void {
    return this.writes.subscribe(listener)
  }

  onEvent(listener: (event: ChangeEvent) => void): () => void {
    this.eventListeners.add(listener)
    return () => this.eventListeners.delete(listener)
  }

  getSeq(collection: string): number | undefined {
    return this.subscriptions.getSeq(collection)
  }

  getPersistenceState(): PersistenceState {
    return this.persist?.state ?? 'none'
  }

  clearPersistence(): Promise<void> {
    return this.persist?.clear() ?? Promise.resolve()
  }

  close(): void {
    // First, so closing settles nothing in the outbox: the next page sends what is left.
    this.persist?.close()
    this.subscriptions.close()
    // Only collections that made live queries have live lists to stop.
    for (const collection of this.queried) {
      const context = this.contexts.get(collection)
      if (context) callSafely(disposeLiveLists, context)
    }
    this.queried.clear()
    this.queryClient?.clear()
    this.queryClient?.unmount()
    this.writes.close()
    this.transport.close()
    this.eventListeners.clear()
  }

  /** Counters for tests and devtools (not part of the stable API). */
  stats(): ClientStats {
    return { ...this.subscriptions.stats, writeSends: this.writes.sends }
  }

  /** Runs `subscribe` against the store and keeps the collection subscribed until disposed. */
  observe(collection: string, subscribe: () => () => void): () => void {
    const release = this.subscriptions.acquire(collection)
    let unsubscribe: () => void
    try {
      unsubscribe = subscribe()
    } catch (error) {
      release()
      throw error
    }
    let done = false
    return () => {
      if (done) return
      done = true
      unsubscribe()
      release()
    }
  }

  /** The context live queries of `collection` run on; `forQuery` marks it for disposal on close. */
  liveQueryContext<T extends Item>(collection: string, forQuery = false): LiveListContext<T> {
    if (forQuery) this.queried.add(collection)
    let context = this.contexts.get(collection)
    if (!context) {
      if (!this.queryClient) {
        this.queryClient = new QueryClient()
        this.queryClient.mount()
      }
      context = {
        collection,
        store: this.stores.get<T>(collection),
        list: (query: ListQuery, timeout?: number) => this.list(collection, query, timeout),
        // The list lingers unsubscribeDelay itself (a remount within it neither resubscribes nor
        // refetches), so its release unsubscribes at once.
        acquire: () => this.subscriptions.acquire(collection, 0),
        onReset: (listener: () => void) => this.subscriptions.onReset(collection, listener),
        getSeq: () => this.subscriptions.getSeq(collection),
        queryClient: this.queryClient,
        liveListOptions: { detachDelay: this.unsubscribeDelay, gcTime: this.listCacheTime },
      }
      this.contexts.set(collection, context)
    }
    return context as LiveListContext<T>
  }

  /** Refetches ids the store could not update from events (GET / LIST results become the truth). */
  private async refresh(collection: string, ids: Id[]): Promise<void> {
    try {
      await listByIds(this.transport, collection, ids, (chunk, items) => {
        const found = new Set(items.map((item) => item.id))
        this.stores.batch(() => {
          if (items.length) this.stores.dispatch(collection, { type: 'server/items', items })
          for (const id of chunk)
            if (!found.has(id)) this.stores.dispatch(collection, { type: 'server/missing', id })
        })
      })
    } catch {
      // Offline or refused: the next resync (reconnect or gap) refetches what the store holds.
    }
  }

  private async list(collection: string, query: ListQuery, timeout?: number): Promise<ListResult> {
    const { result } = await this.transport.request<ListResult>(
      'LIST',
      [collection, query],
      timeout,
    )
    if (!result || !Array.isArray(result.items))
      throw new ServerError('INTERNAL', 'the server answered LIST with a malformed result', result)
    const items = result.items.filter(isItem)
    if (items.length) this.stores.dispatch(collection, { type: 'server/items', items })
    result.items = items
    return result
  }

  private write<R>(
    collection: string,
    kind: WriteKind,
    options: WriteOptions | undefined,
    prepare: () => Prepared,
  ): Promise<R> {
    try {
      const prepared = this.checkWrite(collection, prepare())
      this.writes.checkCapacity()
      const mutationId = randomId()
      const meta: WriteMeta = { mutationId }
      if (options?.ifVersion !== undefined) meta.ifVersion = options.ifVersion
      const optimistic = options?.optimistic !== false
      const mutation = optimistic ? { ...prepared.mutation, mutationId } : undefined
      const request: WriteRequest = {
        mutationId,
        collection,
        id: prepared.id,
        kind,
        payload: prepared.payload,
        meta,
        timeout: options?.timeout,
        optimistic,
      }
      const apply = () => {
        this.writes.checkCapacity() // closed meanwhile
        if (mutation) this.stores.dispatch(collection, { type: 'local/write', mutation })
        return this.writes.submit(request) as Promise<R>
      }
      // Durable first: the optimistic value shows once the outbox holds the write.
      return this.persist ? this.persist.save({ request, mutation }).then(apply) : apply()
    } catch (error) {
      return Promise.reject(error)
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isItem(value: unknown): value is Item {
  return isPlainObject(value) && typeof value.id === 'string'
}

function badRequest(message: string): LivecrudError {
  return new LivecrudError('BAD_REQUEST', message)
}

function positive(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback
}

function nonNegative(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback
}
