import {
  QueryClient,
  QueryObserver,
  type Query,
  type QueryObserverOptions,
} from '@tanstack/query-core'
import { LivecrudError } from '../../protocol/errors.js'
import { normalizeQuery, queryKey } from '../../protocol/query.js'
import type { Item, ListQuery, ListResult, NormalizedQuery } from '../../protocol/types.js'
import type { LiveQueryContext } from '../LiveQueryContext.js'
import { LiveList } from './LiveList.js'

export interface LiveListOptions {
  /** How long an unobserved list (and its query) is kept, ms (default 60 000). */
  gcTime?: number
  /** Minimum time between two LISTs of one page, ms (default 50): bursts of edge changes coalesce. */
  refetchThrottle?: number
  /** Retries of a LIST that failed with TIMEOUT or DISCONNECTED (default 3; other errors never retry). */
  retry?: number
  /** Delay before retry n (0-based), ms (default 1 000 · 2ⁿ, at most 30 000). */
  retryDelay?: (attempt: number) => number
  /**
   * How long a list keeps its collection subscribed after its last observer left, ms (default 1 000):
   * a remount within it (React StrictMode, route changes) neither resubscribes nor refetches.
   */
  detachDelay?: number
}

/** A client may add these to its LiveQueryContext; without `queryClient` one is made per collection. */
export interface LiveListContext<T extends Item = Item> extends LiveQueryContext<T> {
  queryClient?: QueryClient
  liveListOptions?: LiveListOptions
}

interface FetchMeta {
  seq: number
  total: number
}

export interface ListEntry<T extends Item = Item> {
  readonly key: readonly unknown[]
  readonly list: LiveList<T>
  readonly query: Query<FetchMeta, LivecrudError, FetchMeta>
  readonly options: QueryObserverOptions<FetchMeta, LivecrudError>
  /** True while a refetch is scheduled (throttled) but not started. */
  refetchScheduled: boolean
  /**
   * A refetch was asked while a LIST was in flight (its install reconciles and asks again): should that
   * LIST fail for good, the refetch is still owed.
   */
  owed: boolean
  disposed: boolean
  /** Subscribed LiveQuery objects of this list. */
  observers: number
  /** Ends the collection subscription this list holds while observed. */
  release: (() => void) | undefined
  detachTimer: ReturnType<typeof setTimeout> | undefined
  /** It let go of the collection with data shown: not current until a LIST installs while held. */
  lapsed: boolean
}

export function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'TIMEOUT' || code === 'DISCONNECTED'
}

export function toLivecrudError(error: unknown): LivecrudError {
  if (error instanceof LivecrudError) return error
  return new LivecrudError('INTERNAL', error instanceof Error ? error.message : String(error))
}

/**
 * The live lists of one collection of one client: one LiveList per distinct query (shared by every
 * LiveQuery with that key), whose fetch lifecycle — dedup, retries, garbage collection — is a query of
 * @tanstack/query-core. The list subscribes to the store for as long as its query is cached.
 */
export class LiveLists<T extends Item = Item> {
  readonly queryClient: QueryClient
  private readonly ownsClient: boolean
  private readonly entries = new Map<string, ListEntry<T>>()
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>()
  private readonly lastFetch = new Map<string, number>()
  private readonly stops: (() => void)[] = []
  private readonly opts: Required<LiveListOptions>

  constructor(readonly context: LiveListContext<T>) {
    const o = context.liveListOptions ?? {}
    this.opts = {
      gcTime: o.gcTime ?? 60_000,
      refetchThrottle: o.refetchThrottle ?? 50,
      retry: o.retry ?? 3,
      retryDelay: o.retryDelay ?? ((n) => Math.min(1000 * 2 ** n, 30_000)),
      detachDelay: o.detachDelay ?? 1000,
    }
    this.ownsClient = !context.queryClient
    this.queryClient = context.queryClient ?? new QueryClient()
    if (this.ownsClient) this.queryClient.mount()
    this.stops.push(
      this.queryClient.getQueryCache().subscribe((event) => {
        if (
          event.type !== 'removed' &&
          !(event.type === 'updated' && event.action.type === 'error')
        )
          return
        const hash = event.query.queryHash
        const entry = this.entries.get(hash)
        if (!entry || entry.query !== event.query) return
        if (event.type === 'removed') this.drop(hash, entry)
        else if (entry.owed) {
          // The LIST failed after its retries: ask once more for what was heard while it ran.
          entry.owed = false
          this.requestRefetch(hash)
        }
      }),
      context.onReset(() => void this.refetchAll()),
    )
  }

  /** The key prefix of every live list of this collection. */
  get keyPrefix(): readonly unknown[] {
    return ['livecrud', 'list', this.context.collection]
  }

  normalize(query: ListQuery): NormalizedQuery {
    const q = normalizeQuery(query)
    if (!q.ok) throw new LivecrudError('BAD_REQUEST', q.message)
    return q.value
  }

  /** The shared list of this query, created (with its cache entry) when missing. */
  entry(query: NormalizedQuery): ListEntry<T> {
    const key = [...this.keyPrefix, queryKey(query)]
    const options = this.queryClient.defaultQueryOptions({
      queryKey: key,
      queryFn: () => this.fetch(hash),
      gcTime: this.opts.gcTime,
      staleTime: Infinity,
      retry: (failures: number, error: LivecrudError) =>
        isNetworkError(error) && failures < this.opts.retry,
      retryDelay: this.opts.retryDelay,
      networkMode: 'always',
      refetchOnWindowFocus: false,
      refetchOnReconnect: false,
      structuralSharing: false,
    }) as QueryObserverOptions<FetchMeta, LivecrudError>
    const hash = options.queryHash!
    const known = this.entries.get(hash)
    if (known && !known.disposed) return known
    const cached = this.queryClient.getQueryCache().build(this.queryClient, options) as Query<
      FetchMeta,
      LivecrudError,
      FetchMeta
    >
    const store = this.context.store
    const list = new LiveList<T>(query, store, () => this.requestRefetch(hash))
    list.hasPendingWrites = (id) => store.getItemState(id).hasPendingWrites
    list.storeSeq = () => this.context.getSeq()
    // CollectionStore exposes its confirmed layer: a LIST answer counts that, not pending writes.
    const withConfirmed = store as typeof store & {
      getConfirmed?: (id: string) => { item: Item | undefined; deleted: boolean } | undefined
    }
    if (typeof withConfirmed.getConfirmed === 'function') {
      list.getConfirmed = (id) => {
        const layer = withConfirmed.getConfirmed!(id)
        return layer && !layer.deleted ? layer.item : undefined
      }
    }
    const entry: ListEntry<T> = {
      key,
      list,
      query: cached,
      options,
      refetchScheduled: false,
      owed: false,
      disposed: false,
      observers: 0,
      release: undefined,
      detachTimer: undefined,
      lapsed: false,
    }
    this.entries.set(hash, entry)
    return entry
  }

  /**
   * A LiveQuery starts observing: the collection must be subscribed. A list that was detached may have
   * missed server events meanwhile, so it is marked stale and the observer's mount refetches it.
   */
  attach(entry: ListEntry<T>): void {
    if (entry.observers++ > 0) return
    if (entry.detachTimer !== undefined) {
      clearTimeout(entry.detachTimer)
      entry.detachTimer = undefined
      return
    }
    const wasDetached = entry.list.hasData
    entry.release = this.context.acquire()
    if (wasDetached) entry.query.invalidate()
  }

  /** The last observer left: unsubscribe after `detachDelay` unless one comes back. */
  detach(entry: ListEntry<T>): void {
    if (--entry.observers > 0) return
    entry.detachTimer = setTimeout(() => {
      entry.detachTimer = undefined
      entry.release?.()
      entry.release = undefined
      if (entry.list.hasData) entry.lapsed = true
    }, this.opts.detachDelay)
  }

  private async fetch(hash: string): Promise<FetchMeta> {
    const entry = this.entries.get(hash)
    if (!entry) throw new LivecrudError('INTERNAL', 'live list disposed')
    this.lastFetch.set(hash, Date.now())
    const token = entry.list.beginFetch()
    let result: ListResult
    try {
      result = await this.context.list(entry.list.query)
    } catch (error) {
      entry.list.endFetch(token)
      // The failure shows as status 'error' (a network error retries while still fetching).
      if (entry.release !== undefined) entry.lapsed = false
      throw toLivecrudError(error)
    }
    if (entry.disposed) return { seq: result.seq, total: result.total }
    const installed = entry.list.install(token, result)
    if (installed) entry.owed = false
    if (entry.release !== undefined) entry.lapsed = false
    if (!installed) this.requestRefetch(hash, true)
    return { seq: result.seq, total: result.total }
  }

  /** Throttled, coalesced refetch of one page whose edge became unknown. */
  requestRefetch(hash: string, afterInstall = false): void {
    const entry = this.entries.get(hash)
    if (!entry || entry.disposed || this.timers.has(hash)) return
    // A LIST in flight is reconciled with everything heard meanwhile; its install asks again if needed.
    if (!afterInstall && entry.query.state.fetchStatus === 'fetching') {
      entry.owed = true
      return
    }
    if (entry.query.getObserversCount() === 0) {
      entry.query.invalidate() // refetched when observed again
      return
    }
    const wait = Math.max(
      0,
      (this.lastFetch.get(hash) ?? 0) + this.opts.refetchThrottle - Date.now(),
    )
    entry.refetchScheduled = true
    this.timers.set(
      hash,
      setTimeout(() => {
        this.timers.delete(hash)
        entry.refetchScheduled = false
        if (!entry.disposed) void this.refetch(entry)
      }, wait),
    )
  }

  /** Fetches now (joining a LIST in flight); errors end up in the query state. */
  async refetch(entry: ListEntry<T>): Promise<void> {
    await this.queryClient
      .fetchQuery({ ...entry.options, staleTime: 0 } as Parameters<QueryClient['fetchQuery']>[0])
      .catch(() => undefined)
  }

  /** Refetches every observed list of this collection and marks the others stale (after a reset). */
  async refetchAll(): Promise<void> {
    await this.queryClient
      .invalidateQueries({ queryKey: this.keyPrefix as unknown[] }, { throwOnError: false })
      .catch(() => undefined)
  }

  private drop(hash: string, entry: ListEntry<T>): void {
    entry.disposed = true
    entry.list.dispose()
    if (entry.detachTimer !== undefined) clearTimeout(entry.detachTimer)
    entry.release?.()
    entry.release = undefined
    this.entries.delete(hash)
    const timer = this.timers.get(hash)
    if (timer) clearTimeout(timer)
    this.timers.delete(hash)
  }

  /** Stops every list (and the QueryClient when this made it). */
  dispose(): void {
    for (const [hash, entry] of [...this.entries]) this.drop(hash, entry)
    for (const stop of this.stops.splice(0)) stop()
    this.queryClient.removeQueries({ queryKey: this.keyPrefix as unknown[] })
    if (this.ownsClient) {
      this.queryClient.clear()
      this.queryClient.unmount()
    }
  }

  /** Creates an observer of the entry's query (one per subscribed LiveQuery). */
  observe(entry: ListEntry<T>): QueryObserver<FetchMeta, LivecrudError> {
    return new QueryObserver<FetchMeta, LivecrudError>(this.queryClient, entry.options)
  }
}
