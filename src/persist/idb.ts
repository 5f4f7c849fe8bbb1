import type { OutboxWrite } from '../client/persistence.js'

/**
 * The few IndexedDB calls the persistence makes, as promises (raw IndexedDB: smaller than a wrapper).
 * Three stores: `meta` (format, clientId), `outbox` (mutationId → queued write), `cache` (collection →
 * its confirmed items and seq).
 */

/**
 * The stored shape's version, used as the database version: bump it when the shape changes. An older
 * database is then cleared on upgrade, a newer one (VersionError) deleted; both with a warning.
 */
export const FORMAT = 1
/** An outbox entry (key: its mutationId). */
export interface OutboxRecord {
  /** Write order across tabs and pages. */
  at: number
  w: OutboxWrite
}

export const STORES = ['meta', 'outbox', 'cache'] as const
export type StoreName = (typeof STORES)[number]

export const request = <T>(r: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error)
  })

/** Runs `work` in one transaction; resolves with its result once the transaction committed. */
export function run<T>(
  db: IDBDatabase,
  stores: StoreName | StoreName[],
  mode: IDBTransactionMode,
  work: (tx: IDBTransaction) => T,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(stores, mode)
    let result: T
    tx.oncomplete = () => resolve(result)
    tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('aborted'))
    try {
      result = work(tx)
    } catch (error) {
      // Still active (work is synchronous): nothing of it is written.
      tx.abort()
      reject(error)
    }
  })
}

/**
 * Opens (creating or upgrading) the database. One of another shape — older, written by a newer
 * version of livecrud (VersionError), or with other stores — is deleted, never trusted; `warn` says so.
 */
export async function openDb(
  factory: IDBFactory,
  name: string,
  warn: (message: string) => void,
): Promise<IDBDatabase> {
  const open = () => {
    const r = factory.open(name, FORMAT)
    r.onupgradeneeded = (event) => {
      const db = r.result
      if (event.oldVersion > 0) warn('incompatible database cleared')
      for (const store of [...db.objectStoreNames]) db.deleteObjectStore(store)
      for (const store of STORES) db.createObjectStore(store)
    }
    return request(r)
  }
  const db = await open().catch((error: DOMException) => {
    if (error?.name !== 'VersionError') throw error
  })
  if (db && STORES.every((s) => db.objectStoreNames.contains(s))) return db
  db?.close()
  warn('incompatible database cleared')
  await request(factory.deleteDatabase(name))
  return open()
}
