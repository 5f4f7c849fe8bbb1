import {
  applyQuery,
  compileFilter,
  LivecrudError,
  type Filters,
  type Id,
  type Item,
  type NormalizedQuery,
  type WireError,
} from '../../protocol/index.js'
import { requestOrigin } from '../origin.js'
import { judge, refusalError } from './decisions.js'
import { deepFreeze, frozenCopy } from '../../protocol/frozen.js'
import { idCandidates } from './idCandidates.js'
import { BoundedMap } from './BoundedMap.js'
import type { ChangeRecord, ChangesSince, Store, WriteRequest, WriteResult } from './Store.js'

export interface MemoryStoreOptions {
  /** Changes kept per collection for `changesSince` (default 10 000). Older cursors get `tooOld`. */
  changeRetention?: number
  /** Remembered mutation results per collection for idempotent retries (default 10 000). */
  mutationRetention?: number
}

interface Remembered {
  item: Item | null
  result: Item | boolean | null
  seq: number
  version: number
  /** A remembered refusal: every attempt of this mutation is answered with it. */
  refusal?: WireError
}

interface CollectionState {
  items: Map<Id, Item>
  /** Version of deleted items, so a re-created id continues its version line. */
  tombstones: Map<Id, number>
  seq: number
  /** Ring of the most recent changes, in seq order. */
  log: ChangeRecord[]
  mutations: BoundedMap<string, Remembered>
}

/**
 * The in-process store. Every write runs synchronously from `decide` to commit, so it is atomic
 * without locks. Stored items are deep-frozen: callers get them without copying and cannot
 * corrupt them.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory'
  private readonly collections = new Map<string, CollectionState>()
  private readonly listeners = new Set<(change: ChangeRecord) => void>()
  private readonly changeRetention: number
  private readonly mutationRetention: number
  private closed = false

  constructor(options: MemoryStoreOptions = {}) {
    this.changeRetention = Math.max(1, options.changeRetention ?? 10_000)
    this.mutationRetention = Math.max(1, options.mutationRetention ?? 10_000)
  }

  private state(collection: string): CollectionState {
    let s = this.collections.get(collection)
    if (!s) {
      s = {
        items: new Map(),
        tombstones: new Map(),
        seq: 0,
        log: [],
        mutations: new BoundedMap(this.mutationRetention),
      }
      this.collections.set(collection, s)
    }
    return s
  }

  private check(): void {
    if (this.closed) throw new LivecrudError('INTERNAL', 'store is closed')
  }

  async get(collection: string, id: Id): Promise<Item | null> {
    this.check()
    return this.collections.get(collection)?.items.get(id) ?? null
  }

  async list(
    collection: string,
    query: NormalizedQuery,
    scope?: Filters,
  ): Promise<{ items: Item[]; total: number; seq: number }> {
    this.check()
    const s = this.collections.get(collection)
    if (!s) return { items: [], total: 0, seq: 0 }
    const ids = idCandidates(query.filters)
    let source: Iterable<Item> =
      ids === undefined
        ? s.items.values()
        : ids.map((id) => s.items.get(id)).filter((item) => item !== undefined)
    if (scope && Object.keys(scope).length > 0) {
      const inScope = compileFilter(scope)
      source = [...source].filter(inScope)
    }
    const { items, total } = applyQuery(source, query)
    return { items, total, seq: s.seq }
  }

  async write(request: WriteRequest): Promise<WriteResult> {
    this.check()
    const { collection, id, mutationId, clientId } = request
    const s = this.state(collection)
    const origin = requestOrigin(request)
    const key = `${origin}\u0000${mutationId}`
    const seen = s.mutations.get(key)
    if (seen) {
      if (seen.refusal) throw refusalError(seen.refusal)
      return { ...seen, change: null, duplicate: true }
    }

    const current = s.items.get(id) ?? null
    const judged = judge(request, current)
    let remembered: Remembered
    let change: ChangeRecord | null = null
    const decision = judged.decision
    if (!decision) {
      const version = current?._version ?? s.tombstones.get(id) ?? 0
      remembered = { item: current, result: null, seq: s.seq, version, refusal: judged.refusal }
    } else if (decision.action === 'none') {
      const version = current?._version ?? s.tombstones.get(id) ?? 0
      remembered = { item: current, result: decision.result, seq: s.seq, version }
    } else {
      const version = (current?._version ?? s.tombstones.get(id) ?? 0) + 1
      const seq = s.seq + 1
      if (decision.action === 'put') {
        const { id: _id, _version: _v, ...data } = decision.item
        const item = Object.freeze({ id, _version: version, ...frozenCopy(data) }) as Item
        s.items.set(id, item)
        s.tombstones.delete(id)
        const type = current ? 'CHANGED' : 'ADDED'
        change = { collection, seq, type, id, version, item, prev: current }
        remembered = { item, result: item, seq, version }
      } else {
        if (!current) throw new LivecrudError('NOT_FOUND', `no item ${id} in ${collection}`)
        s.items.delete(id)
        s.tombstones.set(id, version)
        change = { collection, seq, type: 'REMOVED', id, version, item: null, prev: current }
        remembered = { item: null, result: true, seq, version }
      }
      if (mutationId) change.mutationId = mutationId
      if (clientId) change.clientId = clientId
      change.origin = origin
      s.seq = seq
      s.log.push(deepFreeze(change))
      // Trim in batches so the ring costs O(1) amortised per write.
      if (s.log.length > this.changeRetention * 1.25)
        s.log.splice(0, s.log.length - this.changeRetention)
    }
    s.mutations.set(key, remembered)
    if (remembered.refusal) throw refusalError(remembered.refusal)
    if (change) this.emit(change)
    return { ...remembered, change, duplicate: false }
  }

  async changesSince(collection: string, since: number): Promise<ChangesSince> {
    this.check()
    const s = this.collections.get(collection)
    const seq = s?.seq ?? 0
    if (!Number.isSafeInteger(since) || since < 0 || since > seq) return { tooOld: true, seq }
    if (!s || since === seq) return { tooOld: false, changes: [], seq }
    // Exactly `changeRetention` changes are served, whatever the ring holds beyond them.
    if (seq - since > this.changeRetention) return { tooOld: true, seq }
    const first = s.log[0]
    const start = since + 1 - (first?.seq ?? seq + 1)
    if (!first || start < 0) return { tooOld: true, seq }
    return { tooOld: false, changes: s.log.slice(start), seq }
  }

  async seq(collection: string): Promise<number> {
    this.check()
    return this.collections.get(collection)?.seq ?? 0
  }

  onChange(listener: (change: ChangeRecord) => void): () => void {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  private emit(change: ChangeRecord): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change)
      } catch (err) {
        // One faulty listener must not stop the others nor fail a committed write.
        console.error('livecrud: onChange listener failed', err)
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true
    this.listeners.clear()
  }
}
