import type { Socket } from 'socket.io'
import type { Item } from '../protocol/index.js'
import { emitEvent, type EventBatch } from './EventBatch.js'
import type { Fanout } from './fanout.js'
import type { Policy } from './Policy.js'
import { RateLimiter } from './rateLimiter.js'
import type { ChangeRecord } from './stores/Store.js'
import { buildEvent, eventType, isWriter, type Viewer } from './toEvent.js'
import type { Limits } from './limits.js'

/** Buffered changes per joining subscription before the connection is considered hopeless. */
const MAX_BUFFER = 100_000

export interface Subscription {
  /**
   * seq of the last event sent (or the seq SUBSCRIBE answered): the next event's prevSeq. Moved
   * past what was sent when the feed skipped changes, so the client's chain breaks.
   */
  lastSeq: number
  /** Highest seq the feed delivered (or the baseline), sent or not: older changes are duplicates. */
  seenSeq: number
  /** Non-null while SUBSCRIBE reads its baseline: live changes wait here. */
  buffer: ChangeRecord[] | null
}

/** One client connection: its user, subscriptions, admission control and event delivery. */
export class Connection<U = unknown> {
  readonly limiter: RateLimiter
  private readonly subs = new Map<string, Subscription>()
  private readonly viewers = new Map<string, Viewer>()
  /** SUBSCRIBE/UNSUBSCRIBE run one at a time per connection, so baselines never interleave. */
  private subscribeChain: Promise<unknown> = Promise.resolve()
  closed = false

  constructor(
    readonly socket: Socket,
    public user: U,
    readonly clientId: string | undefined,
    /** `originOf(userKey, clientId, socket.id)`: the scope of this connection's mutations. */
    public origin: string,
    private readonly policy: Policy<U>,
    private readonly fanout: Fanout,
    limits: Limits,
  ) {
    this.limiter = new RateLimiter(limits.maxRequestsPerSecond, limits.maxInFlight)
  }

  viewer(collection: string): Viewer {
    let v = this.viewers.get(collection)
    if (!v) {
      const read = this.policy.reader(this.user, collection)
      const shared = !this.policy.personal
      v = { read, shared, view: (item: Item) => this.policy.view(this.user, collection, item) }
      this.viewers.set(collection, v)
    }
    return v
  }

  /** A new user object after revalidation: read decisions are rebuilt for it. */
  setUser(user: U): void {
    this.user = user
    this.viewers.clear()
  }

  serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.subscribeChain.then(task, task)
    this.subscribeChain = run.catch(() => undefined)
    return run
  }

  /** Starts a subscription in joining state: changes from now on are buffered until `go`. */
  join(collection: string): Subscription {
    const sub: Subscription = { lastSeq: 0, seenSeq: 0, buffer: [] }
    this.subs.set(collection, sub)
    this.fanout.add(collection, this)
    return sub
  }

  /** Sets the baseline SUBSCRIBE answered and releases what was buffered after it. */
  go(collection: string, sub: Subscription, seq: number): void {
    // A later SUBSCRIBE of the same collection replaced this one: its own baseline rules.
    if (this.subs.get(collection) !== sub || !sub.buffer) return
    const buffered = sub.buffer
    sub.lastSeq = seq
    sub.seenSeq = seq
    sub.buffer = null
    for (const change of buffered) this.deliver(change)
  }

  leave(collection: string, sub?: Subscription): void {
    if (sub && this.subs.get(collection) !== sub) return
    this.subs.delete(collection)
    this.fanout.remove(collection, this)
  }

  isSubscribed(collection: string): boolean {
    return this.subs.has(collection)
  }

  /**
   * Shapes `change` for this connection and sends it, or adds it to `batch` (the change's shared
   * packets, sent by the fan-out once every recipient is grouped) when this user's view is shared.
   * The writer's own connections get a packet of their own: only theirs names the mutation.
   */
  deliver(change: ChangeRecord, batch?: EventBatch): void {
    const sub = this.subs.get(change.collection)
    if (!sub || this.closed) return
    if (sub.buffer) {
      if (sub.buffer.length >= MAX_BUFFER) this.socket.disconnect(true)
      else sub.buffer.push(change)
      return
    }
    if (change.seq <= sub.seenSeq) return
    // Seqs are gap-free, and every change the feed delivers passes here, hidden or not: a jump
    // means the feed itself skipped changes (the log pruned them before it read them). No event
    // can say what they were, so the next one sent carries a prevSeq this client cannot have
    // seen (above its last seq); it catches up with SUBSCRIBE since, which answers reset.
    if (change.seq > sub.seenSeq + 1) sub.lastSeq = change.seq - 1
    sub.seenSeq = change.seq
    // A reset has no event: the next one sent carries its seq as prevSeq, which this client never
    // saw, so it catches up (SUBSCRIBE since), and that answers reset.
    if (change.type === 'RESET') sub.lastSeq = change.seq
    const viewer = this.viewer(change.collection)
    const type = eventType(change, viewer)
    if (!type) return
    const prevSeq = sub.lastSeq
    sub.lastSeq = change.seq
    const writer = isWriter(change, this.origin, this.clientId)
    if (batch && viewer.shared && !writer) batch.add(this.socket, type, viewer, prevSeq)
    else emitEvent(this.socket, buildEvent(change, type, viewer, prevSeq, writer))
  }

  close(): void {
    this.closed = true
    for (const collection of [...this.subs.keys()]) this.leave(collection)
    this.viewers.clear()
  }
}
