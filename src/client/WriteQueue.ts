import type { Id, WriteAckMeta, WriteMeta } from '../protocol/types.js'
import { DisconnectedError, QueueFullError, ServerError, TimeoutError } from './errors.js'
import type { LivecrudError } from './errors.js'
import type { Transport } from './Transport.js'
import type { PendingWrite } from './types.js'
import { callSafely } from './callSafely.js'
import { isRateLimited, pauseAfterRefusal, sleep } from './pacing.js'

export type WriteKind = PendingWrite['kind']

export interface WriteRequest {
  mutationId: string
  collection: string
  id: Id
  kind: WriteKind
  /** The request's second argument: the item, the patch or the id. */
  payload: unknown
  meta: WriteMeta
  timeout: number | undefined
  optimistic: boolean
}

interface Entry extends WriteRequest {
  state: PendingWrite['state']
  /** Online, but an earlier write of the same item awaits its ack: sent right after it. */
  behind: boolean
  settled: boolean
  attempts: number
  retryTimer: ReturnType<typeof setTimeout> | undefined
  resolve: (value: unknown) => void
  reject: (error: LivecrudError) => void
  view: PendingWrite
}

export interface WriteHooks {
  /**
   * The server applied the write (first answer only; repeats are the server's remembered result).
   * Returns an error when the answer is unusable: the write then fails with it.
   */
  onSuccess(
    write: WriteRequest,
    result: unknown,
    meta: WriteAckMeta | undefined,
  ): ServerError | void
  /** The server refused it: roll it back alone. */
  onFailure(write: WriteRequest, error: ServerError): void
}

const RETRY_MIN_MS = 200
const RETRY_MAX_MS = 5000

type Outcome = 'done' | 'unknown' | 'disconnected' | 'refused'

/**
 * Every write until the server settles it, in order.
 *
 * Promise semantics (each write's promise settles exactly once):
 * - answered by the server → resolves with its result or rejects with its error;
 * - made while offline, or cut by a disconnect → stays pending, is (re)sent after reconnect with the
 *   same mutationId (the server answers a repeat with the original result), then settles;
 * - no answer within its timeout while connected → rejects with TimeoutError (outcome unknown) at once,
 *   so callers are never left waiting; the write stays pending in the store and is retried with the
 *   same mutationId until the server answers, and that answer confirms or rolls it back in the store;
 * - refused with RATE_LIMITED (the server did nothing: too many requests) → queued again and sent, in
 *   order, once the server admits requests again; a burst of writes, or an offline queue flushed on
 *   reconnect, is paced instead of rolled back.
 */
export class WriteQueue {
  private entries: Entry[] = []
  private readonly listeners = new Set<() => void>()
  private flushing = false
  private closed = false
  private snapshot: readonly PendingWrite[] = []
  /** RATE_LIMITED refusals in a row (the pace doubles with each), and the flush waiting them out. */
  private refusals = 0
  private paceTimer: ReturnType<typeof setTimeout> | undefined
  /** Sends made (first tries and retries), for tests and devtools. */
  sends = 0

  constructor(
    /** What writes are sent on (a persistence routes them through the tab that flushes). */
    public transport: Pick<Transport, 'isConnected' | 'request'>,
    private readonly hooks: WriteHooks,
    private readonly maxQueue: number,
  ) {}

  /** Throws QueueFullError when this write would have to wait and the queue is full. */
  checkCapacity(): void {
    if (this.closed) throw new DisconnectedError('write', 'client closed')
    if (this.mustQueue() && this.waitingCount() >= this.maxQueue)
      throw new QueueFullError(this.maxQueue)
  }

  submit(request: WriteRequest): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const queue = this.mustQueue()
      // Requests of one connection may be applied concurrently by the server (a database store runs
      // them in parallel transactions), so two writes of one item go one after the other.
      const behind = !queue && this.entries.some((e) => e.state === 'sent' && sameItem(e, request))
      const state: PendingWrite['state'] = queue || behind ? 'queued' : 'sent'
      // Object.assign into the literal, not `{ ...request, state, … }`: on V8 11 (Node 20) fields
      // added after a spread made this line cost about 7 µs per write (timed in the peer bench).
      const entry: Entry = Object.assign(
        {
          state,
          behind,
          settled: false,
          attempts: 0,
          retryTimer: undefined,
          resolve,
          reject,
          view: makeView(request, state),
        },
        request,
      )
      this.entries.push(entry)
      this.changed()
      if (state === 'sent') void this.attempt(entry)
    })
  }

  getPending(): readonly PendingWrite[] {
    return this.snapshot
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Connected: send what waited, in order, one at a time. */
  async flush(): Promise<void> {
    if (this.flushing || this.closed) return
    this.flushing = true
    const tried = new Set<Entry>()
    try {
      while (this.transport.isConnected() && !this.closed) {
        const next = this.entries.find(
          (e) => !tried.has(e) && (e.state === 'queued' || e.state === 'unknown'),
        )
        if (!next) break
        tried.add(next)
        next.behind = false
        clearTimeout(next.retryTimer)
        const outcome = await this.attempt(next)
        if (outcome === 'disconnected') break
        if (outcome === 'refused') {
          // The same write again after the pause: the ones behind it must not overtake it.
          tried.delete(next)
          await sleep(this.pace())
        }
      }
    } finally {
      this.flushing = false
    }
  }

  /**
   * The server's echo of one of our writes proves it was applied. A write whose caller already got a
   * TimeoutError needs no retry then (the store confirmed it from the echo); others still wait for
   * their ack (or retry) to resolve with the server's result.
   */
  onEcho(mutationId: string): void {
    const entry = this.entries.find((e) => e.mutationId === mutationId)
    if (entry && entry.settled && entry.state === 'unknown') this.remove(entry)
  }

  onDisconnected(): void {
    for (const e of this.entries) {
      clearTimeout(e.retryTimer)
      e.behind = false
    }
  }

  close(): void {
    this.closed = true
    clearTimeout(this.paceTimer)
    for (const e of this.entries.splice(0)) {
      clearTimeout(e.retryTimer)
      this.settle(e, undefined, new DisconnectedError(e.kind, 'client closed'))
    }
    this.changed()
    this.listeners.clear()
  }

  private mustQueue(): boolean {
    return (
      !this.transport.isConnected() ||
      this.flushing ||
      this.entries.some((e) => e.state === 'queued' && !e.behind)
    )
  }

  private waitingCount(): number {
    let n = 0
    for (const e of this.entries) if (e.state !== 'sent' && !e.behind) n++
    return n
  }

  /** The write of this item that waited behind `done` goes now (unless a flush will take it). */
  private next(done: Entry): void {
    const waiting = this.entries.find((e) => e.behind && sameItem(e, done))
    if (!waiting || this.flushing || this.closed) return
    waiting.behind = false
    if (this.transport.isConnected()) void this.attempt(waiting)
  }

  private async attempt(entry: Entry): Promise<Outcome> {
    const outcome = await this.send(entry)
    if (outcome !== 'refused') this.next(entry)
    // Refused outside a flush: a flush sends it (and whatever queued behind it) after the pause.
    else if (!this.flushing) this.flushAfterPause()
    return outcome
  }

  private pace(): number {
    return pauseAfterRefusal(this.refusals)
  }

  private flushAfterPause(): void {
    if (this.paceTimer !== undefined) return
    this.paceTimer = setTimeout(() => {
      this.paceTimer = undefined
      void this.flush()
    }, this.pace())
  }

  private async send(entry: Entry): Promise<Outcome> {
    entry.attempts++
    this.sends++
    this.setState(entry, 'sent')
    try {
      const { result, meta } = await this.transport.request<unknown, WriteAckMeta>(
        entry.kind,
        [entry.collection, entry.payload, entry.meta],
        entry.timeout,
      )
      this.refusals = 0
      if (!this.remove(entry)) return 'done'
      let invalid: ServerError | void = undefined
      callSafely(() => (invalid = this.hooks.onSuccess(entry, result, meta)))
      this.settle(entry, result, invalid ?? undefined)
      return 'done'
    } catch (error) {
      if (this.closed || !this.entries.includes(entry)) return 'done'
      if (isRateLimited(error)) {
        this.refusals++
        this.setState(entry, 'queued')
        return 'refused'
      }
      if (error instanceof ServerError) {
        this.remove(entry)
        callSafely(() => this.hooks.onFailure(entry, error))
        this.settle(entry, undefined, error)
        return 'done'
      }
      this.setState(entry, 'unknown')
      if (error instanceof TimeoutError) {
        this.settle(entry, undefined, error)
        this.scheduleRetry(entry)
        return 'unknown'
      }
      return 'disconnected'
    }
  }

  private scheduleRetry(entry: Entry): void {
    clearTimeout(entry.retryTimer)
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.max(0, entry.attempts - 1))
    entry.retryTimer = setTimeout(() => {
      if (this.closed || entry.state !== 'unknown' || !this.transport.isConnected()) return
      if (this.flushing) this.scheduleRetry(entry)
      else void this.attempt(entry)
    }, delay)
  }

  private settle(entry: Entry, value: unknown, error?: LivecrudError): void {
    if (entry.settled) return
    entry.settled = true
    if (error) entry.reject(error)
    else entry.resolve(value)
  }

  private remove(entry: Entry): boolean {
    const i = this.entries.indexOf(entry)
    if (i < 0) return false
    this.entries.splice(i, 1)
    clearTimeout(entry.retryTimer)
    this.changed()
    return true
  }

  private setState(entry: Entry, state: PendingWrite['state']): void {
    if (entry.state === state) return
    entry.state = state
    entry.view = makeView(entry, state)
    this.changed()
  }

  private changed(): void {
    this.snapshot = Object.freeze(this.entries.map((e) => e.view))
    for (const listener of [...this.listeners]) callSafely(listener)
  }
}

function sameItem(a: WriteRequest, b: WriteRequest): boolean {
  return a.id === b.id && a.collection === b.collection
}

function makeView(w: WriteRequest, state: PendingWrite['state']): PendingWrite {
  return Object.freeze({
    mutationId: w.mutationId,
    collection: w.collection,
    id: w.id,
    kind: w.kind,
    state,
  })
}
