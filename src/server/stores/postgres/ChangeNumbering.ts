import type { ChangeRecord } from '../Store.js'
import { toChange } from './changeRows.js'
import type { LogFeed } from './LogFeed.js'
import type { PgConnector, Row } from './PgConnector.js'
import { Sequencer } from './Sequencer.js'

export interface ChangeNumberingOptions {
  changeRetention: number
  mutationRetention: number
  /** Poll for committed, unnumbered changes, ms (0 disables). */
  pollMs: number
}

/**
 * Everything between a committed change row and the feed, for one PostgreSQL store: the
 * `Sequencer` on the schema's `sequence()` function, the NOTIFY hints of the schema's channel, the
 * poll for changes nobody numbered (a writer killed between its commit and its numbering, a
 * trigger's hint lost with a LISTEN connection), and pruning the log and the remembered mutations
 * outside the write path.
 */
export class ChangeNumbering {
  private readonly sequencer: Sequencer
  private readonly pruneEvery: number
  private readonly lastPruned = new Map<string, number>()
  /** A numbering call is in flight: NOTIFY hints wait in `hints` (see `onNotify`). */
  private numbering = false
  private readonly hints = new Map<string, number>()
  private timer: NodeJS.Timeout | null = null
  private closed = false

  constructor(
    private readonly db: PgConnector,
    /** The quoted schema, e.g. `"livecrud"`. */
    private readonly s: string,
    private readonly feed: LogFeed,
    private readonly options: ChangeNumberingOptions,
  ) {
    this.pruneEvery = Math.max(1, Math.min(64, Math.floor(options.changeRetention / 4)))
    this.sequencer = new Sequencer({
      number: async (collections, limit) => {
        this.numbering = true
        let rows: Row[] = []
        try {
          rows = await this.db.query(
            `SELECT * FROM ${this.s}.sequence($1::text[], $2)`,
            [collections, limit],
            `lc_seq_${this.s.slice(1, -1)}`,
          )
        } finally {
          if (rows.length === 0) this.flushHints()
        }
        return rows.map((r) => ({ pos: Number(r.pos), change: toChange(r) }))
      },
      seqsOf: async (positions) => {
        const rows = await this.db.query(
          `SELECT pos::text, seq::text FROM ${this.s}.changes WHERE pos = ANY($1::bigint[]) AND seq IS NOT NULL`,
          [positions],
        )
        return new Map(rows.map((r) => [Number(r.pos), Number(r.seq)]))
      },
      numbered: (changes) => {
        const heads = new Map<string, number>()
        for (const change of changes) {
          this.feed.offer(change)
          heads.set(change.collection, change.seq)
        }
        for (const [collection, seq] of heads) this.maybePrune(collection, seq)
        this.flushHints()
      },
    })
    if (options.pollMs > 0) {
      this.timer = setInterval(() => this.numberPending(), options.pollMs)
      this.timer.unref()
    }
  }

  /** The seq the committed change at `pos` was given. */
  seqOf(collection: string, pos: number): Promise<number> {
    return this.sequencer.seqOf(collection, pos)
  }

  /** A change this process committed and numbered itself (PGlite numbers inside the write). */
  committed(change: ChangeRecord): void {
    this.feed.offer(change)
    this.maybePrune(change.collection, change.seq)
  }

  /**
   * A notification on the schema's channel: `'p:<collection>'` asks for numbering (a writer that
   * does not number, such as a table trigger); `'<head>:<collection>'` announces numbered changes.
   */
  onNotify(payload: string): void {
    if (payload.startsWith('p:')) {
      if (payload.length > 2) this.sequencer.kick(payload.slice(2))
      return
    }
    const colon = payload.indexOf(':')
    const seq = Number(payload.slice(0, colon))
    const collection = payload.slice(colon + 1)
    if (!(colon > 0 && Number.isSafeInteger(seq) && collection)) return
    // Our own numbering's NOTIFY usually arrives before its rows do: reading the log for it would
    // cost one read per collection per burst. Held until the rows are offered, then only what is
    // still ahead of the feed (another process' numbering) is read.
    if (this.numbering) this.hints.set(collection, Math.max(seq, this.hints.get(collection) ?? 0))
    else this.feed.wake(collection, seq)
  }

  private flushHints(): void {
    this.numbering = false
    if (this.hints.size === 0) return
    const hints = [...this.hints]
    this.hints.clear()
    for (const [collection, seq] of hints) this.feed.wake(collection, seq)
  }

  /** Numbers what was committed but not numbered (at start, on every LISTEN (re)connect, by poll). */
  numberPending(): void {
    if (this.closed) return
    this.db.query(`SELECT DISTINCT collection FROM ${this.s}.changes WHERE seq IS NULL`).then(
      (rows) => {
        for (const r of rows) this.sequencer.kick(r.collection as string)
      },
      (err: Error) => console.warn('livecrud: pending-change poll failed:', err.message),
    )
  }

  /** Prunes the log and the remembered mutations outside the write path, every `pruneEvery` seqs. */
  private maybePrune(collection: string, seq: number): void {
    const last = this.lastPruned.get(collection) ?? 0
    if (seq - last < this.pruneEvery || this.closed) return
    this.lastPruned.set(collection, seq)
    this.prune(collection, seq).catch((err: Error) =>
      console.warn(`livecrud: pruning ${collection} failed:`, err.message),
    )
  }

  private async prune(collection: string, seq: number): Promise<void> {
    await this.db.query(`DELETE FROM ${this.s}.changes WHERE collection = $1 AND seq <= $2`, [
      collection,
      seq - this.options.changeRetention,
    ])
    await this.db.query(
      `DELETE FROM ${this.s}.mutations WHERE collection = $1 AND n < (
         SELECT min(n) FROM (SELECT n FROM ${this.s}.mutations WHERE collection = $1 ORDER BY n DESC LIMIT $2) keep)`,
      [collection, this.options.mutationRetention],
    )
  }

  close(): void {
    this.closed = true
    this.sequencer.close()
    if (this.timer) clearInterval(this.timer)
  }
}
