import { compileFilter } from '../../protocol/query.js'
import type { Id, Item, ListResult, NormalizedQuery } from '../../protocol/types.js'
import type { StoreChange, UnseenChange } from '../types.js'
import { compileViewComparator } from './compileViewComparator.js'
import { netChanges, type Heard } from './netChanges.js'
import { PageWindow } from './PageWindow.js'

/** What a list reads from the collection's store. */
export interface ListStore<T extends Item = Item> {
  peek(id: Id): T | undefined
  subscribe(listener: (changes: StoreChange<T>[]) => void): () => void
  /** Server events about items the store held no value of (see CollectionStore.onUnseenChanges). */
  onUnseenChanges?(listener: (changes: readonly UnseenChange[]) => void): () => void
}

/** The ids and items of the page as shown, with stable identities. */
export interface ListView<T extends Item = Item> {
  ids: Id[]
  items: T[]
  total: number
}

const EMPTY_VIEW: ListView<never> = { ids: [], items: [], total: 0 }

/**
 * One page of one query, shared by every LiveQuery with the same key: the engine (PageWindow) fed by the
 * store, plus what a LIST in flight needs — changes that arrive meanwhile are buffered and reconciled
 * with the answer by seq. It never fetches by itself: `onInexact` asks its owner for a throttled refetch.
 */
export class LiveList<T extends Item = Item> {
  readonly window: PageWindow
  private readonly cmp: (a: Item, b: Item) => number
  private readonly listeners = new Set<() => void>()
  /** Changes heard while a LIST is in flight (null when none is). */
  private buffer: Heard<T>[] | null = null
  /** Confirmed values, when the LIST started, of the ids with local writes then (kept with `buffer`). */
  private readonly pendingAtStart = new Map<Id, Item | undefined>()
  /** Seqs of unseen changes heard while a LIST is in flight (kept with `buffer`). */
  private unseenBuffer: (number | undefined)[] = []
  /**
   * An item the list never saw changed after the installed LIST: whether it was a member before, and so
   * the total and the page's position in the set, is unknown until the next LIST.
   */
  private unsure = false
  private generation = 0
  /** Everything with seq ≤ this is part of the installed window. */
  private installedSeq = -1
  /** Ids with local writes not yet settled: a LIST answer does not include them. */
  private readonly localIds = new Set<Id>()
  /**
   * Ids the installed window holds as the store shows them (the answer's members, the ids reconciled
   * at install, local writes since): every later change of theirs applies, whatever its seq. Any other
   * id is held as the answer gave it, and a server change with seq ≤ installedSeq only brings the
   * store up to the answer (the LIST, read from the database, often overtakes events it includes).
   */
  private mirrored = new Set<Id>()
  /** The installed answer is ahead of the events the store has applied (it overtook them). */
  private catchingUp = false
  private view: ListView<T> = EMPTY_VIEW
  private viewDirty = true
  hasData = false
  private readonly unsubscribers: (() => void)[] = []

  constructor(
    readonly query: NormalizedQuery,
    private readonly store: ListStore<T>,
    private readonly onInexact: () => void,
  ) {
    this.cmp = compileViewComparator(query.sort)
    this.window = new PageWindow(query.page, query.pageSize, this.cmp, compileFilter(query.filters))
    this.unsubscribers.push(store.subscribe((changes) => this.onChanges(changes)))
    // The store's visible changes cannot tell this list about an item it never held: an unknown
    // item's CHANGED or REMOVED changes no visible value (and the refetched value that follows looks
    // like any read), yet the item may have entered, left or moved within the result set.
    if (store.onUnseenChanges)
      this.unsubscribers.push(store.onUnseenChanges((changes) => this.onUnseen(changes)))
  }

  dispose(): void {
    for (const off of this.unsubscribers.splice(0)) off()
    this.listeners.clear()
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private notify(): void {
    this.viewDirty = true
    for (const l of [...this.listeners]) l()
  }

  isExact(): boolean {
    return this.hasData && !this.unsure && this.window.isExact()
  }

  private onUnseen(changes: readonly UnseenChange[]): void {
    let unsure = false
    for (const { seq } of changes) {
      if (this.buffer) this.unseenBuffer.push(seq)
      if (seq !== undefined && seq <= this.installedSeq) continue
      if (this.hasData) unsure = true
    }
    if (!unsure) return
    // Asked again even when already unsure: a LIST that failed meanwhile left it so.
    this.unsure = true
    this.onInexact()
    this.notify()
  }

  private concerns(c: StoreChange<T>): boolean {
    const f = this.window.filter
    return (c.before !== undefined && f(c.before)) || (c.after !== undefined && f(c.after))
  }

  private onChanges(changes: StoreChange<T>[]): void {
    let touched = false
    let unsure = false
    if (this.catchingUp) {
      const at = this.storeSeq()
      if (at !== undefined && at >= this.installedSeq) this.catchingUp = false
    }
    for (const c of changes) {
      if (c.cause === 'optimistic') this.localIds.add(c.id)
      else if (c.cause !== 'server' && !this.hasPendingWrites(c.id)) this.localIds.delete(c.id)
      // The confirmed value as of each change tells, at install, what the LIST answer counted.
      if (this.buffer) this.buffer.push({ c, conf: this.confirmed(c.id) })
      if (!this.hasData) continue
      const mirrored = this.mirrored.has(c.id)
      const serverSeq = c.cause === 'server' ? c.seq : undefined
      if (serverSeq !== undefined && serverSeq <= this.installedSeq) {
        // It brings the store up to the answer, unless the window holds the id as the store has it.
        if (!mirrored) continue
      } else if (c.cause === 'server' && c.seq === undefined && c.before === undefined) {
        // A read (a LIST, a GET) taught the store an item it did not hold. The LIST in flight answers
        // for it. Otherwise, where a member would be in the run, the installed answer did not have it:
        // it is new since (its event will change nothing in the store), so it enters. Elsewhere it may
        // be counted in the total already — or, outside the set, have been counted and left since:
        // unknown until the next LIST (unless the run is the whole set).
        if (this.buffer || c.after === undefined) continue
        if (!this.window.knowsPlace(c.after)) {
          unsure = true
          continue
        }
        if (!this.window.filter(c.after)) continue
        this.mirrored.add(c.id)
      } else if (!mirrored && this.catchingUp && this.concerns(c)) {
        // The answer overtook events the store has not applied yet: the store's value of an id held as
        // the answer gave it may be behind the answer, and this change starts from that value.
        unsure = true
      }
      if (serverSeq !== undefined && serverSeq >= this.installedSeq) this.catchingUp = false
      if (c.cause === 'optimistic' || c.cause === 'confirm' || c.cause === 'rollback')
        this.mirrored.add(c.id)
      if (this.window.apply(c.id, c.before, c.after)) touched = true
    }
    if (unsure) {
      this.unsure = true
      touched = true
    }
    if (touched) {
      // Ask first, so listeners already read isFetching = true.
      if (!this.isExact()) this.onInexact()
      this.notify()
    }
  }

  /** Marks the start of a LIST; returns the token `install` needs. */
  beginFetch(): number {
    if (!this.buffer) {
      this.buffer = []
      // What the answer counts for an id with pending writes: its confirmed value (not the visible one).
      this.pendingAtStart.clear()
      for (const id of this.localIds) this.pendingAtStart.set(id, this.confirmed(id))
    }
    return ++this.generation
  }

  /** A LIST failed: the buffer of the newest one goes away (the shown state stays). */
  endFetch(token: number): void {
    if (token !== this.generation) return
    this.buffer = null
    this.unseenBuffer = []
  }

  /**
   * Installs a LIST answer (its items are already in the store). Changes heard since the LIST was sent
   * are reconciled: seq ≤ result.seq are included in the answer; later ones and local writes are replayed
   * as one net change per id, from the value the answer implies to the store's visible value now.
   */
  install(token: number, result: ListResult): boolean {
    if (token !== this.generation) return false
    const buffer = this.buffer ?? []
    const unseen = this.unseenBuffer
    this.buffer = null
    this.unseenBuffer = []
    const items = result.items.filter(
      (i): i is Item => i !== null && typeof i === 'object' && typeof i.id === 'string',
    )
    // A malformed answer never breaks the list: fall back to what was asked.
    const page =
      Number.isSafeInteger(result.page) && result.page > 0 ? result.page : this.query.page
    const size =
      Number.isSafeInteger(result.pageSize) && result.pageSize > 0
        ? result.pageSize
        : this.query.pageSize
    const offset = (page - 1) * size
    const byId = new Map<Id, Item>()
    for (const item of items) byId.set(item.id, item)
    const w = this.window
    const total =
      Number.isSafeInteger(result.total) && result.total >= items.length
        ? result.total
        : offset + items.length
    w.reset(items, offset, total)
    this.installedSeq = Number.isFinite(result.seq) ? result.seq : this.installedSeq
    const at = this.storeSeq()
    this.catchingUp = at !== undefined && at < this.installedSeq
    this.hasData = true
    // Unseen changes up to result.seq are in the answer; a later one needs another LIST.
    this.unsure = unseen.some((seq) => seq === undefined || seq > this.installedSeq)
    // The answer covers the whole result set: an id it lacks was not in the set at result.seq.
    const covers = offset === 0 && items.length >= total
    // Local writes still pending (the echo may have settled others without a confirm).
    this.pruneLocalIds()
    // For every other id touched meanwhile or carrying local writes whose store value may be past the
    // answer, the net change goes from the value the answer counted to the visible value now.
    const {
      before: netBefore,
      past,
      learned,
    } = netChanges({
      buffer,
      members: byId,
      seq: this.installedSeq,
      covers,
      localIds: this.localIds,
      pendingAtStart: this.pendingAtStart,
      confirmed: this.getConfirmed,
    })
    // The window now holds these ids as the store shows them.
    this.mirrored = new Set(byId.keys())
    for (const id of netBefore.keys()) this.mirrored.add(id)
    // Outside a whole-set answer, what the answer counted for an id it lacks is the store's confirmed
    // value: only a guess while the store is behind the answer (the LIST overtook events).
    if (this.catchingUp && !covers) {
      for (const id of netBefore.keys()) if (!past.has(id)) this.unsure = true
    }
    // Members first: the answer gives their exact value at result.seq.
    for (const [id, answer] of byId) {
      const now = this.store.peek(id)
      if (now === answer) continue
      if (now !== undefined && this.sameForList(now, answer)) {
        this.replaceMember(id, answer, now)
        continue
      }
      w.apply(id, answer, now)
    }
    for (const [id, before] of netBefore) {
      const now = this.store.peek(id)
      if (learned.has(id) && now !== undefined) {
        // As when heard after an answer (see onChanges): it enters where a member would be in the run;
        // outside the set, the answer may have counted it unless it is the whole set.
        if (!w.knowsPlace(now)) this.unsure = true
        else if (w.filter(now)) w.apply(id, undefined, now)
        if (w.filter(now)) continue
      }
      if (now !== before) w.apply(id, before, now)
    }
    this.notify()
    return this.isExact()
  }

  private sameForList(a: Item, b: Item): boolean {
    return this.cmp(a, b) === 0 && this.window.filter(a) === this.window.filter(b)
  }

  private replaceMember(id: Id, old: Item, now: Item): void {
    const run = this.window.run
    const i = run.indexOf(id, old)
    if (i >= 0) run.vals[i] = now
  }

  /** The store's confirmed server value of an id (set by the owner when the store can tell). */
  getConfirmed: ((id: Id) => Item | undefined) | undefined

  private confirmed(id: Id): Item | undefined {
    return this.getConfirmed ? this.getConfirmed(id) : undefined
  }

  /** The last seq of this collection's events the store applied (set by the owner when known). */
  storeSeq: () => number | undefined = () => undefined

  /** Whether an id still has local writes awaiting the server. */
  hasPendingWrites: (id: Id) => boolean = () => false

  private pruneLocalIds(): void {
    for (const id of this.localIds) if (!this.hasPendingWrites(id)) this.localIds.delete(id)
  }

  /** The page as shown: the known part of it (all of it when exact), items read from the store. */
  getView(): ListView<T> {
    if (!this.viewDirty) return this.view
    this.viewDirty = false
    const vals = this.window.pageValues()
    const prev = this.view
    const n = vals.length
    let sameIds = prev.ids.length === n
    let sameItems = prev.items.length === n
    const ids = new Array<Id>(n)
    const items = new Array<T>(n)
    for (let i = 0; i < n; i++) {
      const v = vals[i]!
      const item = this.store.peek(v.id) ?? (v as T)
      ids[i] = v.id
      items[i] = item
      if (sameIds && prev.ids[i] !== v.id) sameIds = false
      if (sameItems && prev.items[i] !== item) sameItems = false
    }
    const total = this.window.total
    if (sameIds && sameItems && prev.total === total) return prev
    this.view = {
      ids: sameIds ? prev.ids : ids,
      items: sameItems ? prev.items : items,
      total,
    }
    return this.view
  }
}
