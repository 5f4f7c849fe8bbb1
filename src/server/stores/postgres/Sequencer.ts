import type { ChangeRecord } from '../Store.js'

/** A change the sequencer numbered, with the log position it was appended at. */
export interface Numbered {
  pos: number
  change: ChangeRecord
}

export interface SequencerBackend {
  /**
   * Numbers up to `limit` committed, unnumbered changes of each collection, in one transaction;
   * returns them in seq order per collection.
   */
  number(collections: string[], limit: number): Promise<Numbered[]>
  /** The seqs of log positions numbered elsewhere (another process' sequencer got there first). */
  seqsOf(positions: number[]): Promise<Map<number, number>>
  /** Every numbered change, in seq order per collection, as soon as this process numbered it. */
  numbered(changes: ChangeRecord[]): void
}

interface Waiter {
  collection: string
  resolve: ((seq: number) => void)[]
  reject: ((err: Error) => void)[]
}

const BATCH = 1000
const MAX_BACKOFF_MS = 2_000

/**
 * Assigns seqs after commit, for one process: a write that committed its change row asks for the
 * row's seq (`seqOf`), hints from other writers (`kick`) ask for a run. Runs are coalesced: one
 * `sequence()` call at a time for the whole process, and every write that commits while it runs
 * is numbered by the next one, whatever its collection — under load one numbering transaction (one
 * WAL flush, one NOTIFY per collection) serves many writes. A run that starts after a write
 * committed numbers it unless another process already did, so a waiter missing from a run's rows
 * is looked up. A failing run (the database is away) is retried with backoff and never reported to
 * the writer as a failure: its write is committed.
 */
export class Sequencer {
  private readonly dirty = new Set<string>()
  /** By log position (`changes.pos`, unique across collections). */
  private readonly waiters = new Map<number, Waiter>()
  private running = false
  private closed = false

  constructor(private readonly backend: SequencerBackend) {}

  /** The seq the committed change at `pos` was given. */
  seqOf(collection: string, pos: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      if (this.closed) return reject(new Error('store is closed'))
      const w = this.waiters.get(pos)
      if (w) {
        w.resolve.push(resolve)
        w.reject.push(reject)
      } else this.waiters.set(pos, { collection, resolve: [resolve], reject: [reject] })
      this.kick(collection)
    })
  }

  /** Something committed may be waiting to be numbered in `collection`. */
  kick(collection: string): void {
    if (this.closed) return
    this.dirty.add(collection)
    if (this.running) return
    this.running = true
    void this.loop()
  }

  private async loop(): Promise<void> {
    let backoff = 20
    try {
      while (this.dirty.size > 0 && !this.closed) {
        const collections = [...this.dirty]
        this.dirty.clear()
        // Everyone waiting now committed before this run takes its locks: it numbers them or
        // finds them numbered.
        const covered = [...this.waiters.keys()]
        try {
          const rows = await this.backend.number(collections, BATCH)
          if (rows.length > 0) {
            this.backend.numbered(rows.map((r) => r.change))
            const counts = new Map<string, number>()
            for (const { pos, change } of rows) {
              this.settle(pos, change.seq)
              counts.set(change.collection, (counts.get(change.collection) ?? 0) + 1)
            }
            for (const [collection, n] of counts) if (n >= BATCH) this.dirty.add(collection)
          }
          const missing = covered.filter((pos) => this.waiters.has(pos))
          if (missing.length > 0) {
            for (const [pos, seq] of await this.backend.seqsOf(missing)) this.settle(pos, seq)
            // Still unnumbered: another process' run holds the lock and has not committed yet.
            let others = false
            for (const pos of missing) {
              const w = this.waiters.get(pos)
              if (w) {
                this.dirty.add(w.collection)
                others = true
              }
            }
            if (others) await new Promise((r) => setTimeout(r, 2))
          }
          backoff = 20
        } catch (err) {
          if (this.closed) break
          for (const c of collections) this.dirty.add(c)
          console.warn(`livecrud: numbering changes failed (${(err as Error).message}); retrying`)
          await new Promise((r) => setTimeout(r, backoff).unref())
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)
        }
      }
    } finally {
      this.running = false
    }
  }

  private settle(pos: number, seq: number): void {
    const w = this.waiters.get(pos)
    if (!w) return
    this.waiters.delete(pos)
    for (const resolve of w.resolve) resolve(seq)
  }

  close(): void {
    this.closed = true
    const err = new Error('store is closed')
    for (const w of this.waiters.values()) for (const reject of w.reject) reject(err)
    this.waiters.clear()
  }
}
