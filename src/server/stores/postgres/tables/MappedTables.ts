import { createHash } from 'node:crypto'
import type { PgConnector, Queryable } from '../PgConnector.js'
import { checkTablesOptions, quoteIdent, quoteLiteral, type TablesOptions } from './config.js'
import { TableCollection } from './TableCollection.js'
import { objectNames } from './triggerSql.js'

/** undefined column, undefined table, undefined function: the catalog moved under a running server. */
const SCHEMA_CHANGED = new Set(['42703', '42P01', '42883'])

export interface MappedTablesOptions {
  /**
   * Install (or update) the triggers at start-up (default true). False: only check that they are
   * installed and current (for teams whose migrations own the DDL: `livecrud-server
   * --install-triggers-only`), and fail start-up naming the table otherwise.
   */
  installTriggers?: boolean
  /** Where the start-up lines go (default `console.log`). */
  log?: (line: string) => void
}

/**
 * The table-backed collections of one store: introspected at start-up (an unsupported column type
 * fails it, by name), triggers installed idempotently (a log line per table), and re-read when the
 * table changes under a running server (`refresh`).
 */
export class MappedTables {
  private readonly byCollection = new Map<string, TableCollection>()
  private readonly log: (line: string) => void
  private timer: NodeJS.Timeout | null = null
  private readonly warned = new Map<string, string>()
  /** The shape each table's triggers and item function were last installed (or checked) for. */
  private readonly installed = new Map<string, string>()

  constructor(
    private readonly schema: string,
    channel: string,
    tables: TablesOptions | undefined,
    private readonly options: MappedTablesOptions = {},
  ) {
    this.log = options.log ?? ((line) => console.log(line))
    for (const [collection, table] of Object.entries(checkTablesOptions(tables)))
      this.byCollection.set(collection, new TableCollection(schema, collection, table, channel))
  }

  get size(): number {
    return this.byCollection.size
  }

  get(collection: string): TableCollection | undefined {
    return this.byCollection.get(collection)
  }

  all(): TableCollection[] {
    return [...this.byCollection.values()]
  }

  /**
   * At start-up: reads every table and installs or checks its triggers, in one transaction under
   * the schema's advisory lock. Up-to-date triggers cost catalog reads only, no DDL; DDL that
   * would wait long for a busy table (and make its writers queue behind it) fails start-up instead.
   */
  async setUp(db: PgConnector, schema: string): Promise<void> {
    if (this.size === 0) return
    await db.transaction(async (tx) => {
      await tx.query(`SET LOCAL lock_timeout = '10s'`)
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`livecrud:${schema}`])
      for (const table of this.all()) {
        await table.introspect(tx)
        await this.installOne(tx, table, this.options.installTriggers ?? true)
        this.installed.set(table.collection, table.shape.signature)
      }
    })
  }

  private async installOne(tx: Queryable, table: TableCollection, install: boolean): Promise<void> {
    const sql = table.installSql()
    const hash = createHash('sha1').update(sql).digest('hex')
    const names = objectNames(this.schema, table.collection)
    const shape = table.shape
    const where = `${shape.name.schema}.${shape.name.table} (collection ${table.collection}, schema ${this.schema})`
    const state = await tx.query(
      `SELECT obj_description(to_regprocedure($1)::oid, 'pg_proc') AS tag,
         (SELECT count(*)::int FROM pg_trigger WHERE tgrelid = $2::regclass AND tgname = $3) AS row_trigger`,
      [`${names.capture}()`, shape.name.sql, names.rowTrigger.slice(1, -1)],
    )
    const tag = `livecrud ${hash}`
    if (state[0]?.tag === tag && state[0]?.row_trigger === 1) {
      this.log(`livecrud: change-capture triggers on ${where} are up to date`)
      return
    }
    if (!install)
      throw new Error(
        `livecrud: change-capture triggers on ${where} are ${state[0]?.row_trigger === 1 ? 'out of date' : 'missing'}; run livecrud-server --install-triggers-only (or start with installTriggers)`,
      )
    const fresh = state[0]?.row_trigger !== 1
    await tx.query(sql)
    await tx.query(`COMMENT ON FUNCTION ${names.capture}() IS ${quoteLiteral(tag)}`)
    if (fresh) {
      // Rows already there get a versions entry, so a TRUNCATE and re-insert still moves their
      // version forward.
      await tx.query(
        `INSERT INTO ${quoteIdent(this.schema)}.versions (collection, id, version)
         SELECT ${quoteLiteral(table.collection)}, ${table.idSql()}, 1 FROM ${shape.name.sql} lc_t ON CONFLICT DO NOTHING`,
      )
    }
    this.log(`livecrud: ${fresh ? 'installed' : 'updated'} change-capture triggers on ${where}`)
  }

  /**
   * Re-reads every table's shape; a table whose mapped columns changed gets its item function and
   * triggers updated (when this store installs them) — never a throw: a table that can no longer
   * be mapped (its key dropped, a column retyped to something unsupported) is reported.
   */
  async refresh(db: PgConnector): Promise<void> {
    for (const table of this.all()) {
      try {
        await table.introspect(db)
        this.warned.delete(table.collection)
        if (this.installed.get(table.collection) === table.shape.signature) continue
        if (this.options.installTriggers ?? true)
          await db.transaction(async (tx) => {
            // A trigger's DDL waits for open transactions on the table, and writers would queue
            // behind it: give up quickly instead, and try again at the next poll.
            await tx.query(`SET LOCAL lock_timeout = '1s'`)
            await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
              `livecrud:${this.schema}`,
            ])
            await this.installOne(tx, table, true)
          })
        this.installed.set(table.collection, table.shape.signature)
        this.log(
          `livecrud: the table of collection ${table.collection} changed; now mapping ${table.shape.columns.map((c) => c.field).join(', ')}`,
        )
      } catch (err) {
        // Once per distinct problem, not at every poll; the previous mapping stays in use.
        const message = `livecrud: collection ${table.collection}: ${(err as Error).message}`
        if (this.warned.get(table.collection) !== message) console.warn(message)
        this.warned.set(table.collection, message)
      }
    }
  }

  /**
   * Runs `fn`; when it fails because the table changed under us (a column or the item function
   * no longer exists), re-reads the tables and runs it once more.
   */
  async guard<T>(db: PgConnector, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      const code = (err as { code?: unknown }).code
      if (typeof code !== 'string' || !SCHEMA_CHANGED.has(code)) throw err
      await this.refresh(db)
      return fn()
    }
  }

  /** Re-reads the tables every `ms` (0: never) until `stop()`. */
  watch(db: PgConnector, ms: number): void {
    if (this.size === 0 || ms <= 0) return
    let running = false
    this.timer = setInterval(() => {
      if (running) return
      running = true
      void this.refresh(db).finally(() => (running = false))
    }, ms)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** DROP statements removing every mapped table's triggers and functions. */
  uninstallSql(): string {
    return this.all()
      .map((t) => t.uninstallSql())
      .join('\n')
  }
}
