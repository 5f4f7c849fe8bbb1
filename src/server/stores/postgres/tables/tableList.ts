import type {
  FilterCondition,
  Filters,
  NormalizedQuery,
  Scalar,
} from '../../../../protocol/index.js'
import { idCandidates } from '../../idCandidates.js'
import { filterSql, orderSql, Params } from '../sqlQuery.js'
import type { ColumnCodec, NativeKind } from './codecs.js'
import { quoteIdent, quoteLiteral } from './config.js'
import type { TableShape } from './introspect.js'
import { objectNames } from './triggerSql.js'

const SAFE = Number.MAX_SAFE_INTEGER
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const CANONICAL_INT = /^(0|-?[1-9]\d{0,18})$/
const INT4 = 2 ** 31

/**
 * The operands a column of `kind` can equal, as the column's SQL values, or null when the native
 * predicate cannot be written. An operand no value of the column can equal (a string for an integer
 * column) is dropped: equality is strict, so it matches nothing.
 */
function nativeOperands(kind: NativeKind, sqlType: string, operands: Scalar[]): string[] | null {
  const out: string[] = []
  for (const o of operands) {
    if (o === null) return null // null also matches SQL NULL: no plain `=` says that
    switch (kind) {
      case 'integer':
        if (
          typeof o === 'number' &&
          Number.isInteger(o) &&
          Math.abs(o) < (sqlType === 'smallint' ? 2 ** 15 : INT4)
        )
          out.push(String(o))
        break
      case 'bigint':
        if (typeof o === 'number' && Number.isSafeInteger(o)) out.push(String(o))
        // Above 2^53 a bigint is a string of digits.
        else if (typeof o === 'string' && CANONICAL_INT.test(o) && Math.abs(Number(o)) > SAFE)
          out.push(o)
        break
      case 'text':
        if (typeof o === 'string') out.push(o)
        break
      case 'uuid':
        if (typeof o === 'string' && UUID.test(o)) out.push(o)
        break
      case 'boolean':
        if (typeof o === 'boolean') out.push(String(o))
        break
    }
  }
  return out
}

function sqlArrayType(kind: NativeKind): string {
  return kind === 'integer' || kind === 'bigint'
    ? 'int8[]'
    : kind === 'uuid'
      ? 'uuid[]'
      : kind === 'boolean'
        ? 'boolean[]'
        : 'text[]'
}

/** Integer bounds implied by a numeric range on an integer column. */
function integerBounds(cond: FilterCondition, p: Params, col: string): string[] {
  if (cond === null || typeof cond !== 'object') return []
  const out: string[] = []
  const bound = (op: string, value: number | string | undefined, round: (x: number) => number) => {
    if (typeof value !== 'number') return
    const b = round(value)
    if (Number.isSafeInteger(b)) out.push(`${col} ${op} ${p.add(String(b))}::int8`)
  }
  bound('>', cond.$gt, Math.floor)
  bound('>=', cond.$gte, Math.ceil)
  bound('<', cond.$lt, Math.ceil)
  bound('<=', cond.$lte, Math.floor)
  return out
}

function equalityOperands(cond: FilterCondition): Scalar[] | null {
  if (cond === null || typeof cond !== 'object') return [cond]
  if (cond.$eq !== undefined) return [cond.$eq]
  if (cond.$in !== undefined) return cond.$in
  return null
}

/**
 * Predicates on the real columns implied by `filters` (never narrower than them): they let the
 * table's indexes find the candidate rows; the exact JSON semantics are applied on top.
 */
function nativePredicates(p: Params, shape: TableShape, filters: Filters): string[] {
  const out: string[] = []
  const key = shape.key
  const ids = idCandidates(filters)
  if (ids !== undefined) {
    const keyKind = keyNative(key.codec)
    const values = keyKind ? nativeOperands(keyKind, key.codec.sqlType, keyIds(keyKind, ids)) : ids
    if (values)
      out.push(
        `lc_t.${quoteIdent(key.column)} = ANY(${p.add(values)}::${keyKind ? sqlArrayType(keyKind) : 'text[]'})`,
      )
  }
  for (const [path, cond] of Object.entries(filters)) {
    const column = shape.columns.find((c) => c.field === path)
    const kind = column?.codec.native
    if (!column || !kind) continue
    const col = `lc_t.${quoteIdent(column.column)}`
    const operands = equalityOperands(cond)
    if (operands) {
      const values = nativeOperands(kind, column.codec.sqlType, operands)
      if (values) out.push(`${col} = ANY(${p.add(values)}::${sqlArrayType(kind)})`)
    }
    if (kind === 'integer' || kind === 'bigint') out.push(...integerBounds(cond, p, col))
  }
  return out
}

function keyNative(codec: ColumnCodec): NativeKind | undefined {
  return codec.kind === 'enum' || codec.kind === 'char' ? undefined : codec.native
}

/** Ids are the key's text: only canonical spellings can be a row's id. */
function keyIds(kind: NativeKind, ids: string[]): Scalar[] {
  if (kind === 'integer' || kind === 'bigint')
    return ids
      .filter((id) => CANONICAL_INT.test(id))
      .map((id) => (Math.abs(Number(id)) <= SAFE ? Number(id) : id))
  return ids
}

/** `(lc_t.pk)::text`, the item id of a row of the table aliased `lc_t` (an alias no column is likely to shadow). */
export function idExpr(shape: TableShape): string {
  return `(lc_t.${quoteIdent(shape.key.column)})::text`
}

/** The item of row `lc_t` (joined with its version `lc_v`). */
export function itemExpr(schema: string, shape: TableShape): string {
  return `${objectNames(schema, shape.collection).item}(to_jsonb(lc_t), COALESCE(lc_v.version, 1))`
}

/** `FROM table lc_t LEFT JOIN versions lc_v`: rows with their versions. */
export function fromSql(schema: string, shape: TableShape): string {
  return `${shape.name.sql} lc_t LEFT JOIN ${quoteIdent(schema)}.versions lc_v ON lc_v.collection = ${quoteLiteral(shape.collection)} AND lc_v.id = ${idExpr(shape)}`
}

/**
 * One statement answering a LIST on a mapped table, with exactly `protocol/query.ts` semantics:
 * rows are turned into items by the same function the trigger uses, then filtered and sorted by
 * the JSONB store's expressions (`sqlQuery.ts`). Equality, `$in` and integer ranges are also
 * written on the columns themselves, so the table's indexes pick the candidate rows.
 * Returns one row `{ total, seq, items }`.
 */
export function tableListSql(
  schema: string,
  shape: TableShape,
  query: NormalizedQuery,
  scope?: Filters,
): { text: string; values: unknown[] } {
  const p = new Params()
  const c = p.add(shape.collection)
  const native = [...nativePredicates(p, shape, query.filters)]
  if (scope) native.push(...nativePredicates(p, shape, scope))
  const exact = [...filterSql(p, query.filters), ...(scope ? filterSql(p, scope) : [])]
  const order = orderSql(p, query.sort)
  const offset = p.add(((BigInt(query.page) - 1n) * BigInt(query.pageSize)).toString())
  const limit = p.add(query.pageSize)
  const text = `
WITH r AS (SELECT ${idExpr(shape)} AS id, ${itemExpr(schema, shape)} AS data FROM ${fromSql(schema, shape)}
           ${native.length > 0 ? `WHERE ${native.join(' AND ')}` : ''}),
m AS MATERIALIZED (SELECT id, data FROM r ${exact.length > 0 ? `WHERE ${exact.join(' AND ')}` : ''}),
pg AS (SELECT id, data FROM m ORDER BY ${order} LIMIT ${limit}::bigint OFFSET ${offset}::bigint)
SELECT (SELECT count(*) FROM m)::text AS total,
  COALESCE((SELECT seq FROM ${quoteIdent(schema)}.collections WHERE collection = ${c}), 0)::text AS seq,
  COALESCE((SELECT jsonb_agg(data ORDER BY ${order}) FROM pg), '[]'::jsonb) AS items`
  return { text, values: p.values }
}
