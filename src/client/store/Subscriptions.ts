import type { Id, Item } from '../../protocol/index.js'
import type { StoreChange, UnseenChange } from '../types.js'
import { ListenerSet } from './ListenerSet.js'

/**
 * The listeners of one collection store: collection and per-item subscribers, refetch requests, and
 * the observer count the client ref-counts its server subscription on.
 */
export class Subscriptions<T extends Item = Item> {
  private readonly onError: (error: unknown) => void
  private readonly changes: ListenerSet<StoreChange<T>[]>
  private readonly items = new Map<Id, ListenerSet>()
  private readonly needsFetch: ListenerSet<Id[]>
  private readonly observed: ListenerSet<boolean>
  private readonly unseen: ListenerSet<readonly UnseenChange[]>
  private observers = 0

  constructor(onError: (error: unknown) => void) {
    this.onError = onError
    this.changes = new ListenerSet(onError, (delta) => this.observe(delta))
    this.needsFetch = new ListenerSet(onError)
    this.observed = new ListenerSet(onError)
    this.unseen = new ListenerSet(onError)
  }

  subscribe(listener: (changes: StoreChange<T>[]) => void): () => void {
    return this.changes.add(listener)
  }

  subscribeItem(id: Id, listener: () => void): () => void {
    let set = this.items.get(id)
    if (!set) {
      const created: ListenerSet = new ListenerSet(this.onError, (delta, size) => {
        if (size === 0 && this.items.get(id) === created) this.items.delete(id)
        this.observe(delta)
      })
      set = created
      this.items.set(id, set)
    }
    return set.add(listener)
  }

  hasItemListeners(id: Id): boolean {
    return this.items.has(id)
  }

  onNeedsFetch(listener: (ids: Id[]) => void): () => void {
    return this.needsFetch.add(listener)
  }

  onUnseenChanges(listener: (changes: readonly UnseenChange[]) => void): () => void {
    return this.unseen.add(listener)
  }

  onObservedChange(listener: (observed: boolean) => void): () => void {
    return this.observed.add(listener)
  }

  get observerCount(): number {
    return this.observers
  }

  /**
   * One batch's notifications: item subscribers, then collection subscribers, then unseen changes, then
   * refetches.
   */
  notify(
    changes: StoreChange<T>[],
    states: readonly Id[],
    needsFetch: Id[],
    unseen: readonly UnseenChange[] = [],
  ): void {
    for (const id of states) this.items.get(id)?.emit()
    if (changes.length > 0) this.changes.emit(changes)
    if (unseen.length > 0) this.unseen.emit(unseen)
    if (needsFetch.length > 0) this.needsFetch.emit(needsFetch)
  }

  private observe(delta: 1 | -1): void {
    this.observers += delta
    if (this.observers === 1 && delta === 1) this.observed.emit(true)
    else if (this.observers === 0) this.observed.emit(false)
  }
}
