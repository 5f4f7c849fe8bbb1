import { ServerError } from '../client/errors.js'
import { isRateLimited } from '../client/pacing.js'
import type {
  ClientParts,
  OutboxWrite,
  PersistenceSession,
  PersistenceState,
} from '../client/persistence.js'
import type { AckResult } from '../client/Transport.js'
import type { ItemState, LiveQuery } from '../client/types.js'
import type { LivecrudError } from '../protocol/errors.js'
import type { Item, ListQuery, WriteMeta } from '../protocol/types.js'
import { CacheMarks } from './CacheMarks.js'
import { makeHost, type Host } from './host.js'
import { FORMAT, STORES, openDb, request, run } from './idb.js'
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
  private readonly host: Host
  private readonly ready: Promise<void>
  private readonly marks: CacheMarks
  private readonly cache: WarmCache
  private tabs: Tabs | undefined
  /** Restored or adopted writes: their promise belongs to no caller, so `onWriteError` reports. */
  private readonly orphans = new Map<string, OutboxWrite>()
  private ops: Op[] = []
  private opsDone: Promise<void> | undefined
  private lastAt = 0
  private early: TabMessage[] | undefined = []
  private readonly dbName: string
  private closed = false

  constructor(
    client: ClientParts,
    private readonly o: IndexedDBPersistenceOptions,
  ) {
    this.host = makeHost(client)
    this.dbName = `livecrud:${o.name}`
    this.marks = new CacheMarks(this.host.stores)
    const max = o.maxCachedItems
    this.cache = new WarmCache(
      this.host,
      () => this.db,
      typeof max === 'number' && max >= 0 ? max : 50_000,
      (error) => {
        warn(`the cache could not be saved (${String(error)}); it is dropped`)
        if (this.db)
          void run(this.db, 'cache', 'readwrite', (tx) => tx.objectStore('cache').clear())
        this.cache.index.clear()
      },
    )
    this.host.stores.onCreate((collection, store) => {
      store.subscribe(() => this.cache.touch(collection))
    })
    this.host.onSynced((collection) => {
      this.marks.mark(collection, false)
      this.cache.touch(collection)
    })
    this.ready = this.open()
      .catch((error) => this.toMemory(`IndexedDB cannot be used (${String(error)})`))
      .then(() => this.begin())
    const win = globalThis as { addEventListener?: Window['addEventListener'] }
    win.addEventListener?.('pagehide', () => void this.cache.save())
  }

  save(write: OutboxWrite): Promise<void> {
    return this.ready.then(() => {
      if (!this.db) return
      this.lastAt = Math.max(Date.now(), this.lastAt + 0.001)
      const done = this.op([write.request.mutationId, { at: this.lastAt, w: write }])
      return done.then(() => this.tabs?.post({ t: 'w', w: write }))
    })
  }

  async send<R, M>(event: string, args: unknown[], timeout?: number): Promise<AckResult<R, M>> {
    const id = (args[2] as WriteMeta | undefined)?.mutationId ?? ''
    try {
      return await (this.tabs && !this.tabs.leader
        ? this.tabs.wait(id, event, args, timeout)
        : this.direct(id, event, args, timeout))
    } catch (error) {
      const orphan = final(error) && this.orphans.get(id)
      if (orphan) this.o.onWriteError?.(error as LivecrudError, orphan.request)
      throw error
    } finally {
      if (!this.host.getPendingWrites().some((w) => w.mutationId === id)) this.orphans.delete(id)
    }
  }

  itemState<T extends ItemState>(collection: string, state: T): T {
    return this.marks.itemState(collection, state)
  }

  watch(collection: string, listener: () => void): () => void {
    return this.marks.watch(collection, listener)
  }

  query<Q extends LiveQuery<any>>(collection: string, query: ListQuery, live: Q): Q {
    // Before the restore ended it is not known yet whether a cache will serve this list.
    return this.state === 'opening' || this.marks.restored.has(collection)
      ? this.marks.query(collection, query, live)
      : live
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
        this.toMemory(`the outbox could not be saved (${String(error)})`)
      }
    }))
  }

  private async direct<R, M>(id: string, event: string, args: unknown[], timeout?: number) {
    try {
      const answer = await this.host.send<R, M>(event, args, timeout)
      this.settled({ t: 's', id, r: answer.result, m: answer.meta })
      return answer
    } catch (error) {
      if (final(error)) this.settled({ t: 's', id, e: (error as ServerError).toWire() })
      throw error
    }
  }

  private settled(message: TabMessage & { t: 's' }): void {
    if (this.db) void this.op([message.id, undefined])
    this.tabs?.post(message)
  }

  private async open(): Promise<void> {
    const factory = this.o.indexedDB ?? globalThis.indexedDB
    if (!factory) throw new Error('no indexedDB here')
    let timer: ReturnType<typeof setTimeout> | undefined
    const db = await Promise.race([
      openDb(factory, this.dbName, warn),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('opening timed out')), OPEN_TIMEOUT_MS)
      }),
    ]).finally(() => clearTimeout(timer))
    if (this.closed) return db.close()
    this.db = db
    db.onversionchange = () => this.toMemory('the database was deleted or upgraded by another page')
    // Tabs first, so no write another tab makes meanwhile goes unheard (held until restored).
    this.tabs = new Tabs(this.dbName, this.tabEvents(), (e, a, t) =>
      this.direct((a[2] as WriteMeta).mutationId, e, a, t),
    )
    const got = await this.read(db)
    this.host.stores.batch(() => {
      for (const [collection, record] of got.cache) {
        const items = parseItems(record.items)
        if (!items) continue
        if (items.length) this.host.stores.dispatch(collection, { type: 'server/items', items })
        this.host.setSeq(collection, record.seq)
        this.marks.mark(collection, true)
        this.cache.index.set(collection, [record.n, record.at])
      }
    })
    for (const { w, at } of got.outbox) {
      this.lastAt = Math.max(this.lastAt, at)
      this.adopt(w)
    }
    this.clientId = got.clientId
  }

  private clientId: string | undefined

  /** One transaction: format check (a mismatch empties everything), clientId, outbox, cache. */
  private async read(db: IDBDatabase) {
    const out = {
      clientId: this.host.clientId,
      outbox: [] as OutboxRecord[],
      cache: [] as [string, CacheRecord][],
    }
    const bad: [string, string][] = []
    await run(db, [...STORES], 'readwrite', (tx) => {
      const meta = tx.objectStore('meta')
      const outbox = tx.objectStore('outbox')
      const cache = tx.objectStore('cache')
      const format = meta.get('format')
      format.onsuccess = () => {
        if (format.result !== undefined && format.result !== FORMAT) {
          warn(`persisted format ${String(format.result)} is not ${FORMAT}: cleared`)
          for (const s of STORES) tx.objectStore(s).clear()
        }
        meta.put(FORMAT, 'format')
        const id = meta.get('clientId')
        id.onsuccess = () => {
          if (typeof id.result === 'string' && id.result) out.clientId = id.result
          else meta.put(out.clientId, 'clientId')
        }
        const keys = outbox.getAllKeys()
        const values = outbox.getAll()
        values.onsuccess = () =>
          keys.result.forEach((k, i) => {
            const r = values.result[i] as OutboxRecord
            if (isOutboxRecord(r) && r.w.request.mutationId === k) out.outbox.push(r)
            else bad.push(['outbox', String(k)])
          })
        const ckeys = cache.getAllKeys()
        const cvalues = cache.getAll()
        cvalues.onsuccess = () =>
          ckeys.result.forEach((k, i) => {
            const r = cvalues.result[i]
            if (isCacheRecord(r) && typeof k === 'string') out.cache.push([k, r])
            else bad.push(['cache', String(k)])
          })
      }
    })
    if (bad.length) {
      warn(`${bad.length} unreadable persisted record(s) dropped`)
      await run(db, ['outbox', 'cache'], 'readwrite', (tx) => {
        for (const [s, k] of bad) tx.objectStore(s).delete(k)
      })
    }
    out.outbox.sort((a, b) => a.at - b.at)
    return out
  }

  private begin(): void {
    const early = this.early ?? []
    this.early = undefined
    if (this.state === 'opening') this.state = 'indexeddb'
    for (const m of early) this.heard(m)
    this.host.start(this.clientId ?? this.host.clientId)
    this.tabs?.lead()
  }

  private tabEvents() {
    return {
      write: (w: OutboxWrite) => this.heard({ t: 'w', w }),
      lead: () => this.host.flush(),
      queued: async (id: string) => {
        if (!this.db) return false
        const db = this.db
        return (
          (await run(db, 'outbox', 'readonly', (tx) => tx.objectStore('outbox').count(id))).result >
          0
        )
      },
    }
  }

  private heard(m: TabMessage): void {
    if (this.early) return void this.early.push(m)
    if (m.t === 'w' && isWrite(m.w)) this.adopt(m.w)
  }

  private adopt(w: OutboxWrite): void {
    const id = w.request.mutationId
    if (this.host.getPendingWrites().some((p) => p.mutationId === id)) return
    this.orphans.set(id, w)
    this.host.adopt(w).catch(() => undefined)
  }

  private toMemory(reason?: string): void {
    if (reason && this.state !== 'memory')
      warn(`${reason}; writes and cache are kept in memory only`)
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

function parseItems(json: string): Item[] | undefined {
  try {
    const items: unknown = JSON.parse(json)
    return Array.isArray(items) ? items.filter(isItem) : undefined
  } catch {
    return undefined
  }
}

function isItem(v: unknown): v is Item {
  return (
    typeof v === 'object' && v !== null && typeof (v as Item).id === 'string' && !Array.isArray(v)
  )
}

function isWrite(w: unknown): w is OutboxWrite {
  const r = (w as OutboxWrite | null)?.request
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.mutationId === 'string' &&
    typeof r.collection === 'string' &&
    typeof r.id === 'string' &&
    KINDS.includes(r.kind) &&
    r.meta?.mutationId === r.mutationId
  )
}

function isOutboxRecord(r: unknown): r is OutboxRecord {
  return typeof (r as OutboxRecord | null)?.at === 'number' && isWrite((r as OutboxRecord).w)
}
