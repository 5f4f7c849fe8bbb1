import { LivecrudError, RESERVED_FIELDS } from '../../../../protocol/index.js'
import type { Queryable, Row } from '../PgConnector.js'
import { codecFor, SUPPORTED_TYPES, type ColumnCodec } from './codecs.js'
import { parseTableName, type TableName, type TableOptions } from './config.js'

/** One mapped column: the item field it is and how its values convert. */
export interface ColumnShape {
  field: string
  column: string
  codec: ColumnCodec
  /** Generated or `GENERATED ALWAYS AS IDENTITY`: read, never written. */
  readOnly: boolean
}

/** What livecrud knows of a mapped table, read from the catalog. */
export interface TableShape {
  collection: string
  name: TableName
  /** The id column (its text is the item's `id`). */
  key: { column: string; codec: ColumnCodec }
  /** Mapped columns other than the key, in table order. */
  columns: ColumnShape[]
  /** Every column of the table is mapped (no allow-list left one out). */
  complete: boolean
  /** Changes whenever a mapped column is added, dropped, renamed or retyped. */
  signature: string
}

const COLUMNS_SQL = `
SELECT a.attname::text AS name, a.attnum, a.attgenerated <> '' AS generated, a.attidentity = 'a' AS identity,
  format_type(a.atttypid, a.atttypmod) AS sql_type, format_type(a.atttypid, NULL) AS cast_type,
  b.typname, b.typtype, b.typcategory,
  e.typname AS elem_typname, e.typtype AS elem_typtype,
  CASE WHEN e.oid IS NOT NULL THEN format_type(e.oid, NULL) END AS elem_sql_type
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
LEFT JOIN pg_type e ON b.typcategory = 'A' AND e.oid = b.typelem
WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`

const TABLE_SQL = `
SELECT c.oid::int8::text AS oid, c.relkind,
  (SELECT array_agg(a.attname::text ORDER BY k.i) FROM pg_index x
     CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY k(attnum, i)
     JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
   WHERE x.indrelid = c.oid AND x.indisprimary) AS pk
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2`

function fail(collection: string, message: string): never {
  throw new LivecrudError('BAD_REQUEST', `collection ${collection}: ${message}`)
}

function codecOf(r: Row): ColumnCodec | null {
  const isArray = r.typcategory === 'A'
  return codecFor({
    typname: (isArray ? r.elem_typname : r.typname) as string,
    typtype: (isArray ? r.elem_typtype : r.typtype) as string,
    sqlType: r.cast_type as string,
    elementSqlType: (r.elem_sql_type as string | null) ?? undefined,
    isArray,
  })
}

/**
 * Reads a mapped table's shape from the catalog. Fails (BAD_REQUEST, naming the table and column)
 * when the table is missing, has no usable single-column key, a mapped column has an unsupported
 * type, or a field name collides with `id` / `_version`.
 */
export async function introspectTable(
  db: Queryable,
  collection: string,
  options: TableOptions,
): Promise<TableShape> {
  const name = parseTableName(options.table)
  const table = (await db.query(TABLE_SQL, [name.schema, name.table]))[0]
  if (!table || !['r', 'p'].includes(table.relkind as string))
    fail(collection, `table ${name.schema}.${name.table} does not exist`)
  const rows = await db.query(COLUMNS_SQL, [table.oid])
  const byColumn = new Map(rows.map((r) => [r.name as string, r]))

  const pk = (table.pk as string[] | null) ?? []
  const keyColumn = options.primaryKey ?? (pk.length === 1 ? pk[0]! : undefined)
  if (!keyColumn)
    fail(
      collection,
      pk.length > 1
        ? `table ${name.table} has a composite primary key (${pk.join(', ')}); name one unique column with primaryKey`
        : `table ${name.table} has no primary key; name its id column with primaryKey`,
    )
  const keyRow = byColumn.get(keyColumn)
  if (!keyRow) fail(collection, `primary key column ${keyColumn} does not exist`)
  const keyCodec = codecOf(keyRow)
  if (
    !keyCodec ||
    !['text', 'varchar', 'char', 'uuid', 'integer', 'bigint', 'enum'].includes(keyCodec.kind)
  )
    fail(
      collection,
      `primary key column ${keyColumn} has type ${keyRow.sql_type as string}; ids need text, varchar, uuid, integer or bigint`,
    )

  const fieldOf = new Map<string, string>()
  for (const [field, column] of Object.entries(options.rename ?? {})) {
    if (!byColumn.has(column)) fail(collection, `rename ${field} → ${column}: no column ${column}`)
    fieldOf.set(column, field)
  }
  const allow = options.columns ? new Set(options.columns) : null
  const columns: ColumnShape[] = []
  const problems: string[] = []
  for (const r of rows) {
    const column = r.name as string
    if (column === keyColumn) continue
    const field = fieldOf.get(column) ?? column
    if (allow && !allow.has(field)) continue
    if ((RESERVED_FIELDS as readonly string[]).includes(field)) {
      problems.push(
        `column ${column} would be the reserved field ${field}: rename it (rename: { ${column}_: '${column}' }) or leave it out (columns)`,
      )
      continue
    }
    const codec = codecOf(r)
    if (!codec) {
      problems.push(`column ${column} has unsupported type ${r.sql_type as string}`)
      continue
    }
    columns.push({ field, column, codec, readOnly: Boolean(r.generated) || Boolean(r.identity) })
  }
  if (allow) {
    const known = new Set(columns.map((c) => c.field))
    for (const field of allow)
      if (!known.has(field) && !problems.some((p) => p.includes(` ${field} `)))
        problems.push(`columns lists ${field}, which the table does not have`)
  }
  if (problems.length > 0)
    fail(
      collection,
      `table ${name.schema}.${name.table}: ${problems.join('; ')} (supported: ${SUPPORTED_TYPES}; leave a column out with the columns option)`,
    )
  const signature = JSON.stringify([
    keyColumn,
    keyRow.sql_type,
    columns.map((c) => [c.field, c.column, c.codec.sqlType, c.readOnly]),
  ])
  const complete = columns.length === rows.length - 1
  return {
    collection,
    name,
    key: { column: keyColumn, codec: keyCodec },
    columns,
    complete,
    signature,
  }
}
