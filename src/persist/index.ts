import type { OutboxWrite, Persistence } from '../client/persistence.js'
import type { LivecrudError } from '../protocol/errors.js'
import { session } from './session.js'

export interface IndexedDBPersistenceOptions {
  /**
   * Names the database (`livecrud:<name>`): tabs with the same name share one outbox and one cache.
   * Include the signed-in user (`app:${userId}`) so one user's cache is never shown to another.
   */
  name: string
  /** Items the warm-start cache keeps across all collections (default 50 000); whole collections, least recently used first, are dropped beyond it. */
  maxCachedItems?: number
  /**
   * A write restored from an earlier page (or made in another tab) was refused by the server: its
   * promise is gone, so it is reported here (the item's `error` shows it too).
   */
  onWriteError?: (error: LivecrudError, write: OutboxWrite['request']) => void
  /** The IndexedDB to use (default `globalThis.indexedDB`; tests pass fake-indexeddb's). */
  indexedDB?: IDBFactory
}

/**
 * `createClient({ url, persistence: indexedDBPersistence({ name }) })`: a durable outbox (writes
 * survive reloads and are sent once), a warm start from cached collections, and tabs that share one
 * outbox. Without IndexedDB (private windows, Node) the client works in memory
 * (`client.getPersistenceState() === 'memory'`).
 */
export function indexedDBPersistence(options: IndexedDBPersistenceOptions): Persistence {
  if (!options?.name) throw new TypeError('indexedDBPersistence needs a name')
  return { attach: (client) => session(client, options) }
}

export type { OutboxWrite, Persistence, PersistenceState } from '../client/persistence.js'
