import jsonpatch from 'fast-json-patch'
import type { ChangeEvent, EventMeta, Item, Operation } from 'livecrud'

type AckCallback = (...args: unknown[]) => void
type Listener = (...args: any[]) => void

interface Request {
  event: string
  args: unknown[]
  callback: AckCallback
}

interface LogEntry {
  seq: number
  type: 'ADDED' | 'CHANGED' | 'REMOVED'
  id: string
  item: Item | null
  prev: Item | null
  version: number
  mutationId?: string
  clientId?: string
}

const err = (code: string, message: string, details?: unknown) =>
  details === undefined ? { code, message } : { code, message, details }

/**
 * An in-memory livecrud server for one collection, with the reference server's semantics (versions
 * continue across deletes, mutationId dedupe, prevSeq chains, bounded change log), and a fake
 * socket.io client socket whose every delivery the test decides.
 */
export class FakeServer {
  readonly items = new Map<string, Item>()
  private readonly tombstones = new Map<string, number>()
  readonly log: LogEntry[] = []
  /** Every commit's write marker (`w` in the request), unbounded: a logical write must commit once. */
  readonly markers: number[] = []
  private readonly remembered = new Map<string, unknown[]>()
  seq = 0
  readonly sockets: FakeSocket[] = []

  constructor(
    readonly collection: string,
    private readonly retention: number,
  ) {}

  /** Applies one request as the reference server would and returns the ack's arguments. */
  handle(socket: FakeSocket, event: string, args: unknown[]): unknown[] {
    const [collection] = args
    if (collection !== this.collection) return [err('BAD_REQUEST', 'unknown collection')]
    switch (event) {
      case 'GET':
        return [null, this.items.get(args[1] as string) ?? null]
      case 'LIST': {
        const q = (args[1] ?? {}) as { filters?: { id?: { $in?: string[] } } }
        const only = q.filters?.id?.$in
        const items = [...this.items.values()]
          .filter((i) => !only || only.includes(i.id))
          .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        return [null, { items, total: items.length, page: 1, pageSize: 1000, seq: this.seq }]
      }
      case 'SUBSCRIBE': {
        const since = (args[1] as { since?: number }).since
        socket.subscribed = true
        if (since === undefined) {
          socket.lastSent = this.seq
          return [null, { seq: this.seq }]
        }
        const oldest = this.log[0]?.seq ?? this.seq + 1
        if (since < oldest - 1 && since < this.seq) {
          socket.lastSent = this.seq
          return [null, { seq: this.seq, reset: true }]
        }
        let prev = since
        const changes: ChangeEvent[] = []
        for (const entry of this.log) {
          if (entry.seq <= since) continue
          changes.push(this.toEvent(entry, prev))
          prev = entry.seq
        }
        socket.lastSent = this.seq
        return [null, { seq: this.seq, changes }]
      }
      case 'UNSUBSCRIBE':
        socket.subscribed = false
        return [null, true]
      case 'POST':
      case 'PUT':
      case 'PATCH':
      case 'DELETE':
        return this.write(
          event,
          args[1],
          args[2] as { mutationId: string; ifVersion?: number },
          socket.clientId,
        )
      default:
        return [err('BAD_REQUEST', `unknown event ${event}`)]
    }
  }

  /** A write from another (unseen) client. */
  remoteWrite(event: 'POST' | 'PUT' | 'PATCH' | 'DELETE', payload: unknown, mutationId: string) {
    return this.write(event, payload, { mutationId }, 'remote')
  }

  private write(
    event: string,
    payload: unknown,
    meta: { mutationId: string; ifVersion?: number },
    clientId: string | undefined,
  ): unknown[] {
    const key = `${clientId}:${meta.mutationId}`
    const seen = this.remembered.get(key)
    if (seen) {
      const [e, result, m] = seen
      return e ? seen : [null, result, { ...(m as object), duplicate: true }]
    }
    const reply = this.decide(event, payload, meta, clientId)
    this.remembered.set(key, reply)
    return reply
  }

  private decide(
    event: string,
    payload: unknown,
    meta: { mutationId: string; ifVersion?: number },
    clientId: string | undefined,
  ): unknown[] {
    const id =
      event === 'DELETE'
        ? (payload as string)
        : Array.isArray(payload)
          ? String((payload[0] as Operation).path.split('/')[1])
          : (payload as { id: string }).id
    const current = this.items.get(id) ?? null
    if (event === 'POST' && current) return [err('CONFLICT', 'exists', { current })]
    if (meta.ifVersion !== undefined && (current?._version ?? 0) !== meta.ifVersion)
      return [err('CONFLICT', 'version', { current })]
    if ((event === 'PUT' || event === 'PATCH') && !current) return [err('NOT_FOUND', 'missing')]
    if (event === 'DELETE' && !current)
      return [null, false, { seq: this.seq, version: this.tombstones.get(id) ?? 0 }]
    const version = (current?._version ?? this.tombstones.get(id) ?? 0) + 1
    let next: Item | null
    if (event === 'DELETE') next = null
    else if (event === 'PATCH' && Array.isArray(payload)) {
      const ops = (payload as Operation[]).map((op) => ({
        ...op,
        path: op.path.slice(id.length + 1),
      }))
      const doc = jsonpatch.applyPatch(
        structuredClone(current),
        ops as never,
        false,
        false,
      ).newDocument
      next = { ...(doc as object), id, _version: version } as Item
    } else if (event === 'PATCH')
      next = { ...current!, ...(payload as object), id, _version: version }
    else next = { ...(payload as object), id, _version: version } as Item
    if (next) this.items.set(id, next)
    else {
      this.items.delete(id)
      this.tombstones.set(id, version)
    }
    const entry: LogEntry = {
      seq: ++this.seq,
      type: !next ? 'REMOVED' : current ? 'CHANGED' : 'ADDED',
      id,
      item: next,
      prev: current,
      version,
      mutationId: meta.mutationId,
      clientId,
    }
    this.log.push(entry)
    const marker = Array.isArray(payload)
      ? (payload as Array<{ path: string; value?: unknown }>).find((op) => op.path.endsWith('/w'))
          ?.value
      : (payload as { w?: unknown } | null)?.w
    if (typeof marker === 'number') this.markers.push(marker)
    while (this.log.length > this.retention) this.log.shift()
    for (const s of this.sockets) {
      if (!s.connected || !s.subscribed) continue
      s.push(this.toEvent(entry, s.lastSent), entry.seq)
      s.lastSent = entry.seq
    }
    const ackMeta = { seq: entry.seq, version }
    return [null, event === 'DELETE' ? true : next, ackMeta]
  }

  private toEvent(e: LogEntry, prevSeq: number): ChangeEvent {
    const meta: EventMeta = {
      seq: e.seq,
      prevSeq,
      version: e.version,
      mutationId: e.mutationId,
      clientId: e.clientId,
    }
    if (e.type === 'ADDED')
      return { type: 'ADDED', collection: this.collection, id: e.id, item: e.item!, meta }
    if (e.type === 'REMOVED')
      return { type: 'REMOVED', collection: this.collection, id: e.id, meta }
    const ops = jsonpatch.compare(e.prev!, e.item!) as Operation[]
    return { type: 'CHANGED', collection: this.collection, id: e.id, ops, meta }
  }
}

/**
 * The subset of a socket.io-client Socket the client uses. Requests wait in `requests` and events in
 * `inbox` until the test delivers, drops, duplicates or reorders them.
 */
export class FakeSocket {
  connected = false
  active = false
  auth: unknown
  subscribed = false
  lastSent = 0
  requests: Request[] = []
  inbox: Array<{ event: ChangeEvent; seq: number }> = []
  private readonly listeners = new Map<string, Set<Listener>>()

  constructor(
    private readonly server: FakeServer,
    readonly clientId: string,
  ) {
    server.sockets.push(this)
  }

  on(event: string, fn: Listener) {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(fn)
    return this
  }

  off(event: string, fn: Listener) {
    this.listeners.get(event)?.delete(fn)
    return this
  }

  connect() {
    this.active = true
    return this
  }

  disconnect() {
    this.active = false
    this.drop()
    return this
  }

  timeout(_ms: number) {
    return {
      emit: (event: string, ...rest: unknown[]) => {
        const callback = rest.pop() as AckCallback
        if (!this.connected) {
          callback(new Error('socket has been disconnected'))
          return
        }
        this.requests.push({ event, args: rest, callback })
      },
    }
  }

  push(event: ChangeEvent, seq: number) {
    this.inbox.push({ event, seq })
  }

  /** The server handles request `i`; `ack` decides whether its answer arrives or is lost. */
  serve(i: number, ack: 'deliver' | 'lose' | 'timeout-before'): void {
    const [req] = this.requests.splice(i, 1)
    if (!req) return
    if (ack === 'timeout-before') return req.callback(new Error('operation has timed out'))
    const reply = this.server.handle(this, req.event, req.args)
    if (ack === 'lose') return req.callback(new Error('operation has timed out'))
    req.callback(null, ...reply)
  }

  deliver(i: number, keep = false): void {
    const entry = keep ? this.inbox[i] : this.inbox.splice(i, 1)[0]
    if (!entry) return
    const e = entry.event
    const args =
      e.type === 'ADDED'
        ? [e.collection, e.item, e.meta]
        : e.type === 'CHANGED'
          ? [e.collection, e.id, e.ops, e.meta]
          : [e.collection, e.id, e.meta]
    this.fire(e.type, ...structuredClone(args))
  }

  /** Transport lost: pending requests fail as socket.io fails them, undelivered events vanish. */
  drop(): void {
    if (!this.connected) return
    this.connected = false
    this.subscribed = false
    this.inbox = []
    const pending = this.requests.splice(0)
    this.fire('disconnect', 'transport close')
    for (const r of pending) r.callback(new Error('socket has been disconnected'))
  }

  reconnect(): void {
    if (this.connected) return
    this.connected = true
    this.active = true
    this.fire('connect')
  }

  private fire(event: string, ...args: unknown[]) {
    for (const fn of [...(this.listeners.get(event) ?? [])]) fn(...args)
  }
}
