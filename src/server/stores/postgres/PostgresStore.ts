import { mkdir } from 'node:fs/promises'
import type { PGlite } from '@electric-sql/pglite'
import type pg from 'pg'
import {
  LivecrudError,
  type Filters,
  type Id,
  type Item,
  type NormalizedQuery,
} from '../../../protocol/index.js'
import type { ChangeRecord, ChangesSince, Store, WriteRequest, WriteResult } from '../Store.js'
import { LogFeed, type ChangeLog } from './LogFeed.js'
import {
  PgliteConnector,
  PostgresConnector,
  type PgConnector,
  type Queryable,
} from './PgConnector.js'
import { channelName, checkSchemaName, ensureSchema } from './postgresSchema.js'
import { CHANGE_COLUMNS, toChange } from './changeRows.js'
import { ChangeNumbering } from './ChangeNumbering.js'
import { listSql } from './sqlQuery.js'
import type { TablesOptions } from './tables/config.js'
import { MappedTables } from './tables/MappedTables.js'
import { writeItem } from './writeItem.js'

export interface PostgresStoreOptions {
  /** Schema holding livecrud's tables (default `livecrud`); created when missing. */
  schema?: string
  /** Changes kept per collection for `changesSince` (default 10 000). Older cursors get `tooOld`. */
  changeRetention?: number
  /** Remembered mutation results per collection for idempotent retries (default 10 000). */
  mutationRetention?: number
  /** Safety-net poll of the change log, ms (default 5 000; 0 disables). */
  pollMs?: number
  /** PostgreSQL pool size for `connect` (default 10). */
  max?: number
  /** Collections backed by existing tables, e.g. `{ tasks: { table: 'public.tasks' } }` (README). */
  tables?: TablesOptions
  /** Install the tables' change-capture triggers at start-up (default true; false: only check them). */
  installTriggers?: boolean
}

/**
 * The store on PostgreSQL or PGlite, through one `pg` code path (see `PgConnector`).
 *
 * A write (`writeItem`) reads the item and the remembered answer of its mutationId, runs `decide`,
 * and commits through one `write_item` call that claims the mutation, compare-and-sets the item and
 * appends an unnumbered change row. `ChangeNumbering` (its `Sequencer`) then numbers committed rows in batches, under a
 * per-collection advisory lock, and each numbering transaction sends one
 * `pg_notify(channel, 'head:collection')` — a pointer, never the item, so the 8 000-byte NOTIFY
 * limit cannot fail a write. Every store listening on the schema's channel reads the rows from the
 * change log (`LogFeed`); a `'p:collection'` notification (from a writer that does not number, such
 * as a table trigger) asks the listeners to number.
 */
export class PostgresStore implements Store {
  readonly kind: string
  private readonly s: string
  private readonly channel: string
  private readonly changeRetention: number
  private readonly mutationRetention: number
  private readonly known = new Set<string>()
  private readonly feed: LogFeed
  private readonly numbering: ChangeNumbering
  /** Table-backed collections: their reads and writes go to `tables/` (TableCollection). */
  readonly tables: MappedTables
  private unlisten: (() => Promise<void>) | null = null
  private closed = false

  private constructor(
    private readonly db: PgConnector,
    private readonly schema: string,
    options: PostgresStoreOptions,
  ) {
    this.kind = db.kind
    this.s = `"${schema}"`
    this.channel = channelName(schema)
    this.changeRetention = Math.max(1, options.changeRetention ?? 10_000)
    this.mutationRetention = Math.max(1, options.mutationRetention ?? 10_000)
    const log: ChangeLog = {
      read: (collection, after, limit) => this.readLog(this.db, collection, after, limit),
      heads: async () => {
        const rows = await this.db.query(`SELECT collection, seq::text FROM ${this.s}.collections`)
        return new Map(rows.map((r) => [r.collection as string, Number(r.seq)]))
      },
    }
    this.feed = new LogFeed(log, { pollMs: options.pollMs })
    this.numbering = new ChangeNumbering(db, this.s, this.feed, {
      changeRetention: this.changeRetention,
      mutationRetention: this.mutationRetention,
      pollMs: options.pollMs ?? 5_000,
    })
    this.tables = new MappedTables(schema, this.channel, options.tables, {
      installTriggers: options.installTriggers,
    })
  }

  /** Opens a store on a connector: creates the schema, starts the feed, LISTENs. */
  static async open(db: PgConnector, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const schema = checkSchemaName(options.schema ?? 'livecrud')
    const store = new PostgresStore(db, schema, options)
    try {
      await ensureSchema(db, schema)
      await store.tables.setUp(db, schema)
      // LISTEN before reading the heads: a change committed in between is then both noticed and read.
      store.unlisten = await db.listen(store.channel, {
        onNotify: (payload) => store.numbering.onNotify(payload),
        onLost: () => {},
        onReady: () => {
          store.feed.catchUpAll()
          store.numbering.numberPending()
        },
      })
      await store.feed.start()
      store.numbering.numberPending()
      store.tables.watch(db, options.pollMs ?? 5_000)
    } catch (err) {
      await store.close()
      throw err
    }
    return store
  }

  /** Real PostgreSQL, e.g. `postgres://postgres@127.0.0.1:5432/test`. */
  static async connect(
    connectionString: string,
    options: PostgresStoreOptions = {},
  ): Promise<PostgresStore> {
    const db = new PostgresConnector({ connectionString, max: options.max })
    try {
      return await PostgresStore.open(db, options)
    } catch (err) {
      await db.close()
      throw err
    }
  }

  /**
   * An existing `pg.Pool` (yours to configure and to end: `close()` leaves it open). The feed's
   * LISTEN connection is a separate client made from the pool's connection settings.
   */
  static async fromPool(pool: pg.Pool, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const db = new PostgresConnector({ pool })
    try {
      return await PostgresStore.open(db, options)
    } catch (err) {
      await db.close()
      throw err
    }
  }

  /** PGlite: an instance (not closed by the store) or a data directory / `memory://` (owned and closed). */
  static async pglite(
    source: PGlite | string,
    options: PostgresStoreOptions = {},
  ): Promise<PostgresStore> {
    let db: PGlite
    let owns = false
    if (typeof source === 'string') {
      const { PGlite } = await import('@electric-sql/pglite')
      // PGlite creates only the last path segment; `pglite:./.data/pglite` must work on a fresh checkout.
      if (source !== 'memory://') await mkdir(source, { recursive: true })
      db = await PGlite.create(source === 'memory://' ? undefined : source)
      owns = true
    } else db = source
    const connector = await PgliteConnector.open(db, owns)
    try {
      return await PostgresStore.open(connector, options)
    } catch (err) {
      await connector.close()
      throw err
    }
  }

  /** How many changes the feed could not deliver because the log had pruned them. */
  get feedGaps(): number {
    return this.feed.gaps
  }

  private check(): void {
    if (this.closed) throw new LivecrudError('INTERNAL', 'store is closed')
  }

  private readLog(
    q: Queryable,
    collection: string,
    after: number,
    limit: number,
  ): Promise<ChangeRecord[]> {
    return q
      .query(
        `SELECT ${CHANGE_COLUMNS} FROM ${this.s}.changes WHERE collection = $1 AND seq > $2 ORDER BY changes.seq LIMIT $3`,
        [collection, after, limit],
      )
      .then((rows) => rows.map(toChange))
  }

  async get(collection: string, id: Id): Promise<Item | null> {
    this.check()
    const table = this.tables.get(collection)
    if (table) return this.tables.guard(this.db, () => table.read(this.db, id))
    const rows = await this.db.query(
      `SELECT data FROM ${this.s}.items WHERE collection = $1 AND id = $2 AND NOT deleted`,
      [collection, id],
    )
    return (rows[0]?.data as Item | undefined) ?? null
  }

  async list(
    collection: string,
    query: NormalizedQuery,
    scope?: Filters,
  ): Promise<{ items: Item[]; total: number; seq: number }> {
    this.check()
    const table = this.tables.get(collection)
    const run = () => {
      const { text, values } = table
        ? table.listSql(query, scope)
        : listSql(this.schema, collection, query, scope)
      return this.db.query(text, values)
    }
    const row = (table ? await this.tables.guard(this.db, run) : await run())[0]!
    return { items: row.items as Item[], total: Number(row.total), seq: Number(row.seq) }
  }

  async seq(collection: string): Promise<number> {
    this.check()
    const rows = await this.db.query(
      `SELECT seq::text FROM ${this.s}.collections WHERE collection = $1`,
      [collection],
    )
    return rows[0] ? Number(rows[0].seq) : 0
  }

  async changesSince(collection: string, since: number): Promise<ChangesSince> {
    this.check()
    // One statement, one snapshot: the head and the rows agree.
    const rows = await this.db.query(
      `SELECT c.seq::text AS head, ch.collection, ch.seq::text AS seq, ch.type, ch.id, ch.version::text AS version,
         ch.item, ch.prev, ch.mutation_id, ch.client_id, ch.origin
       FROM ${this.s}.collections c LEFT JOIN LATERAL
         (SELECT * FROM ${this.s}.changes WHERE collection = c.collection AND seq > $2 ORDER BY seq LIMIT $3) ch ON true
       WHERE c.collection = $1 ORDER BY ch.seq`,
      [collection, Number.isSafeInteger(since) ? since : 0, this.changeRetention + 1],
    )
    const seq = rows[0] ? Number(rows[0].head) : 0
    if (!Number.isSafeInteger(since) || since < 0 || since > seq) return { tooOld: true, seq }
    if (since === seq) return { tooOld: false, changes: [], seq }
    if (seq - since > this.changeRetention) return { tooOld: true, seq }
    const changes = rows.filter((r) => r.seq !== null).map(toChange)
    if (changes[0]?.seq !== since + 1) return { tooOld: true, seq }
    return { tooOld: false, changes, seq }
  }

  async write(request: WriteRequest): Promise<WriteResult> {
    this.check()
    const { collection } = request
    if (!this.known.has(collection)) {
      await this.db.query(
        `INSERT INTO ${this.s}.collections (collection) VALUES ($1) ON CONFLICT DO NOTHING`,
        [collection],
      )
      this.known.add(collection)
    }
    const seqOf = (c: string, pos: number) => this.numbering.seqOf(c, pos)
    const table = this.tables.get(collection)
    const out = table
      ? await this.tables.guard(this.db, () => table.write({ db: this.db, seqOf }, request))
      : await writeItem(
          { db: this.db, s: this.s, seqOf, numberInline: this.kind === 'pglite' },
          request,
        )
    if (out.change) this.numbering.committed(out.change)
    return out
  }

  /** Drops the change-capture triggers and functions of these mappings; returns the SQL it ran. */
  async uninstallTriggers(tables: TablesOptions): Promise<string> {
    this.check()
    const sql = new MappedTables(this.schema, this.channel, tables).uninstallSql()
    await this.db.query(sql)
    return sql
  }

  onChange(listener: (change: ChangeRecord) => void): () => void {
    return this.feed.onChange(listener)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.feed.close()
    this.numbering.close()
    this.tables.stop()
    if (this.unlisten) await this.unlisten().catch(() => {})
    await this.db.close()
  }
}
