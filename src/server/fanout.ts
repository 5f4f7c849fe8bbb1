import { EventBatch } from './EventBatch.js'
import type { ChangeRecord, Store } from './stores/Store.js'

/** What fan-out needs of a connection. */
export interface Subscriber {
  /** Sends the connection's event for `change`, or adds it to `batch` when it can be shared. */
  deliver(change: ChangeRecord, batch: EventBatch): void
}

/**
 * Routes every committed change (from `store.onChange`, so other processes' writes too) to the
 * connections subscribed to its collection. Each connection filters and shapes the event for its
 * user from the change's before/after images: no database read per recipient. Recipients that get
 * the same packet are then sent it in one broadcast (`EventBatch`).
 */
export class Fanout {
  private readonly byCollection = new Map<string, Set<Subscriber>>()
  private readonly off: () => void

  constructor(store: Store) {
    this.off = store.onChange((change) => this.publish(change))
  }

  add(collection: string, subscriber: Subscriber): void {
    let set = this.byCollection.get(collection)
    if (!set) this.byCollection.set(collection, (set = new Set()))
    set.add(subscriber)
  }

  remove(collection: string, subscriber: Subscriber): void {
    const set = this.byCollection.get(collection)
    if (!set) return
    set.delete(subscriber)
    if (set.size === 0) this.byCollection.delete(collection)
  }

  subscribers(collection: string): number {
    return this.byCollection.get(collection)?.size ?? 0
  }

  publish(change: ChangeRecord): void {
    const set = this.byCollection.get(change.collection)
    if (!set) return
    const batch = new EventBatch(change)
    for (const subscriber of [...set]) {
      try {
        subscriber.deliver(change, batch)
      } catch (err) {
        console.error('livecrud: delivering a change failed', err)
      }
    }
    batch.flush()
  }

  close(): void {
    this.off()
    this.byCollection.clear()
  }
}
