import type { ChangeRecord } from '../Store.js'

/** Where a feed reads committed changes from: a database's change log. */
export interface ChangeLog {
  /** Committed changes of `collection` with seq > `after`, ascending, at most `limit`. */
  read(collection: string, after: number, limit: number): Promise<ChangeRecord[]>
  /** The committed seq of every collection. */
  heads(): Promise<Map<string, number>>
}

export interface LogFeedOptions {
  /** Safety-net poll of the collection heads, ms (default 5 000; 0 disables). */
  pollMs?: number
  /** Rows per log read (default 500). */
  batch?: number
}

/**
 * Turns "something was committed" hints (a NOTIFY, a pub/sub message, a local commit, a poll) into
 * a gap-free, in-order stream of change records per collection. Hints carry no data: the log is the
 * only source, so a lost or coalesced hint costs latency, never a change. Because seqs are
 * commit-ordered (a writer can only take seq N+1 after N committed), the visible log past the last
 * delivered seq is always a contiguous prefix; a hole can only mean the log was pruned.
 */
export class LogFeed {
  private readonly last = new Map<string, number>()
  private readonly listeners = new Set<(change: ChangeRecord) => void>()
  private readonly running = new Map<string, Promise<void>>()
  private readonly again = new Set<string>()
  private timer: NodeJS.Timeout | null = null
  private closed = false
  /** Hints before `start()` are dropped: until the heads are read, every log row would look new. */
  private started = false
  /** Changes the log no longer held when this feed wanted them (retention overrun while disconnected). */
  gaps = 0

  constructor(
    private readonly log: ChangeLog,
    private readonly options: LogFeedOptions = {},
  ) {}

  /** Starts at the current heads: only changes committed from now on are delivered. */
  async start(): Promise<void> {
    for (const [collection, seq] of await this.log.heads()) this.last.set(collection, seq)
    this.started = true
    const pollMs = this.options.pollMs ?? 5_000
    if (pollMs > 0) {
      this.timer = setInterval(() => this.catchUpAll(), pollMs)
      this.timer.unref()
    }
  }

  position(collection: string): number {
    return this.last.get(collection) ?? 0
  }

  onChange(listener: (change: ChangeRecord) => void): () => void {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  /** A change this process committed: delivered at once when it is next in line, else read from the log. */
  offer(change: ChangeRecord): void {
    const last = this.position(change.collection)
    if (change.seq === last + 1) this.deliver(change)
    else if (change.seq > last) this.wake(change.collection)
  }

  /** A hint that `collection` may have changes past `seq` (or past our position when unknown). */
  wake(collection: string, seq?: number): void {
    if (this.closed || !this.started) return
    if (seq !== undefined && seq <= this.position(collection)) return
    void this.pump(collection)
  }

  /** Reads every collection's head and catches up those ahead of us (reconnect, poll). */
  catchUpAll(): void {
    if (this.closed || !this.started) return
    this.log.heads().then(
      (heads) => {
        for (const [collection, seq] of heads) this.wake(collection, seq)
      },
      (err: Error) => console.warn('livecrud: change feed poll failed:', err.message),
    )
  }

  private pump(collection: string): Promise<void> {
    const running = this.running.get(collection)
    if (running) {
      this.again.add(collection)
      return running
    }
    const run = this.drain(collection).finally(() => this.running.delete(collection))
    this.running.set(collection, run)
    return run
  }

  private async drain(collection: string): Promise<void> {
    const batch = this.options.batch ?? 500
    for (let full = true; !this.closed && (full || this.again.has(collection));) {
      this.again.delete(collection)
      let rows: ChangeRecord[]
      try {
        rows = await this.log.read(collection, this.position(collection), batch)
      } catch (err) {
        // The poll or the next hint retries; nothing was consumed.
        console.warn('livecrud: change feed read failed:', (err as Error).message)
        return
      }
      for (const row of rows) {
        const last = this.position(collection)
        if (row.seq <= last) continue
        if (row.seq > last + 1) {
          this.gaps++
          console.warn(
            `livecrud: change log of ${collection} no longer holds seq ${last + 1}..${row.seq - 1} (retention); clients will catch up by refetching`,
          )
        }
        this.deliver(row)
      }
      full = rows.length === batch
    }
  }

  private deliver(change: ChangeRecord): void {
    this.last.set(change.collection, change.seq)
    for (const listener of [...this.listeners]) {
      try {
        listener(change)
      } catch (err) {
        console.error('livecrud: onChange listener failed', err)
      }
    }
  }

  close(): void {
    this.closed = true
    if (this.timer) clearInterval(this.timer)
    this.listeners.clear()
  }
}
