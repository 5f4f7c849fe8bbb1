import { COLLECTION_PATTERN, LivecrudError } from '../../../../protocol/index.js'

/** A collection backed by an existing table (`PostgresStoreOptions.tables[collection]`). */
export interface TableOptions {
  /** `schema.table` or `table` (schema `public`); names are taken literally (case-sensitive). */
  table: string
  /** The column holding the item id (default: the table's single-column primary key). */
  primaryKey?: string
  /** Only these columns (field names after `rename`) are part of the items; default all. */
  columns?: readonly string[]
  /** Field → column, for fields whose name differs from the column's. */
  rename?: Readonly<Record<string, string>>
}

export type TablesOptions = Readonly<Record<string, TableOptions>>

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/

/** Quotes an identifier (names come from the catalog or from checked configuration). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

/** An SQL string literal (for names spliced into generated trigger code). */
export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`
}

export interface TableName {
  schema: string
  table: string
  /** `"schema"."table"` */
  sql: string
}

export function parseTableName(name: string): TableName {
  const parts = name.split('.')
  const [schema, table] = parts.length === 1 ? ['public', parts[0]!] : parts
  if (parts.length > 2 || !schema || !table || !IDENT.test(schema) || !IDENT.test(table))
    throw new LivecrudError(
      'BAD_REQUEST',
      `invalid table name ${JSON.stringify(name)} (expected schema.table)`,
    )
  return { schema, table, sql: `${quoteIdent(schema)}.${quoteIdent(table)}` }
}

/** Checks a `tables` option: collection names, table names, rename targets. */
export function checkTablesOptions(tables: TablesOptions | undefined): TablesOptions {
  if (!tables) return {}
  for (const [collection, options] of Object.entries(tables)) {
    if (!COLLECTION_PATTERN.test(collection))
      throw new LivecrudError(
        'BAD_REQUEST',
        `invalid collection name ${JSON.stringify(collection)}`,
      )
    if (!options || typeof options.table !== 'string')
      throw new LivecrudError('BAD_REQUEST', `tables.${collection} needs { table: 'schema.table' }`)
    parseTableName(options.table)
  }
  return tables
}

/** Parses the CLI's `--table tasks=public.tasks` (repeatable) into a `tables` option. */
export function parseTableFlags(
  flags: readonly string[] | undefined,
): Record<string, TableOptions> {
  const out: Record<string, TableOptions> = {}
  for (const flag of flags ?? []) {
    const eq = flag.indexOf('=')
    const collection = flag.slice(0, eq)
    const table = flag.slice(eq + 1)
    if (eq <= 0 || !table)
      throw new LivecrudError(
        'BAD_REQUEST',
        `--table needs collection=schema.table (got ${JSON.stringify(flag)})`,
      )
    out[collection] = { table }
  }
  return checkTablesOptions(out) as Record<string, TableOptions>
}
