import type { ChangeRecord } from '../Store.js'

/** A change the sequencer numbered, with the log position it was appended at. */
export interface Numbered {
  pos: number
  change: ChangeRecord
}

export interface SequencerBackend {
  /** Numbers up to `limit` committed, unnumbered changes of `collection`; returns them in seq order. */
  number(collection: string, limit: number): Promise<Numbered[]>
  /** The seqs of log positions numbered elsewhere (another process' sequencer got there first). */
  seqsOf(collection: string, positions: number[]): Promise<Map<number, number>>
  /** Every numbered change, in seq order, as soon as this process numbered it. */
  numbered(changes: ChangeRecord[]): void
}

interface Waiter {
  resolve(seq: number): void
  reject(err: Error): void
}

interface Lane {
  running: boolean
  /** Another run must start once the current one ends (a change committed after it began). */
  again: boolean
  waiters: Map<number, Waiter[]>
}

const BATCH = 1000
const MAX_BACKOFF_MS = 2_000

/**
 * Assigns seqs after commit, for one process: a write that committed its change row asks for the
 * row's seq (`seqOf`), hints from other writers (`kick`) ask for a run. Runs are coalesced per
 * collection: one `sequence()` call at a time, and writes that commit while it runs are numbered
 * together by the next one, so under load one sequencing transaction (and one WAL flush, one
 * NOTIFY) serves many writes. A run that starts after a write committed numbers it unless someone
 * else already did, so a waiter not among a run's rows is looked up. A failing run (the database is
 * away) is retried with backoff, never reported to the writer as a failure: its write is committed.
 */
export class Sequencer {
  private readonly lanes = new Map<string, Lane>()
  private closed = false

  constructor(private readonly backend: SequencerBackend) {}

  /** The seq the change at `pos` (committed) was given. */
  seqOf(collection: string, pos: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      if (this.closed) return reject(new Error('store is closed'))
      const lane = this.lane(collection)
      const list = lane.waiters.get(pos)
      if (list) list.push({ resolve, reject })
      else lane.waiters.set(pos, [{ resolve, reject }])
      this.kick(collection)
    })
  }

  /** Something may be waiting to be numbered in `collection`. */
  kick(collection: string): void {
    if (this.closed) return
    const lane = this.lane(collection)
    if (lane.running) {
      lane.again = true
      return
    }
    lane.running = true
    void this.loop(collection, lane)
  }

  private lane(collection: string): Lane {
    let lane = this.lanes.get(collection)
    if (!lane)
      this.lanes.set(collection, (lane = { running: false, again: false, waiters: new Map() }))
    return lane
  }

  private async loop(collection: string, lane: Lane): Promise<void> {
    let backoff = 20
    try {
      do {
        lane.again = false
        // Everyone waiting now committed before this run takes the lock: it numbers them or
        // finds them numbered.
        const covered = [...lane.waiters.keys()]
        try {
          for (;;) {
            const rows = await this.backend.number(collection, BATCH)
            if (rows.length > 0) {
              this.backend.numbered(rows.map((r) => r.change))
              for (const { pos, change } of rows) this.settle(lane, pos, change.seq)
            }
            if (rows.length < BATCH) break
          }
          const missing = covered.filter((pos) => lane.waiters.has(pos))
          if (missing.length > 0) {
            const found = await this.backend.seqsOf(collection, missing)
            for (const [pos, seq] of found) this.settle(lane, pos, seq)
            // Not numbered yet although committed: a concurrent run holds rows we cannot see yet.
            if (missing.some((pos) => lane.waiters.has(pos))) lane.again = true
          }
          backoff = 20
        } catch (err) {
          if (this.closed) break
          console.warn(
            `livecrud: sequencing ${collection} failed (${(err as Error).message}); retrying`,
          )
          await new Promise((r) => setTimeout(r, backoff).unref())
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)
          lane.again = true
        }
      } while ((lane.again || lane.waiters.size > 0) && !this.closed)
    } finally {
      lane.running = false
    }
  }

  private settle(lane: Lane, pos: number, seq: number): void {
    const list = lane.waiters.get(pos)
    if (!list) return
    lane.waiters.delete(pos)
    for (const w of list) w.resolve(seq)
  }

  close(): void {
    this.closed = true
    const err = new Error('store is closed')
    for (const lane of this.lanes.values()) {
      for (const list of lane.waiters.values()) for (const w of list) w.reject(err)
      lane.waiters.clear()
    }
  }
}
