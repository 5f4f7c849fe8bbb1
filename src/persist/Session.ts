import { ServerError } from '../client/errors.js'
import { isRateLimited } from '../client/pacing.js'
import type {
  ClientParts,
  OutboxWrite,
  PersistenceSession,
  PersistenceState,
} from '../client/persistence.js'
import type { AckResult } from '../client/Transport.js'
import type { CollectionHandle } from '../client/types.js'
import type { LivecrudError } from '../protocol/errors.js'
import type { Item, WriteMeta } from '../protocol/types.js'
import { CacheMarks } from './CacheMarks.js'
import { STORES, openDb, request, run } from './idb.js'
import type { IndexedDBPersistenceOptions } from './index.js'
import { Tabs, type TabMessage } from './Tabs.js'
import { WarmCache, isCacheRecord, type CacheRecord } from './WarmCache.js'

interface OutboxRecord {
  /** Write order across tabs and pages. */
  at: number
  w: OutboxWrite
}

type Op = [key: string, value: OutboxRecord | undefined]

const OPEN_TIMEOUT_MS = 5000
const KINDS = ['POST', 'PUT', 'PATCH', 'DELETE']

const warn = (message: string) => console.warn(`livecrud/persist: ${message}`)

/**
 * One client's persistence: opens the database, restores the outbox and the cache before the first
 * connection, keeps the outbox durable ahead of every optimistic apply, and shares it with other tabs.
 */
export class Session implements PersistenceSession {
  state: PersistenceState = 'opening'
  private db: IDBDatabase | undefined
  private readonly ready: Promise<void>
  private readonly marks: CacheMarks
  private readonly cache: WarmCache
  private tabs: Tabs | undefined
  /** Restored or adopted writes: their promise belongs to no caller, so `onWriteError` reports. */
  private readonly orphans = new Map<string, OutboxWrite>()
  private ops: Op[] = []
  private opsDone: Promise<void> | undefined
  private lastAt = 0
  /** Other tabs' writes heard before the restore ended (adopted after it, in order). */
  private early: OutboxWrite[] | undefined = []
  private readonly dbName: string
  private readonly send: (event: string, args: unknown[], timeout?: number) => Promise<AckResult>
  private closed = false

  constructor(
    private readonly client: ClientParts,
    private readonly o: IndexedDBPersistenceOptions,
  ) {
    this.dbName = `livecrud:${o.name}`
    const { stores, transport, writes } = client
    this.marks = new CacheMarks(stores)
    const max = o.maxCachedItems
    this.cache = new WarmCache(
      client,
      () => this.db,
      typeof max === 'number' && max >= 0 ? max : 50_000,
      (error) => {
        warn(`cache not saved (${String(error)}): dropped`)
        if (this.db)
          void run(this.db, 'cache', 'readwrite', (tx) => tx.objectStore('cache').clear())
        this.cache.index.clear()
      },
    )
    this.send = (event, args, timeout) => transport.request(event, args, timeout)
    // Every write goes out through `route`: another tab may be the one that sends.
    writes.transport = { isConnected: () => transport.isConnected(), request: this.route }
    stores.onCreate((collection, store) => {
      store.subscribe(() => this.cache.touch(collection))
    })
    client.subscriptions.onSynced = (collection) => {
      this.marks.mark(collection, false)
      this.cache.touch(collection)
    }
    this.ready = this.open()
      .catch((error) => this.toMemory(`IndexedDB unusable (${String(error)})`))
      .then(() => this.begin())
    const win = globalThis as { addEventListener?: Window['addEventListener'] }
    win.addEventListener?.('pagehide', () => void this.cache.save())
  }

  save(write: OutboxWrite): Promise<void> {
    return this.ready.then(() => {
      if (!this.db) return
      this.lastAt = Math.max(Date.now(), this.lastAt + 0.001)
      return this.op([write.request.mutationId, { at: this.lastAt, w: write }]).then(() =>
        this.tabs?.post({ t: 'w', w: write }),
      )
    })
  }

  decorate(handle: CollectionHandle<any>): void {
    const { name } = handle
    const marks = this.marks
    const getItemState = handle.getItemState.bind(handle)
    const subscribeItem = handle.subscribeItem.bind(handle)
    const query = handle.query.bind(handle)
    handle.getItemState = (id) => marks.itemState(name, getItemState(id))
    handle.subscribeItem = (id, listener) => {
      const off = subscribeItem(id, listener)
      const unwatch = marks.watch(name, listener)
      return () => (off(), unwatch())
    }
    handle.query = (q = {}) => {
      const live = query(q)
      // Before the restore ended it is not known yet whether a cache will serve this list.
      return this.state === 'opening' || marks.restored.has(name)
        ? marks.query(name, q, live)
        : live
    }
  }

  async clear(): Promise<void> {
    await this.ready
    const factory = this.o.indexedDB ?? globalThis.indexedDB
    this.toMemory()
    this.cache.index.clear()
    if (factory) await request(factory.deleteDatabase(this.dbName))
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    void this.cache.save().finally(() => {
      this.db?.close()
      this.db = undefined
    })
    this.cache.close()
    this.tabs?.close()
  }

  private readonly route = async <R, M>(
    event: string,
    args: unknown[],
    timeout?: number,
  ): Promise<AckResult<R, M>> => {
    const id = (args[2] as WriteMeta).mutationId
    try {
      if (this.tabs && !this.tabs.leader) return await this.tabs.wait(id, event)
      let answer: AckResult<R, M>
      try {
        answer = (await this.send(event, args, timeout)) as AckResult<R, M>
      } catch (error) {
        if (final(error)) this.settled({ t: 's', id, e: (error as ServerError).toWire() })
        throw error
      }
      this.settled({ t: 's', id, r: answer.result, m: answer.meta })
      return answer
    } catch (error) {
      const orphan = final(error) && this.orphans.get(id)
      if (orphan) this.o.onWriteError?.(error as LivecrudError, orphan.request)
      throw error
    } finally {
      if (!this.client.writes.getPending().some((w) => w.mutationId === id)) this.orphans.delete(id)
    }
  }

  /** A write was answered: out of the outbox, and every tab hears it. */
  private settled(message: TabMessage & { t: 's' }): void {
    if (this.db) void this.op([message.id, undefined])
    this.tabs?.post(message)
  }

  /** Outbox puts and deletes, in order, one transaction per burst. */
  private op(op: Op): Promise<void> {
    this.ops.push(op)
    return (this.opsDone ??= Promise.resolve().then(async () => {
      const ops = this.ops
      this.ops = []
      this.opsDone = undefined
      if (!this.db) return
      try {
        await run(this.db, 'outbox', 'readwrite', (tx) => {
          const store = tx.objectStore('outbox')
          for (const [key, value] of ops) {
            if (value) store.put(value, key)
            else store.delete(key)
          }
        })
      } catch (error) {
        // Quota, or the database went away: the writes stay queued in memory.
        this.toMemory(`outbox not saved (${String(error)})`)
      }
    }))
  }

  private clientId: string | undefined

  private async open(): Promise<void> {
    const factory = this.o.indexedDB ?? globalThis.indexedDB
    if (!factory) throw new Error('no indexedDB')
    let timer: ReturnType<typeof setTimeout> | undefined
    const db = await Promise.race([
      openDb(factory, this.dbName, warn),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('open timed out')), OPEN_TIMEOUT_MS)
      }),
    ]).finally(() => clearTimeout(timer))
    if (this.closed) return db.close()
    this.db = db
    db.onversionchange = () => this.toMemory('database deleted or upgraded by another page')
    // Tabs first, so no write another tab makes meanwhile goes unheard.
    this.tabs = new Tabs(
      this.dbName,
      (w) => (this.early ? this.early.push(w) : this.adopt(w)),
      () => void this.client.writes.flush(),
    )
    const { outbox, cache } = await this.read(db)
    const { stores, subscriptions } = this.client
    stores.batch(() => {
      for (const [collection, record, items] of cache) {
        if (items.length) stores.dispatch(collection, { type: 'server/items', items })
        subscriptions.setSeq(collection, record.seq)
        this.marks.mark(collection, true)
        this.cache.index.set(collection, [record.n, record.at])
      }
    })
    for (const { w, at } of outbox) {
      this.lastAt = Math.max(this.lastAt, at)
      this.adopt(w)
    }
  }

  /**
   * One transaction: the clientId (made by the first page), the outbox in write order, the cache. A
   * record of another shape means a database not to be trusted: everything is cleared.
   */
  private async read(db: IDBDatabase) {
    let outbox: OutboxRecord[] = []
    let cache: [string, CacheRecord, Item[]][] = []
    await run(db, [...STORES], 'readwrite', (tx) => {
      const meta = tx.objectStore('meta')
      const id = meta.get('clientId')
      id.onsuccess = () => {
        if (typeof id.result === 'string') this.clientId = id.result
        else meta.put(this.client.clientId, 'clientId')
      }
      const o = tx.objectStore('outbox').getAll()
      const keys = tx.objectStore('cache').getAllKeys()
      const c = tx.objectStore('cache').getAll()
      c.onsuccess = () => {
        outbox = o.result
        cache = keys.result.map((k, i) => [k as string, c.result[i], parseItems(c.result[i])!])
        if (
          outbox.every(isOutboxRecord) &&
          cache.every(([k, , items]) => typeof k === 'string' && items)
        )
          return
        warn('unreadable persisted records: cleared')
        outbox = []
        cache = []
        for (const s of STORES) tx.objectStore(s).clear()
        meta.put((this.clientId = this.client.clientId), 'clientId')
      }
    })
    return { outbox: outbox.sort((a, b) => a.at - b.at), cache }
  }

  private begin(): void {
    if (this.state === 'opening') this.state = 'indexeddb'
    const early = this.early ?? []
    this.early = undefined
    for (const w of early) this.adopt(w)
    this.client.clientId = this.clientId ?? this.client.clientId
    this.client.transport.start()
    this.tabs?.lead()
  }

  /** A write made by an earlier page or another tab: pending in the store and queued, in order. */
  private adopt(w: OutboxWrite): void {
    const { request, mutation } = w
    const { writes, stores } = this.client
    if (!isWrite(w) || writes.getPending().some((p) => p.mutationId === request.mutationId)) return
    this.orphans.set(request.mutationId, w)
    try {
      writes.checkCapacity()
      if (request.optimistic && mutation)
        stores.dispatch(request.collection, { type: 'local/write', mutation })
      writes.submit({ ...request, timeout: undefined }).catch(() => undefined)
    } catch {
      // Closed, or the queue is full: it stays in the outbox for the next page.
    }
  }

  private toMemory(reason?: string): void {
    if (reason && this.state !== 'memory') warn(`${reason}; in memory only from now`)
    this.state = 'memory'
    this.db?.close()
    this.db = undefined
    this.cache.close()
    this.tabs?.close()
    this.tabs = undefined
    if (this.early) this.early = []
  }
}

/** An answer that decided the write (a refusal other than "ask again later"). */
function final(error: unknown): boolean {
  return error instanceof ServerError && !isRateLimited(error)
}

function parseItems(r: unknown): Item[] | undefined {
  try {
    const items: unknown = isCacheRecord(r) && JSON.parse(r.items)
    if (Array.isArray(items) && items.every((i: Item | null) => typeof i?.id === 'string'))
      return items
  } catch {
    // unreadable
  }
  return undefined
}

function isWrite(w: unknown): w is OutboxWrite {
  const r = (w as OutboxWrite | null)?.request
  return (
    typeof r?.mutationId === 'string' &&
    typeof r.collection === 'string' &&
    typeof r.id === 'string' &&
    KINDS.includes(r.kind) &&
    r.meta?.mutationId === r.mutationId
  )
}

function isOutboxRecord(r: unknown): r is OutboxRecord {
  return typeof (r as OutboxRecord | null)?.at === 'number' && isWrite((r as OutboxRecord).w)
}
