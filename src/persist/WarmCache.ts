import type { Item } from '../protocol/types.js'
import type { FullStore } from './CacheMarks.js'
import type { ClientParts } from '../client/persistence.js'
import { run } from './idb.js'

/** One cached collection as stored: its confirmed items (as JSON: one read, one parse) and their seq. */
export interface CacheRecord {
  seq: number
  /** Item count, for the bound. */
  n: number
  /** Last saved (ms): least recently used collections go first. */
  at: number
  items: string
}

const SAVE_DELAY_MS = 300

export function isCacheRecord(v: unknown): v is CacheRecord {
  const r = v as CacheRecord | null
  return (
    typeof r === 'object' &&
    r !== null &&
    Number.isSafeInteger(r.seq) &&
    typeof r.n === 'number' &&
    typeof r.at === 'number' &&
    typeof r.items === 'string'
  )
}

/**
 * Keeps the confirmed items of every collection that has a stream position (it was joined, or restored)
 * in the `cache` store, a short while after they change, bounded to `maxItems` in total: whole
 * collections, least recently saved first, are dropped beyond it.
 */
export class WarmCache {
  private readonly dirty = new Set<string>()
  private timer: ReturnType<typeof setTimeout> | undefined
  /** Collection → [count, saved at] of what the database holds. */
  readonly index = new Map<string, [number, number]>()

  constructor(
    private readonly client: ClientParts,
    private readonly db: () => IDBDatabase | undefined,
    private readonly maxItems: number,
    private readonly onQuota: (error: unknown) => void,
  ) {}

  touch(collection: string): void {
    this.dirty.add(collection)
    this.timer ??= setTimeout(() => void this.save(), SAVE_DELAY_MS)
  }

  /** Writes every dirty collection now. */
  async save(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    const db = this.db()
    if (!db || this.dirty.size === 0) return
    const now = Date.now()
    const puts: [string, CacheRecord | undefined][] = []
    for (const c of this.dirty) {
      const seq = this.client.subscriptions.getSeq(c)
      if (seq === undefined) continue
      const items = this.confirmed(c)
      const record = { seq, n: items.length, at: now, items: JSON.stringify(items) }
      puts.push([c, items.length > this.maxItems ? undefined : record])
    }
    this.dirty.clear()
    for (const [c, r] of puts) {
      if (r) this.index.set(c, [r.n, r.at])
      else this.index.delete(c)
    }
    const evict = this.overBound()
    try {
      await run(db, 'cache', 'readwrite', (tx) => {
        const store = tx.objectStore('cache')
        for (const [c, r] of puts) {
          if (r) store.put(r, c)
          else store.delete(c)
        }
        for (const c of evict) store.delete(c)
      })
    } catch (error) {
      this.onQuota(error)
    }
  }

  close(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  /** Least recently saved collections to drop until the rest fits. */
  private overBound(): string[] {
    let total = 0
    for (const [n] of this.index.values()) total += n
    const out: string[] = []
    const oldest = [...this.index].sort((a, b) => a[1][1] - b[1][1])
    for (const [c, [n]] of oldest) {
      if (total <= this.maxItems) break
      total -= n
      out.push(c)
      this.index.delete(c)
    }
    return out
  }

  /** The confirmed layer: visible values, except for items with pending writes (their server value). */
  private confirmed(collection: string): Item[] {
    const store = this.client.stores.get(collection) as unknown as FullStore
    const pending = new Set<string>()
    for (const w of this.client.writes.getPending())
      if (w.collection === collection) pending.add(w.id)
    const out: Item[] = []
    for (const item of store.values?.() ?? []) if (!pending.has(item.id)) out.push(item)
    for (const id of pending) {
      const layer = store.getConfirmed?.(id)
      if (layer?.item && !layer.deleted) out.push(layer.item)
    }
    return out
  }
}
