import { applyQuery, normalizeQuery } from '../../../src/protocol/query.js'
import type { Item, ListQuery, ListResult, Operation } from '../../../src/protocol/index.js'
import { LivecrudError } from '../../../src/protocol/errors.js'
import { CollectionStore } from '../../../src/client/store/index.js'
import {
  createLiveQuery,
  liveListsOf,
  type LiveListContext,
  type LiveListOptions,
} from '../../../src/client/liveList/index.js'
import type { LiveQuery } from '../../../src/client/types.js'

type Fields = Record<string, unknown>

type Request =
  | {
      type: 'LIST'
      query: ListQuery
      resolve: (r: ListResult) => void
      reject: (e: unknown) => void
    }
  | {
      type: 'WRITE'
      kind: 'POST' | 'PATCH' | 'DELETE'
      id: string
      fields: Fields
      mutationId: string
    }

type Message =
  | { type: 'event'; action: Parameters<CollectionStore['dispatch']>[0] }
  | { type: 'list'; result: ListResult; resolve: (r: ListResult) => void }
  | { type: 'ack'; action: Parameters<CollectionStore['dispatch']>[0] }

export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve()
}

export const tick = () => new Promise<void>((r) => setTimeout(r, 0))

/**
 * A model server and one client: the real CollectionStore, LIST answered from the model with its seq,
 * and a FIFO channel server → client (events, LIST answers and acks in the order the server sent them),
 * so tests choose exactly how requests and events interleave.
 */
export class Harness {
  readonly server = new Map<string, Item>()
  /** Last version of every id ever written: a re-created id continues after its tombstone. */
  private readonly versions = new Map<string, number>()
  seq = 0
  private lastSent = 0
  /** The seq of the last event the client received. */
  private lastDelivered = 0
  readonly store = new CollectionStore({
    name: 'things',
    onError: (e) => this.errors.push(e),
  })
  readonly errors: unknown[] = []
  readonly requests: Request[] = []
  readonly outbox: Message[] = []
  private readonly resetListeners = new Set<() => void>()
  private mutations = 0
  /** When set, LIST requests fail with this error instead of being queued. */
  failList: (() => unknown) | undefined
  lists = 0
  /** Collection subscriptions held through `acquire`. */
  acquired = 0

  readonly context: LiveListContext = {
    collection: 'things',
    store: this.store,
    list: (query) => {
      this.lists++
      if (this.failList) return Promise.reject(this.failList())
      return new Promise<ListResult>((resolve, reject) =>
        this.requests.push({ type: 'LIST', query, resolve, reject }),
      )
    },
    acquire: () => {
      this.acquired++
      let done = false
      return () => {
        if (!done) this.acquired--
        done = true
      }
    },
    onReset: (l) => {
      this.resetListeners.add(l)
      return () => this.resetListeners.delete(l)
    },
    getSeq: () => this.lastDelivered,
    liveListOptions: { refetchThrottle: 0, retryDelay: () => 1 },
  }

  constructor(options: LiveListOptions = {}) {
    this.context.liveListOptions = { ...this.context.liveListOptions, ...options }
  }

  query(q: ListQuery): LiveQuery {
    return createLiveQuery(this.context, q)
  }

  dispose(): void {
    liveListsOf(this.context).dispose()
  }

  /** A write by another client: committed now, its event queued. */
  serverWrite(kind: 'POST' | 'PATCH' | 'DELETE', id: string, fields: Fields = {}): boolean {
    return this.commit(kind, id, fields, undefined)
  }

  private commit(
    kind: 'POST' | 'PATCH' | 'DELETE',
    id: string,
    fields: Fields,
    mutationId: string | undefined,
  ): boolean {
    const old = this.server.get(id)
    if (kind === 'POST' ? old !== undefined : old === undefined) return false
    const seq = ++this.seq
    const meta = { seq, prevSeq: this.lastSent, version: 0, mutationId }
    this.lastSent = seq
    const version = (this.versions.get(id) ?? 0) + 1
    this.versions.set(id, version)
    meta.version = version
    if (kind === 'DELETE') {
      this.server.delete(id)
      this.outbox.push({ type: 'event', action: { type: 'server/removed', id, meta } })
      return true
    }
    if (kind === 'POST') {
      const item: Item = { ...fields, id, _version: version }
      this.server.set(id, item)
      this.outbox.push({ type: 'event', action: { type: 'server/added', item, meta } })
      return true
    }
    const item: Item = { ...old!, ...fields, id, _version: version }
    this.server.set(id, item)
    const ops: Operation[] = Object.entries(fields).map(([k, value]) => ({
      op: 'add',
      path: `/${k}`,
      value,
    }))
    this.outbox.push({ type: 'event', action: { type: 'server/changed', id, ops, meta } })
    return true
  }

  /** An optimistic write of this client: applied to the store now, sent to the server's queue. */
  localWrite(kind: 'POST' | 'PATCH' | 'DELETE', id: string, fields: Fields = {}): void {
    const mutationId = `m${++this.mutations}`
    const mutation =
      kind === 'DELETE'
        ? { kind, mutationId, id }
        : kind === 'POST'
          ? { kind, mutationId, id, item: fields }
          : {
              kind,
              mutationId,
              id,
              ops: Object.entries(fields).map(([k, value]) => ({
                op: 'add' as const,
                path: `/${k}`,
                value,
              })),
            }
    this.store.dispatch({ type: 'local/write', mutation })
    this.requests.push({ type: 'WRITE', kind, id, fields, mutationId })
  }

  /** The server handles the oldest request. */
  processRequest(): boolean {
    const req = this.requests.shift()
    if (!req) return false
    if (req.type === 'LIST') {
      const q = normalizeQuery(req.query)
      if (!q.ok) {
        req.reject(new LivecrudError('BAD_REQUEST', q.message))
        return true
      }
      const { items, total } = applyQuery(this.server.values(), q.value)
      const result = { items, total, page: q.value.page, pageSize: q.value.pageSize, seq: this.seq }
      this.outbox.push({ type: 'list', result, resolve: req.resolve })
      return true
    }
    const ok = this.commit(req.kind, req.id, req.fields, req.mutationId)
    if (!ok) {
      const error = new LivecrudError('NOT_FOUND', 'no')
      this.outbox.push({
        type: 'ack',
        action: { type: 'local/reject', mutationId: req.mutationId, error },
      })
    } else {
      const result = req.kind === 'DELETE' ? true : this.server.get(req.id)!
      const meta = { seq: this.seq, version: this.versions.get(req.id)! }
      this.outbox.push({
        type: 'ack',
        action: { type: 'local/ack', mutationId: req.mutationId, result, meta },
      })
    }
    return true
  }

  /** The client receives the oldest message. */
  deliver(): boolean {
    const msg = this.outbox.shift()
    if (!msg) return false
    if (msg.type === 'list') {
      // As the client does: the answer's items go into the store before the LIST resolves.
      if (msg.result.items.length)
        this.store.dispatch({ type: 'server/items', items: msg.result.items })
      msg.resolve(msg.result)
    } else {
      this.store.dispatch(msg.action)
      if (msg.type === 'event' && 'meta' in msg.action && typeof msg.action.meta?.seq === 'number')
        this.lastDelivered = Math.max(this.lastDelivered, msg.action.meta.seq)
    }
    return true
  }

  /**
   * The client receives the oldest LIST answer or ack ahead of the events queued before it: with
   * several server processes a LIST (read from the database) or an ack overtakes the fan-out of events
   * it already includes. Events keep their order among themselves.
   */
  deliverAhead(): boolean {
    const i = this.outbox.findIndex((m) => m.type !== 'event')
    if (i < 0) return false
    this.outbox.unshift(...this.outbox.splice(i, 1))
    return this.deliver()
  }

  reset(): void {
    for (const l of [...this.resetListeners]) l()
  }

  /** Runs requests, deliveries and timers until nothing moves. */
  async settle(maxRounds = 200): Promise<void> {
    let quiet = 0
    for (let round = 0; round < maxRounds; round++) {
      let moved = false
      while (this.processRequest()) moved = true
      // One message per task, as socket.io delivers websocket frames: what a LIST answer resolves runs
      // before the next message.
      while (this.deliver()) {
        moved = true
        await flushMicrotasks()
      }
      await tick()
      if (moved || this.requests.length || this.outbox.length) quiet = 0
      else if (++quiet >= 3) return
    }
    throw new Error('harness did not settle')
  }

  /** What a fresh LIST of `q` answers now. */
  expected(q: ListQuery): { ids: string[]; total: number } {
    const n = normalizeQuery(q)
    if (!n.ok) throw new Error(n.message)
    const { items, total } = applyQuery(this.server.values(), n.value)
    return { ids: items.map((i) => i.id), total }
  }
}
