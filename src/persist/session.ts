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
import { cacheMarks } from './cacheMarks.js'
import { STORES, openDb, request, run } from './idb.js'
import type { IndexedDBPersistenceOptions } from './index.js'
import { tabs as makeTabs, type TabMessage, type Tabs } from './tabs.js'
import { warmCache, type CacheRecord } from './warmCache.js'

interface OutboxRecord {
  /** Write order across tabs and pages. */
  at: number
  w: OutboxWrite
}

const KINDS = ['POST', 'PUT', 'PATCH', 'DELETE']

const warn = (message: string) => console.warn(`livecrud/persist: ${message}`)

/** An answer that decided the write (a refusal other than "ask again later"). */
const final = (error: unknown) => error instanceof ServerError && !isRateLimited(error)

/**
 * One client's persistence: opens the database, restores the outbox and the cache before the first
 * connection, keeps the outbox durable ahead of every optimistic apply, and shares it with other tabs.
 */
export function session(client: ClientParts, o: IndexedDBPersistenceOptions): PersistenceSession {
  const { stores, transport, writes, subscriptions } = client
  const dbName = `livecrud:${o.name}`
  const factory = o.indexedDB ?? globalThis.indexedDB
  const marks = cacheMarks(stores)
  const max = o.maxCachedItems
  let state: PersistenceState = 'opening'
  let db: IDBDatabase | undefined
  let tabs: Tabs | undefined
  let closed = false
  /** Restored or adopted writes: their promise belongs to no caller, so `onWriteError` reports. */
  const orphans = new Map<string, OutboxWrite>()
  /** Outbox puts (a record) and deletes (undefined), written in order, one transaction per burst. */
  let ops: [string, OutboxRecord | undefined][] = []
  let opsDone: Promise<void> | undefined
  let lastAt = 0
  /** Other tabs' writes heard before the restore ended (adopted after it, in order). */
  let early: OutboxWrite[] | undefined = []
  let clientId: string | undefined

  const cache = warmCache(
    client,
    () => db,
    typeof max === 'number' && max >= 0 ? max : 50_000,
    (error) => {
      warn(`cache not saved (${error}): dropped`)
      cache.index.clear()
      if (db) void run(db, 'cache', 'readwrite', (tx) => tx.objectStore('cache').clear())
    },
  )

  const toMemory = (reason?: string) => {
    if (reason && state !== 'memory') warn(`${reason}; in memory only from now`)
    state = 'memory'
    db?.close()
    db = undefined
    cache.close()
    tabs?.close()
    tabs = undefined
    if (early) early = []
  }

  const op = (key: string, value?: OutboxRecord): Promise<void> => {
    ops.push([key, value])
    return (opsDone ??= Promise.resolve().then(async () => {
      const batch = ops
      ops = []
      opsDone = undefined
      if (db)
        await run(db, 'outbox', 'readwrite', (tx) => {
          const store = tx.objectStore('outbox')
          for (const [k, v] of batch) {
            if (v) store.put(v, k)
            else store.delete(k)
          }
          // Quota, or the database went away: the writes stay queued in memory.
        }).catch((error) => toMemory(`outbox not saved (${error})`))
    }))
  }

  /** A write was answered: out of the outbox, and every tab hears it. */
  const settled = (message: TabMessage & { t: 's' }) => {
    if (db) void op(message.id)
    tabs?.post(message)
  }

  // Every write of the queue goes out through here: another tab may be the one that sends.
  const route = async (event: string, args: unknown[], timeout?: number): Promise<AckResult> => {
    const id = (args[2] as WriteMeta).mutationId
    try {
      if (tabs && !tabs.leader) return await tabs.wait(id, event)
      const answer = await transport.request(event, args, timeout).catch((error: unknown) => {
        if (final(error)) settled({ t: 's', id, e: (error as ServerError).toWire() })
        throw error
      })
      settled({ t: 's', id, r: answer.result, m: answer.meta })
      return answer
    } catch (error) {
      const orphan = final(error) && orphans.get(id)
      if (orphan) o.onWriteError?.(error as LivecrudError, orphan.request)
      throw error
    } finally {
      if (!writes.getPending().some((w) => w.mutationId === id)) orphans.delete(id)
    }
  }
  writes.transport = { isConnected: () => transport.isConnected(), request: route as never }

  /** A write made by an earlier page or another tab: pending in the store and queued, in order. */
  const adopt = (w: OutboxWrite) => {
    const { request, mutation } = w
    if (!isWrite(w) || writes.getPending().some((p) => p.mutationId === request.mutationId)) return
    orphans.set(request.mutationId, w)
    try {
      writes.checkCapacity()
      if (request.optimistic && mutation)
        stores.dispatch(request.collection, { type: 'local/write', mutation })
      writes.submit({ ...request, timeout: undefined }).catch(() => undefined)
    } catch {
      // Closed, or the queue is full: it stays in the outbox for the next page.
    }
  }

  /**
   * One transaction: the clientId (made by the first page), the outbox in write order, the cache. A
   * record of another shape means a database not to be trusted: everything is cleared.
   */
  const read = async (d: IDBDatabase) => {
    let outbox: OutboxRecord[] = []
    let cached: [string, CacheRecord, Item[]][] = []
    await run(d, [...STORES], 'readwrite', (tx) => {
      const meta = tx.objectStore('meta')
      const id = meta.get('clientId')
      id.onsuccess = () => {
        if (typeof id.result === 'string') clientId = id.result
        else meta.put(client.clientId, 'clientId')
      }
      const all = tx.objectStore('outbox').getAll()
      const keys = tx.objectStore('cache').getAllKeys()
      const values = tx.objectStore('cache').getAll()
      values.onsuccess = () => {
        outbox = all.result
        cached = keys.result.map((k, i) => [
          k as string,
          values.result[i],
          parseItems(values.result[i])!,
        ])
        if (outbox.every(isOutboxRecord) && cached.every(([, , items]) => items)) return
        warn('unreadable persisted records: cleared')
        outbox = []
        cached = []
        for (const s of STORES) tx.objectStore(s).clear()
        meta.put((clientId = client.clientId), 'clientId')
      }
    })
    return { outbox: outbox.sort((a, b) => a.at - b.at), cached }
  }

  const open = async () => {
    if (!factory) throw new Error('no indexedDB')
    let timer: ReturnType<typeof setTimeout> | undefined
    const d = await Promise.race([
      openDb(factory, dbName, warn),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('open timed out')), 5000)
      }),
    ]).finally(() => clearTimeout(timer))
    if (closed) return d.close()
    db = d
    d.onversionchange = () => toMemory('database deleted or upgraded by another page')
    // Tabs first, so no write another tab makes meanwhile goes unheard.
    tabs = makeTabs(
      dbName,
      (w) => (early ? early.push(w) : adopt(w)),
      () => void writes.flush(),
    )
    const { outbox, cached } = await read(d)
    stores.batch(() => {
      for (const [collection, record, items] of cached) {
        if (items.length) stores.dispatch(collection, { type: 'server/items', items })
        subscriptions.setSeq(collection, record.seq)
        marks.mark(collection, true)
        cache.index.set(collection, [record.n, record.at])
      }
    })
    for (const { w, at } of outbox) {
      lastAt = Math.max(lastAt, at)
      adopt(w)
    }
  }

  stores.onCreate((collection, store) => {
    store.subscribe(() => cache.touch(collection))
  })
  subscriptions.onSynced = (collection) => {
    marks.mark(collection, false)
    cache.touch(collection)
  }
  const ready = open()
    .catch((error) => toMemory(`IndexedDB unusable (${error})`))
    .then(() => {
      if (state === 'opening') state = 'indexeddb'
      const heard = early ?? []
      early = undefined
      for (const w of heard) adopt(w)
      client.clientId = clientId ?? client.clientId
      transport.start()
      tabs?.lead()
    })
  const win = globalThis as { addEventListener?: Window['addEventListener'] }
  win.addEventListener?.('pagehide', () => void cache.save())

  return {
    get state() {
      return state
    },

    save(write: OutboxWrite): Promise<void> {
      return ready.then(() => {
        if (!db) return
        lastAt = Math.max(Date.now(), lastAt + 0.001)
        return op(write.request.mutationId, { at: lastAt, w: write }).then(() =>
          tabs?.post({ t: 'w', w: write }),
        )
      })
    },

    decorate(handle: CollectionHandle<any>): void {
      const { name } = handle
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
        return state === 'opening' || marks.restored.has(name) ? marks.query(name, q, live) : live
      }
    },

    async clear(): Promise<void> {
      await ready
      toMemory()
      cache.index.clear()
      if (factory) await request(factory.deleteDatabase(dbName))
    },

    close(): void {
      if (closed) return
      closed = true
      void cache.save().finally(() => {
        db?.close()
        db = undefined
      })
      tabs?.close()
    },
  }
}

function parseItems(r: CacheRecord | undefined): Item[] | undefined {
  try {
    const items: unknown =
      Number.isSafeInteger(r?.seq) && r!.n >= 0 && r!.at > 0 && JSON.parse(r!.items)
    if (Array.isArray(items) && items.every((i: Item | null) => typeof i?.id === 'string'))
      return items
  } catch {
    // unreadable
  }
  return undefined
}

function isWrite(w: OutboxWrite | undefined): w is OutboxWrite {
  const r = w?.request
  return (
    typeof r?.collection === 'string' &&
    typeof r.id === 'string' &&
    KINDS.includes(r.kind) &&
    typeof r.meta?.mutationId === 'string' &&
    r.meta.mutationId === r.mutationId
  )
}

function isOutboxRecord(r: OutboxRecord | undefined): boolean {
  return typeof r?.at === 'number' && isWrite(r.w)
}
