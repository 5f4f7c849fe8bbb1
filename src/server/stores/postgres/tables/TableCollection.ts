import {
  LivecrudError,
  type Filters,
  type Id,
  type Item,
  type NormalizedQuery,
} from '../../../../protocol/index.js'
import type { ChangeRecord, WriteRequest, WriteResult } from '../../Store.js'
import type { Queryable, Row } from '../PgConnector.js'
import { parseTableName, type TableOptions } from './config.js'
import { introspectTable, type TableShape } from './introspect.js'
import { tableWriteError } from './pgErrors.js'
import { fromSql, idExpr, itemExpr, tableListSql } from './tableList.js'
import { isKeyText, mutationSettings, writeStatement, type Statement } from './tableWrite.js'
import { installSql, uninstallSql, type ChangeTable } from './triggerSql.js'

function changeOf(r: Row): ChangeRecord {
  const change: ChangeRecord = {
    collection: r.collection as string,
    seq: Number(r.seq),
    type: r.type as ChangeRecord['type'],
    id: r.id as string,
    version: Number(r.version),
    item: (r.item as Item | null) ?? null,
    prev: (r.prev as Item | null) ?? null,
  }
  if (r.mutation_id) change.mutationId = r.mutation_id as string
  if (r.client_id) change.clientId = r.client_id as string
  return change
}

/**
 * One collection backed by an existing table: its shape (from the catalog), the DDL capturing
 * every writer's changes, and the SQL of GET, LIST and livecrud's own writes over the real columns.
 * PostgresStore routes the mapped collection's calls here.
 */
export class TableCollection {
  private current: TableShape | null = null

  constructor(
    readonly schema: string,
    readonly collection: string,
    readonly options: TableOptions,
    private readonly channel: string,
  ) {}

  get shape(): TableShape {
    if (!this.current)
      throw new LivecrudError('INTERNAL', `collection ${this.collection}: table not introspected`)
    return this.current
  }

  /** Reads the table's key, columns and types; true when they differ from what was known. */
  async introspect(db: Queryable): Promise<boolean> {
    const shape = await introspectTable(db, this.collection, this.options)
    const changed = this.current?.signature !== shape.signature
    this.current = shape
    return changed
  }

  installSql(changes: ChangeTable): string {
    return installSql(this.schema, this.channel, this.shape, changes)
  }

  /** DROP statements for this collection's triggers and functions (no catalog read needed). */
  uninstallSql(): string {
    return uninstallSql(this.schema, {
      collection: this.collection,
      name: parseTableName(this.options.table),
    })
  }

  /** GET: the row with this id as an item, or null (also for ids the key type cannot hold). */
  readSql(id: Id, lock = false): Statement | null {
    const shape = this.shape
    if (!isKeyText(shape, id)) return null
    return {
      text: `SELECT ${itemExpr(this.schema, shape)} AS item FROM ${fromSql(this.schema, shape)}
        WHERE t.${`"${shape.key.column.replace(/"/g, '""')}"`} = $1::${shape.key.codec.sqlType}${lock ? ' FOR UPDATE OF t' : ''}`,
      values: [id],
    }
  }

  async read(db: Queryable, id: Id): Promise<Item | null> {
    const sql = this.readSql(id)
    if (!sql) return null
    const rows = await db.query(sql.text, sql.values)
    return (rows[0]?.item as Item | undefined) ?? null
  }

  listSql(query: NormalizedQuery, scope?: Filters): Statement {
    return tableListSql(this.schema, this.shape, query, scope)
  }

  /** The column's field name (for error messages). */
  fieldOf(column: string): string {
    return (
      this.shape.columns.find((c) => c.column === column)?.field ??
      (column === this.shape.key.column ? 'id' : column)
    )
  }

  /**
   * livecrud's own write (write path v1, `counter` sequencing) inside `tx`: counter lock first (as
   * every writer's BEFORE statement trigger takes it, so nobody deadlocks), remembered mutation,
   * row lock, `decide`, then the DML with real column values; the trigger writes the change row,
   * read back here. Constraint violations become BAD_REQUEST / CONFLICT (the caller rolls back).
   */
  async write(tx: Queryable, request: WriteRequest): Promise<WriteResult> {
    const { collection, id, mutationId, clientId } = request
    const s = `"${this.schema}"`
    const head = await tx.query(
      `SELECT seq::text FROM ${s}.collections WHERE collection = $1 FOR UPDATE`,
      [collection],
    )
    const seen = await tx.query(
      `SELECT result, item, seq::text, version::text FROM ${s}.mutations
       WHERE collection = $1 AND client_id = $2 AND mutation_id = $3`,
      [collection, clientId ?? '', mutationId],
    )
    if (seen[0]) {
      const r = seen[0]
      return {
        item: (r.item as Item | null) ?? null,
        result: r.result as Item | boolean | null,
        change: null,
        duplicate: true,
        seq: Number(r.seq),
        version: Number(r.version),
      }
    }
    const read = this.readSql(id, true)
    const current = read
      ? (((await tx.query(read.text, read.values))[0]?.item as Item | undefined) ?? null)
      : null
    let stored = current?._version ?? 0
    if (!current) {
      const tomb = await tx.query(
        `SELECT version::text FROM ${s}.versions WHERE collection = $1 AND id = $2`,
        [collection, id],
      )
      stored = tomb[0] ? Number(tomb[0].version) : 0
    }
    const decision = request.decide(current)
    let change: ChangeRecord | null = null
    if (decision.action !== 'none') {
      if (decision.action === 'delete' && !current)
        throw new LivecrudError('NOT_FOUND', `no item ${id} in ${collection}`)
      if (!read)
        throw new LivecrudError(
          'BAD_REQUEST',
          `id ${id} cannot be a key of ${this.shape.name.schema}.${this.shape.name.table} (column ${this.shape.key.column} is ${this.shape.key.codec.sqlType})`,
        )
      const dml = writeStatement(this.shape, id, decision, current)
      const settings = mutationSettings(request)
      await tx.query(settings.text, settings.values)
      try {
        await tx.query(dml.text, dml.values)
      } catch (err) {
        throw tableWriteError(err, (c) => this.fieldOf(c)) ?? err
      }
      const rows = await tx.query(
        `SELECT collection, seq::text, type, id, version::text, item, prev, mutation_id, client_id FROM ${s}.changes
         WHERE collection = $1 AND seq = NULLIF(current_setting('livecrud.seq', true), '')::bigint`,
        [collection],
      )
      if (rows[0]) change = changeOf(rows[0])
    }
    const seq = change ? change.seq : Number(head[0]?.seq ?? 0)
    const item = change ? change.item : current
    const result: Item | boolean | null =
      decision.action === 'none' ? decision.result : decision.action === 'delete' ? true : item
    const version = change ? change.version : stored
    await tx.query(
      `INSERT INTO ${s}.mutations (collection, client_id, mutation_id, result, item, seq, version)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7)`,
      [
        collection,
        clientId ?? '',
        mutationId,
        JSON.stringify(result),
        JSON.stringify(item),
        seq,
        version,
      ],
    )
    return { item, result, change, duplicate: false, seq, version }
  }

  /** The item id of a row of `t` (for callers joining the table). */
  idSql(): string {
    return idExpr(this.shape)
  }
}
