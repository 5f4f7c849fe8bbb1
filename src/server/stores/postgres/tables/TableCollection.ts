import {
  LivecrudError,
  type Filters,
  type Id,
  type Item,
  type NormalizedQuery,
} from '../../../../protocol/index.js'
import type { WriteRequest, WriteResult } from '../../Store.js'
import type { Queryable } from '../PgConnector.js'
import { parseTableName, quoteIdent, type TableOptions } from './config.js'
import { introspectTable, type TableShape } from './introspect.js'
import { fromSql, idExpr, itemExpr, tableListSql } from './tableList.js'
import { isKeyText, writeStatement, type Statement } from './tableWrite.js'
import { writeTableItem, type TableWriteContext } from './writeTableItem.js'
import { installSql, uninstallSql } from './triggerSql.js'

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

  installSql(): string {
    return installSql(this.schema, this.channel, this.shape)
  }

  /** DROP statements for this collection's triggers and functions (no catalog read needed). */
  uninstallSql(): string {
    return uninstallSql(this.schema, {
      collection: this.collection,
      name: parseTableName(this.options.table),
    })
  }

  /** `SELECT <what> FROM the row with this id`, or null for ids the key type cannot hold. */
  private byId(what: string, id: Id, placeholder: string): Statement | null {
    const shape = this.shape
    if (!isKeyText(shape, id)) return null
    return {
      text: `SELECT ${what} FROM ${fromSql(this.schema, shape)}
        WHERE lc_t.${quoteIdent(shape.key.column)} = ${placeholder}::${shape.key.codec.sqlType}`,
      values: [id],
    }
  }

  /** GET: the row with this id as an item (column `item`). */
  readSql(id: Id, placeholder = '$1'): Statement | null {
    return this.byId(`${itemExpr(this.schema, this.shape)} AS item`, id, placeholder)
  }

  /** Locks the row (the version is read afterwards, in a fresh statement: `versionSql`). */
  lockSql(id: Id): Statement | null {
    const sql = this.byId('1 AS locked', id, '$1')
    return sql && { text: `${sql.text} FOR UPDATE OF lc_t`, values: sql.values }
  }

  versionSql(id: Id): Statement | null {
    return this.byId('COALESCE(lc_v.version, 1)::text AS version', id, '$1')
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

  /** livecrud's own INSERT / UPDATE / DELETE of row `id` with real column values (`tableWrite.ts`). */
  writeSql(
    id: Id,
    decision: Parameters<typeof writeStatement>[2],
    current: Item | null,
  ): Statement {
    return writeStatement(this.shape, id, decision, current)
  }

  /** The column's field name (for error messages). */
  fieldOf(column: string): string {
    return (
      this.shape.columns.find((c) => c.column === column)?.field ??
      (column === this.shape.key.column ? 'id' : column)
    )
  }

  /** livecrud's own write (see `writeTableItem`). */
  write(ctx: TableWriteContext, request: WriteRequest): Promise<WriteResult> {
    return writeTableItem(ctx, this, request)
  }

  /** The item id of a row of `t` (for callers joining the table). */
  idSql(): string {
    return idExpr(this.shape)
  }
}
