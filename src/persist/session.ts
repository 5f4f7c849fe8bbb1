import { ServerError } from '../client/errors.js'
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
import { STORES, openDb, request, run, type OutboxRecord } from './idb.js'
import type { IndexedDBPersistenceOptions } from './index.js'
import { tabs as makeTabs, type TabMessage, type Tabs } from './tabs.js'
import { warmCache, type CacheRecord } from './warmCache.js'

const KINDS = ['POST', 'PUT', 'PATCH', 'DELETE']

const warn = (message: string) => console.warn(`livecrud/persist: ${message}`)

/** An answer that decided the write (a refusal other than "ask again later"). */
const final = (error: unknown) => error instanceof ServerError && error.code !== 'RATE_LIMITED'

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
  let lastAt = 0

  const cache = warmCache(
    client,
    () => db,
    max! >= 0 ? max! : 50_000,
    // Quota: the next page starts cold; the outbox is what must not be lost.
    (error) => warn(`cache not saved (${error})`),
  )

  const toMemory = (reason?: string) => {
    if (reason) warn(`${reason}: in memory`)
    state = 'memory'
    db?.close()
    db = undefined
    tabs?.close()
    tabs = undefined
  }

  /**
   * Puts a record (or deletes one) in the outbox. IndexedDB runs read-write transactions of one store
   * in the order they were made: writes land in order. Quota, or the database went away: the writes
   * stay queued in memory.
   */
  const op = (key: string, value?: OutboxRecord): Promise<void> =>
    db
      ? run(db, 'outbox', 'readwrite', (tx) => {
          const store = tx.objectStore('outbox')
          if (value) store.put(value, key)
          else store.delete(key)
        }).catch((error) => toMemory(`outbox not saved (${error})`))
      : Promise.resolve()

  /** A write was answered: out of the outbox, and every tab hears it. */
  const settled = (message: TabMessage & { t: 's' }) => {
    void op(message.id)
    tabs?.post(message)
  }

  // Every write of the queue goes out through here: another tab may be the one that sends. An answer
  // is broadcast by whichever tab hears it (a repeat changes nothing for the others).
  const route = async (event: string, args: unknown[], timeout?: number): Promise<AckResult> => {
    const id = (args[2] as WriteMeta).mutationId
    try {
      const answer = await (tabs && !tabs.leader
        ? tabs.wait(id, event)
        : transport.request(event, args, timeout))
      orphans.delete(id)
      settled({ t: 's', id, r: answer.result, m: answer.meta })
      return answer
    } catch (error) {
      const orphan = orphans.get(id)
      if (final(error)) {
        orphans.delete(id)
        settled({ t: 's', id, e: (error as ServerError).toWire() })
        if (orphan) o.onWriteError?.(error as LivecrudError, orphan.request)
      }
      throw error
    }
  }
  writes.transport = { isConnected: () => transport.isConnected(), request: route as never }

  /** A write made by an earlier page or another tab: pending in the store and queued, in order. */
  const adopt = (r: OutboxRecord) => {
    if (!isRecord(r)) return
    const { w } = r
    const { request, mutation } = w
    if (writes.getPending().some((p) => p.mutationId === request.mutationId)) return
    orphans.set(request.mutationId, w)
    // Accepted once already: maxQueue does not apply again.
    if (request.optimistic && mutation)
      stores.dispatch(request.collection, { type: 'local/write', mutation })
    writes.submit({ ...request, timeout: undefined }).catch(() => undefined)
  }

  /**
   * One transaction: the clientId (made by the first page), the outbox in write order, the cache. A
   * record of another shape means a database not to be trusted: everything is cleared.
   */
  const read = async (d: IDBDatabase) => {
    let outbox: OutboxRecord[] = []
    let cached: [CacheRecord, Item[]][] = []
    await run(d, [...STORES], 'readwrite', (tx) => {
      const meta = tx.objectStore('meta')
      const id = meta.get('clientId')
      const all = tx.objectStore('outbox').getAll()
      const records = tx.objectStore('cache').getAll()
      // Requests of a transaction succeed in order: this is the last.
      records.onsuccess = () => {
        // Before the first connection: restored writes go out with the clientId they were made with.
        if (typeof id.result === 'string') client.clientId = id.result
        else meta.put(client.clientId, 'clientId')
        outbox = all.result
        cached = records.result.map((r: CacheRecord) => [r, parseItems(r)!])
        if (outbox.every(isRecord) && cached.every(([, items]) => items)) return
        warn('unreadable records: cleared')
        outbox = []
        cached = []
        tx.objectStore('outbox').clear()
        tx.objectStore('cache').clear()
      }
    })
    return { outbox: outbox.sort((a, b) => a.at - b.at), cached }
  }

  const open = async () => {
    if (!factory) throw new Error('no indexedDB')
    const d = await openDb(factory, dbName, warn)
    if (closed) return d.close()
    db = d
    d.onversionchange = () => toMemory('database deleted by another page')
    const { outbox, cached } = await read(d)
    tabs = makeTabs(dbName, adopt, () => void writes.flush())
    stores.batch(() => {
      for (const [{ c, seq, n, at }, items] of cached) {
        stores.dispatch(c, { type: 'server/items', items })
        subscriptions.setSeq(c, seq)
        marks.mark(c, true)
        cache.index.set(c, [n, at])
      }
    })
    for (const r of outbox) adopt(r)
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
      if (db) state = 'indexeddb'
      transport.start()
      tabs?.lead()
    })

  // A page going away saves what changed in its last second.
  ;(globalThis as { addEventListener?: Window['addEventListener'] }).addEventListener?.(
    'pagehide',
    () => void cache.save(),
  )

  return {
    get state() {
      return state
    },

    save(write: OutboxWrite): Promise<void> {
      return ready.then(() => {
        if (!db) return
        const r = { at: (lastAt = Math.max(Date.now(), lastAt + 0.001)), w: write }
        return op(write.request.mutationId, r).then(() => tabs?.post({ t: 'w', r }))
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
      // Every list: before the restore ended it is not known whether a cache will serve it.
      handle.query = (q = {}) => marks.query(name, q, query(q))
    },

    async clear(): Promise<void> {
      await ready
      toMemory()
      if (factory) await request(factory.deleteDatabase(dbName))
    },

    close(): void {
      if (closed) return
      closed = true
      // The connection stays open for that last save; another page deleting the database closes it.
      void cache.save()
      tabs?.close()
    },
  }
}

function parseItems(r: CacheRecord | undefined): Item[] | undefined {
  try {
    const items: unknown =
      typeof r?.c === 'string' &&
      Number.isSafeInteger(r.seq) &&
      r.n >= 0 &&
      r.at > 0 &&
      JSON.parse(r.items)
    // Items themselves are checked by the store (an invalid one is reported and skipped).
    if (Array.isArray(items)) return items
  } catch {
    // unreadable
  }
  return undefined
}

/** The rest the server checks: a bad write is refused, and that answer removes it. */
function isRecord(r: OutboxRecord | undefined): r is OutboxRecord {
  const q = r?.w?.request
  return (
    typeof r?.at === 'number' &&
    KINDS.includes(q?.kind as string) &&
    typeof q!.meta?.mutationId === 'string'
  )
}
