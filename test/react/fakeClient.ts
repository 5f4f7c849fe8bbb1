import type {
  CollectionHandle,
  ConnectionState,
  ItemState,
  LivecrudClient,
  LiveQuery,
  LiveQuerySnapshot,
  PendingWrite,
  StoreChange,
} from 'livecrud/react'
import { LivecrudError } from '../../src/protocol/errors.js'
import { applyQuery, normalizeQuery } from '../../src/protocol/query.js'
import type { Id, Item, ListQuery } from '../../src/protocol/types.js'

/**
 * An in-memory stand-in for the client contract (src/client/types.ts), with a fake "server" the tests
 * drive: just enough store semantics (confirmed layer + pending writes, stable identities, one notification
 * per batch, ref-counted SUBSCRIBE/UNSUBSCRIBE) to pin down what the hooks promise.
 */
export interface FakeAck {
  mutationId: string
  id: Id
  resolve(): void
  reject(error: LivecrudError): void
}

type Apply = (item: Item | undefined) => Item | undefined

export class FakeClient implements LivecrudClient {
  readonly clientId = 'fake-client'
  /** Requests "sent" to the server, e.g. ['SUBSCRIBE', 'todos']. */
  readonly sent: Array<[string, string]> = []
  readonly acks: FakeAck[] = []
  /** Answer writes by themselves (in a macrotask) instead of waiting for `acks[i].resolve()`. */
  autoAck = true
  /** When set, GETs reject with it. */
  failGets: LivecrudError | null = null
  getCalls = 0
  readonly unsubscribeDelay: number
  private readonly collections = new Map<string, FakeCollection>()
  private connection: ConnectionState = 'connected'
  private readonly connectionListeners = new Set<(s: ConnectionState) => void>()
  private pending: PendingWrite[] = []
  private readonly pendingListeners = new Set<() => void>()
  private depth = 0
  private readonly dirty = new Set<FakeCollection>()
  private nextMutation = 1

  constructor(options: { unsubscribeDelay?: number } = {}) {
    this.unsubscribeDelay = options.unsubscribeDelay ?? 20
  }

  collection<T extends Item = Item>(name: string): CollectionHandle<T> {
    let c = this.collections.get(name)
    if (!c) this.collections.set(name, (c = new FakeCollection(this, name)))
    return c as unknown as CollectionHandle<T>
  }
  fake(name: string): FakeCollection {
    return this.collection(name) as unknown as FakeCollection
  }

  /** Listeners of every kind the client holds (item, collection, query, connection, pending). */
  listenerCount(): number {
    let n = this.connectionListeners.size + this.pendingListeners.size
    for (const c of this.collections.values()) n += c.listenerCount()
    return n
  }

  batch<R>(fn: () => R): R {
    this.depth++
    try {
      return fn()
    } finally {
      if (--this.depth === 0) this.flush()
    }
  }
  markDirty(c: FakeCollection): void {
    this.dirty.add(c)
    if (this.depth === 0) this.flush()
  }
  private flush(): void {
    for (const c of [...this.dirty]) {
      this.dirty.delete(c)
      c.flush()
    }
  }

  setConnectionState(state: ConnectionState): void {
    this.connection = state
    for (const l of [...this.connectionListeners]) l(state)
  }
  getConnectionState(): ConnectionState {
    return this.connection
  }
  subscribeConnectionState(listener: (state: ConnectionState) => void): () => void {
    this.connectionListeners.add(listener)
    return () => this.connectionListeners.delete(listener)
  }
  getPendingWrites(): readonly PendingWrite[] {
    return this.pending
  }
  subscribePendingWrites(listener: () => void): () => void {
    this.pendingListeners.add(listener)
    return () => this.pendingListeners.delete(listener)
  }
  setPending(next: PendingWrite[]): void {
    this.pending = next
    for (const l of [...this.pendingListeners]) l()
  }
  mutationId(): string {
    return `m${this.nextMutation++}`
  }

  getItem<T extends Item = Item>(id: Id, collection: string): Promise<T | undefined> {
    return this.collection<T>(collection).getItem(id)
  }
  getItems<T extends Item = Item>(query: ListQuery, collection: string): Promise<T[]> {
    return this.collection<T>(collection).getItems(query)
  }
  postItem<T extends Item = Item>(item: Record<string, unknown>, collection: string): Promise<T> {
    return this.collection<T>(collection).postItem(item as Partial<T>)
  }
  putItem<T extends Item = Item>(item: Record<string, unknown> & { id: Id }, collection: string) {
    return this.collection<T>(collection).putItem(item as Partial<T> & { id: Id })
  }
  patchItem<T extends Item = Item>(
    patch: Record<string, unknown> & { id: Id },
    collection: string,
  ) {
    return this.collection<T>(collection).patchItem(patch as Partial<T> & { id: Id })
  }
  deleteItem(id: Id, collection: string): Promise<boolean> {
    return this.collection(collection).deleteItem(id)
  }
  onEvent(): () => void {
    return () => {}
  }
  getSeq(): number | undefined {
    return undefined
  }
  getPersistenceState(): 'none' {
    return 'none'
  }
  clearPersistence(): Promise<void> {
    return Promise.resolve()
  }
  close(): void {
    this.setConnectionState('closed')
  }
}

const UNKNOWN: ItemState = {
  data: undefined,
  version: 0,
  hasPendingWrites: false,
  error: null,
  status: 'unknown',
}

export class FakeCollection {
  /** The fake server's truth. */
  readonly server = new Map<Id, Item>()
  private readonly confirmed = new Map<Id, Item | null>()
  private readonly writes = new Map<Id, Array<{ mutationId: string; apply: Apply }>>()
  private readonly errors = new Map<Id, LivecrudError>()
  private readonly states = new Map<Id, ItemState>()
  private readonly itemListeners = new Map<Id, Set<() => void>>()
  private readonly listeners = new Set<(changes: StoreChange[]) => void>()
  readonly queries = new Set<FakeLiveQuery>()
  private changes: StoreChange[] = []
  private observers = 0
  private subscribed = false
  private leaveTimer: ReturnType<typeof setTimeout> | undefined

  constructor(
    readonly client: FakeClient,
    readonly name: string,
  ) {}

  listenerCount(): number {
    let n = this.listeners.size
    for (const s of this.itemListeners.values()) n += s.size
    for (const q of this.queries) n += q.listenerCount()
    return n
  }

  // ---- the fake server ----
  seed(items: Array<Record<string, unknown> & { id: Id }>): void {
    for (const item of items) this.server.set(item.id, { ...item, _version: 1 } as Item)
  }
  /** A change from "another client": pushed to the store only while the collection is subscribed. */
  serverWrite(id: Id, fields: Record<string, unknown> | null): void {
    const prev = this.server.get(id)
    if (fields === null) this.server.delete(id)
    else
      this.server.set(id, { ...prev, ...fields, id, _version: (prev?._version ?? 0) + 1 } as Item)
    if (!this.subscribed) return
    this.confirmed.set(id, this.server.get(id) ?? null)
    this.touch(id, 'server')
  }

  // ---- observers: ref-counted SUBSCRIBE ----
  observe(): () => void {
    if (this.observers++ === 0) {
      clearTimeout(this.leaveTimer)
      if (!this.subscribed) {
        this.subscribed = true
        this.client.sent.push(['SUBSCRIBE', this.name])
      }
    }
    let done = false
    return () => {
      if (done) return
      done = true
      if (--this.observers > 0) return
      this.leaveTimer = setTimeout(() => {
        this.subscribed = false
        this.client.sent.push(['UNSUBSCRIBE', this.name])
      }, this.client.unsubscribeDelay)
    }
  }

  // ---- store ----
  private visible(id: Id): Item | undefined {
    let item = this.confirmed.get(id) ?? undefined
    for (const w of this.writes.get(id) ?? []) item = w.apply(item)
    return item
  }
  touch(id: Id, cause: StoreChange['cause']): void {
    const before = this.states.get(id) ?? UNKNOWN
    const data = this.visible(id)
    const hasPendingWrites = (this.writes.get(id)?.length ?? 0) > 0
    const error = this.errors.get(id) ?? null
    const c = this.confirmed.get(id)
    const status = data !== undefined ? 'present' : c === null ? 'deleted' : 'unknown'
    // Keep the old object when the visible value is deep-equal: identity is what React compares.
    const same = data && before.data && JSON.stringify(data) === JSON.stringify(before.data)
    const next: ItemState = {
      data: same ? before.data : data,
      version: c?._version ?? 0,
      hasPendingWrites,
      error,
      status,
    }
    if (
      next.data === before.data &&
      next.version === before.version &&
      next.hasPendingWrites === before.hasPendingWrites &&
      next.error === before.error &&
      next.status === before.status
    )
      return
    this.states.set(id, next)
    this.changes.push({ id, before: before.data, after: next.data, cause })
    this.client.markDirty(this)
  }
  flush(): void {
    const changes = this.changes
    this.changes = []
    const ids = new Set(changes.map((c) => c.id))
    for (const id of ids) for (const l of [...(this.itemListeners.get(id) ?? [])]) l()
    for (const l of [...this.listeners]) l(changes)
    for (const q of [...this.queries]) q.recompute()
  }
  allVisible(): Item[] {
    const out: Item[] = []
    for (const id of new Set([...this.confirmed.keys(), ...this.writes.keys()])) {
      const item = this.states.get(id)?.data
      if (item) out.push(item)
    }
    return out
  }
  load(items: Item[]): void {
    this.client.batch(() => {
      for (const item of items) {
        this.confirmed.set(item.id, item)
        this.touch(item.id, 'server')
      }
    })
  }

  // ---- CollectionHandle ----
  async getItem(id: Id): Promise<Item | undefined> {
    this.client.getCalls++
    await new Promise((r) => setTimeout(r, 0))
    if (this.client.failGets) throw this.client.failGets
    const item = this.server.get(id)
    this.confirmed.set(id, item ?? null)
    this.touch(id, 'server')
    return item
  }
  readonly lists: Array<ListQuery | undefined> = []
  async getItems(query?: ListQuery): Promise<Item[]> {
    this.lists.push(query)
    const q = normalizeQuery(query)
    if (!q.ok) throw new LivecrudError('BAD_REQUEST', q.message)
    await new Promise((r) => setTimeout(r, 0))
    // Simpler than a real client: a LIST loads the whole (small) collection, so totals stay exact locally.
    this.load([...this.server.values()])
    return applyQuery(this.server.values(), q.value).items
  }
  private write<R>(id: Id, kind: PendingWrite['kind'], apply: Apply, result: () => R): Promise<R> {
    const mutationId = this.client.mutationId()
    const list = this.writes.get(id) ?? []
    list.push({ mutationId, apply })
    this.writes.set(id, list)
    this.errors.delete(id)
    this.client.batch(() => this.touch(id, 'optimistic'))
    const entry: PendingWrite = { mutationId, collection: this.name, id, kind, state: 'sent' }
    this.client.setPending([...this.client.getPendingWrites(), entry])
    return new Promise<R>((resolve, reject) => {
      const settle = (error: LivecrudError | null) => {
        const remaining = (this.writes.get(id) ?? []).filter((w) => w.mutationId !== mutationId)
        if (remaining.length) this.writes.set(id, remaining)
        else this.writes.delete(id)
        this.client.batch(() => {
          if (error) this.errors.set(id, error)
          else {
            const base = this.server.get(id)
            const next = apply(base)
            if (next) this.server.set(id, { ...next, _version: (base?._version ?? 0) + 1 })
            else this.server.delete(id)
            this.confirmed.set(id, this.server.get(id) ?? null)
          }
          this.touch(id, error ? 'rollback' : 'confirm')
        })
        this.client.setPending(this.client.getPendingWrites().filter((w) => w !== entry))
        if (error) reject(error)
        else resolve(result())
      }
      const ack: FakeAck = {
        mutationId,
        id,
        resolve: () => settle(null),
        reject: (error) => settle(error),
      }
      if (this.client.autoAck) setTimeout(ack.resolve, 0)
      else this.client.acks.push(ack)
    })
  }
  postItem(item: Record<string, unknown>): Promise<Item> {
    const id = typeof item.id === 'string' ? item.id : `new-${this.client.mutationId()}`
    return this.write(
      id,
      'POST',
      () => ({ ...item, id, _version: 0 }) as Item,
      () => this.server.get(id)!,
    )
  }
  putItem(item: Record<string, unknown> & { id: Id }): Promise<Item> {
    return this.write(
      item.id,
      'PUT',
      (prev) => ({ ...item, _version: prev?._version ?? 0 }) as Item,
      () => this.server.get(item.id)!,
    )
  }
  patchItem(patch: Record<string, unknown> & { id: Id }): Promise<Item> {
    return this.write(
      patch.id,
      'PATCH',
      (prev) => (prev ? ({ ...prev, ...patch } as Item) : prev),
      () => this.server.get(patch.id)!,
    )
  }
  deleteItem(id: Id): Promise<boolean> {
    return this.write(
      id,
      'DELETE',
      () => undefined,
      () => true,
    )
  }
  peek(id: Id): Item | undefined {
    return this.getItemState(id).data
  }
  getItemState(id: Id): ItemState {
    return this.states.get(id) ?? UNKNOWN
  }
  subscribeItem(id: Id, listener: () => void): () => void {
    let set = this.itemListeners.get(id)
    if (!set) this.itemListeners.set(id, (set = new Set()))
    const entry = () => listener()
    set.add(entry)
    const leave = this.observe()
    return () => {
      set.delete(entry)
      if (set.size === 0) this.itemListeners.delete(id)
      leave()
    }
  }
  subscribe(listener: (changes: StoreChange[]) => void): () => void {
    const entry = (changes: StoreChange[]) => listener(changes)
    this.listeners.add(entry)
    const leave = this.observe()
    return () => {
      this.listeners.delete(entry)
      leave()
    }
  }
  queryCalls = 0
  query(query?: ListQuery): LiveQuery {
    this.queryCalls++
    return new FakeLiveQuery(this, query)
  }
}

export class FakeLiveQuery implements LiveQuery {
  private snapshot: LiveQuerySnapshot
  private readonly listeners = new Set<() => void>()
  private leave: (() => void) | undefined
  private loaded = false

  constructor(
    private readonly collection: FakeCollection,
    private readonly query: ListQuery | undefined,
  ) {
    this.snapshot = {
      items: [],
      ids: [],
      total: 0,
      status: 'pending',
      error: null,
      isFetching: false,
    }
  }
  listenerCount(): number {
    return this.listeners.size
  }
  subscribe(listener: () => void): () => void {
    const entry = () => listener()
    this.listeners.add(entry)
    if (this.listeners.size === 1) {
      this.collection.queries.add(this)
      this.leave = this.collection.observe()
      if (!this.loaded) void this.refetch()
    }
    return () => {
      if (!this.listeners.delete(entry) || this.listeners.size > 0) return
      this.collection.queries.delete(this)
      this.leave?.()
    }
  }
  getSnapshot(): LiveQuerySnapshot {
    return this.snapshot
  }
  async refetch(): Promise<void> {
    this.set({ ...this.snapshot, isFetching: true })
    try {
      await this.collection.getItems(this.query)
      this.loaded = true
      this.recompute({ status: 'success', error: null, isFetching: false })
    } catch (error) {
      this.set({
        ...this.snapshot,
        status: 'error',
        error: error as LivecrudError,
        isFetching: false,
      })
    }
  }
  recompute(patch: Partial<LiveQuerySnapshot> = {}): void {
    if (!this.loaded) return
    const q = normalizeQuery(this.query)
    if (!q.ok) return
    const { items, total } = applyQuery(this.collection.allVisible(), q.value)
    const prev = this.snapshot
    const ids = items.map((i) => i.id)
    const sameIds = ids.length === prev.ids.length && ids.every((id, i) => id === prev.ids[i])
    const sameItems = sameIds && items.every((item, i) => item === prev.items[i])
    const next = {
      ...prev,
      ...patch,
      ids: sameIds ? prev.ids : ids,
      items: sameItems ? prev.items : items,
      total,
    }
    if (
      next.ids === prev.ids &&
      next.items === prev.items &&
      next.total === prev.total &&
      next.status === prev.status &&
      next.error === prev.error &&
      next.isFetching === prev.isFetching
    )
      return
    this.set(next)
  }
  private set(next: LiveQuerySnapshot): void {
    this.snapshot = next
    for (const l of [...this.listeners]) l()
  }
}
