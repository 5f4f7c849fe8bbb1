import type { ClientParts } from '../client/persistence.js'
import type { StoreLike } from '../client/StoreRegistry.js'
import type { Item } from '../protocol/types.js'
import type { FullStore } from './cacheMarks.js'
import { run } from './idb.js'

/** One cached collection as stored: its confirmed items (as JSON: one read, one parse) and their seq. */
export interface CacheRecord {
  /** The collection (also the key). */
  c: string
  seq: number
  /** Item count, for the bound. */
  n: number
  /** Last saved (ms): least recently used collections go first. */
  at: number
  items: string
}

export type WarmCache = ReturnType<typeof warmCache>

/**
 * Keeps the confirmed items of every collection that has a stream position (it was joined, or
 * restored) in the `cache` store, a second after they change (one save a second at most), bounded to
 * `maxItems` in total: whole collections, least recently saved first, are dropped beyond it.
 */
export function warmCache(
  client: ClientParts,
  db: () => IDBDatabase | undefined,
  maxItems: number,
  onError: (error: unknown) => void,
) {
  const dirty = new Set<string>()
  let timer: ReturnType<typeof setTimeout> | undefined
  /** Collection → [count, saved at] of what the database holds. */
  const index = new Map<string, [number, number]>()

  /** The confirmed layer (pending writes are the outbox's, replayed over it after a reload). */
  const confirmed = (collection: string): Item[] => {
    const store = client.stores.get(collection) as StoreLike & FullStore
    const out: Item[] = []
    for (const id of store.knownIds()) {
      const layer = store.getConfirmed?.(id)
      if (layer?.item && !layer.deleted) out.push(layer.item)
    }
    return out
  }

  /** Writes every dirty collection now. */
  const save = async (): Promise<void> => {
    clearTimeout(timer)
    timer = undefined
    const d = db()
    if (!d) return
    const now = Date.now()
    const puts: [string, CacheRecord | undefined][] = []
    for (const c of dirty) {
      const seq = client.subscriptions.getSeq(c)
      if (seq === undefined) continue
      const items = confirmed(c)
      const n = items.length
      const record = n > maxItems ? undefined : { c, seq, n, at: now, items: JSON.stringify(items) }
      puts.push([c, record])
      if (record) index.set(c, [n, now])
      else index.delete(c)
    }
    dirty.clear()
    // Least recently saved first, until the rest fits.
    let total = 0
    for (const [n] of index.values()) total += n
    for (const [c, [n]] of [...index].sort((a, b) => a[1][1] - b[1][1])) {
      if (total <= maxItems) break
      total -= n
      puts.push([c, undefined])
      index.delete(c)
    }
    await run(d, 'cache', 'readwrite', (tx) => {
      const store = tx.objectStore('cache')
      for (const [c, r] of puts) {
        if (r) store.put(r, c)
        else store.delete(c)
      }
    }).catch(onError)
  }

  return {
    index,
    save,
    touch(collection: string): void {
      dirty.add(collection)
      timer ??= setTimeout(() => void save(), 1000)
    },
  }
}
