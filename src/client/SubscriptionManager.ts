import type { ChangeEvent, Id, SubscribeResult } from '../protocol/types.js'
import { ServerError } from './errors.js'
import { eventToAction } from './StoreRegistry.js'
import type { StoreRegistry } from './StoreRegistry.js'
import type { Transport } from './Transport.js'
import { callSafely } from './callSafely.js'
import { listByIds } from './listByIds.js'

const RETRY_MIN_MS = 200
const RETRY_MAX_MS = 5000
const PERMANENT = new Set(['BAD_REQUEST', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND'])

interface CollectionSync {
  name: string
  refs: number
  /** SUBSCRIBEd on the current connection. */
  joined: boolean
  /** Last seq applied; kept across UNSUBSCRIBE so a later join can ask `since` it. */
  lastSeq: number | undefined
  /** A SUBSCRIBE (join, catch-up) or refetch is running; push events wait in `buffer`. */
  busy: boolean
  buffer: ChangeEvent[]
  /** Ids whose buffered events a refetch already covers up to this seq. */
  covered: Map<Id, number>
  unsubscribeTimer: ReturnType<typeof setTimeout> | undefined
  retryTimer: ReturnType<typeof setTimeout> | undefined
  attempts: number
}

export interface SubscriptionStats {
  gaps: number
  catchUps: number
  resets: number
  refetches: number
  duplicatesDropped: number
}

/**
 * Lazy, ref-counted collection subscriptions and gap-free event streams. Every event must continue the
 * chain (`meta.prevSeq === lastSeq`); a break triggers one catch-up (`SUBSCRIBE { since }`), events
 * at or below `lastSeq` are duplicates and dropped. A `reset` answer refetches what the store holds.
 */
export class SubscriptionManager {
  private readonly syncs = new Map<string, CollectionSync>()
  private readonly resetListeners = new Map<string, Set<() => void>>()
  private closed = false
  /** Called after each join that caught up with the server (persistence confirms its cache). */
  onSynced: ((collection: string) => void) | undefined
  readonly stats: SubscriptionStats = {
    gaps: 0,
    catchUps: 0,
    resets: 0,
    refetches: 0,
    duplicatesDropped: 0,
  }

  constructor(
    private readonly transport: Transport,
    private readonly stores: StoreRegistry,
    private readonly unsubscribeDelay: number,
  ) {}

  /**
   * Keeps `collection` subscribed until the returned release is called (idempotent). When it was the
   * last hold, UNSUBSCRIBE follows after `unsubscribeDelay` (the client's by default; a holder that
   * already lingered before releasing passes 0).
   */
  acquire(collection: string, unsubscribeDelay = this.unsubscribeDelay): () => void {
    const s = this.sync(collection)
    s.refs++
    clearTimeout(s.unsubscribeTimer)
    s.unsubscribeTimer = undefined
    if (!s.joined && !s.busy && this.transport.isConnected()) this.join(s)
    let released = false
    return () => {
      if (released) return
      released = true
      this.release(s, unsubscribeDelay)
    }
  }

  /** Live lists hook this to refetch when the server says its stream cannot be replayed. */
  onReset(collection: string, listener: () => void): () => void {
    let set = this.resetListeners.get(collection)
    if (!set) this.resetListeners.set(collection, (set = new Set()))
    set.add(listener)
    return () => set.delete(listener)
  }

  getSeq(collection: string): number | undefined {
    return this.syncs.get(collection)?.lastSeq
  }

  /** Resume from `seq` (restored items correspond to it) unless this collection has a position. */
  setSeq(collection: string, seq: number): void {
    this.sync(collection).lastSeq ??= seq
  }

  isObserved(collection: string): boolean {
    return (this.syncs.get(collection)?.refs ?? 0) > 0
  }

  handleEvent(event: ChangeEvent): void {
    const s = this.syncs.get(event.collection)
    if (!s || this.closed) return
    if (s.busy) {
      s.buffer.push(event)
      return
    }
    if (!s.joined) return
    this.apply(s, event)
  }

  /** Connection came (back): the server forgot our rooms, so every observed collection joins again. */
  onConnected(): void {
    for (const s of this.syncs.values()) {
      s.joined = false
      if (s.refs > 0 && !s.busy) this.join(s)
    }
  }

  onDisconnected(): void {
    for (const s of this.syncs.values()) {
      s.joined = false
      clearTimeout(s.retryTimer)
    }
  }

  close(): void {
    this.closed = true
    for (const s of this.syncs.values()) {
      clearTimeout(s.unsubscribeTimer)
      clearTimeout(s.retryTimer)
    }
    this.resetListeners.clear()
  }

  private sync(name: string): CollectionSync {
    let s = this.syncs.get(name)
    if (!s) {
      s = {
        name,
        refs: 0,
        joined: false,
        lastSeq: undefined,
        busy: false,
        buffer: [],
        covered: new Map(),
        unsubscribeTimer: undefined,
        retryTimer: undefined,
        attempts: 0,
      }
      this.syncs.set(name, s)
    }
    return s
  }

  private release(s: CollectionSync, delay: number): void {
    s.refs--
    if (s.refs === 0) this.scheduleUnsubscribe(s, delay)
  }

  private scheduleUnsubscribe(s: CollectionSync, delay = this.unsubscribeDelay): void {
    if (this.closed) return
    clearTimeout(s.unsubscribeTimer)
    s.unsubscribeTimer = setTimeout(() => {
      s.unsubscribeTimer = undefined
      if (s.refs > 0 || !s.joined) return
      s.joined = false
      this.transport.request('UNSUBSCRIBE', [s.name]).catch(() => {
        // Not subscribed any more either way once the connection drops.
      })
    }, delay)
  }

  private apply(s: CollectionSync, event: ChangeEvent): void {
    const { seq, prevSeq } = event.meta
    if (s.lastSeq !== undefined && seq <= s.lastSeq) {
      this.stats.duplicatesDropped++
      return
    }
    if (s.lastSeq !== undefined && prevSeq !== undefined && prevSeq !== s.lastSeq) {
      this.stats.gaps++
      s.buffer.push(event)
      this.join(s)
      return
    }
    const coveredUpTo = s.covered.get(event.id)
    if (coveredUpTo === undefined || seq > coveredUpTo)
      this.stores.dispatch(s.name, eventToAction(event))
    s.lastSeq = seq
  }

  /**
   * SUBSCRIBE with `since` when we have a position: the first join, a catch-up after a gap, and the
   * rejoin after a reconnect are the same request. Events arriving meanwhile are buffered.
   */
  private join(s: CollectionSync): void {
    if (s.busy || this.closed) return
    s.busy = true
    const since = s.lastSeq
    const needsRefetch = since === undefined && this.stores.holdsAny(s.name)
    if (since !== undefined) this.stats.catchUps++
    void this.runJoin(s, since, needsRefetch)
  }

  private async runJoin(s: CollectionSync, since: number | undefined, refetch: boolean) {
    let ok = false
    let retry = true
    try {
      const { result } = await this.transport.request<SubscribeResult>('SUBSCRIBE', [
        s.name,
        since === undefined ? {} : { since },
      ])
      if (!isSubscribeResult(result))
        throw new ServerError('INTERNAL', 'malformed SUBSCRIBE answer')
      if (this.closed) return
      const reset = result.reset === true
      if (!reset) {
        this.stores.batch(() => {
          for (const change of result.changes ?? []) {
            if (change?.collection !== s.name || !change.meta) continue
            if (s.lastSeq !== undefined && change.meta.seq <= s.lastSeq) continue
            this.stores.dispatch(s.name, eventToAction(change))
            s.lastSeq = change.meta.seq
          }
        })
      }
      s.joined = true
      s.attempts = 0
      if (reset || refetch) {
        if (reset) this.stats.resets++
        await this.refetch(s)
      }
      // The answered seq is where this connection's event chain (prevSeq) starts. After a reset it is
      // taken only once the refetch succeeded: a failed one retries from the old position.
      s.lastSeq = result.seq
      if (reset) for (const l of [...(this.resetListeners.get(s.name) ?? [])]) callSafely(l)
      ok = true
      if (this.onSynced) callSafely(this.onSynced, s.name)
    } catch (error) {
      ok = false
      // A refusal will not change by asking again; the next reconnect (new credentials) tries again.
      retry = !(error instanceof ServerError && PERMANENT.has(error.code))
    } finally {
      s.busy = false
    }
    if (this.closed) return
    if (!ok) {
      // Not trusted as joined: events are ignored until a retry (or the reconnect) joins again.
      s.joined = false
      s.buffer = []
      s.covered.clear()
      if (retry) this.scheduleRetry(s)
      return
    }
    const buffered = s.buffer
    s.buffer = []
    this.stores.batch(() => {
      for (const event of buffered) {
        if (s.busy) s.buffer.push(event)
        else this.apply(s, event)
      }
    })
    if (!s.busy) s.covered.clear()
    // The last observer may have left while this join ran.
    if (s.refs === 0 && s.joined && !s.unsubscribeTimer) this.scheduleUnsubscribe(s)
  }

  private scheduleRetry(s: CollectionSync): void {
    if (s.refs === 0 || !this.transport.isConnected()) return
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** s.attempts++)
    clearTimeout(s.retryTimer)
    s.retryTimer = setTimeout(() => {
      if (!s.joined && s.refs > 0 && this.transport.isConnected()) this.join(s)
    }, delay)
  }

  /** Refetches every id the store knows, in `$in` chunks; ids the server no longer has are removed. */
  private async refetch(s: CollectionSync): Promise<void> {
    this.stats.refetches++
    await listByIds(this.transport, s.name, this.stores.knownIds(s.name), (chunk, items, seq) => {
      const found = new Set(items.map((it) => it.id))
      // Buffered events at or below this answer's seq are already in it.
      for (const id of chunk) s.covered.set(id, seq)
      this.stores.dispatch(s.name, {
        type: 'server/reset',
        items,
        absent: chunk.filter((id) => !found.has(id)),
      })
    })
  }
}

function isSubscribeResult(value: unknown): value is SubscribeResult {
  return (
    typeof value === 'object' &&
    value !== null &&
    Number.isSafeInteger((value as SubscribeResult).seq) &&
    ((value as SubscribeResult).changes === undefined ||
      Array.isArray((value as SubscribeResult).changes))
  )
}
