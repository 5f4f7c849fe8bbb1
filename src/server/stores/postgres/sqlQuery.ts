import type {
  FilterCondition,
  Filters,
  NormalizedQuery,
  Scalar,
  SortField,
} from '../../../protocol/index.js'
import { idCandidates } from '../idCandidates.js'

/** Collects positional parameters: every value reaches PostgreSQL as a parameter, never as SQL text. */
export class Params {
  readonly values: unknown[] = []
  add(value: unknown): string {
    this.values.push(value)
    return `$${this.values.length}`
  }
}

/** The JSON value at a field path; SQL NULL when the path is missing (as `getField` → undefined). */
function fieldExpr(p: Params, path: string): string {
  // `#>` would index arrays with numeric segments; FIELD_PATTERN forbids those, as getField ignores arrays.
  return `(data #> ${p.add(path.split('.'))}::text[])`
}

function jsonParam(p: Params, value: unknown): string {
  return `${p.add(JSON.stringify(value))}::jsonb`
}

/** Strict scalar equality; null matches JSON null and missing. Never yields SQL NULL. */
function eqExpr(p: Params, v: string, operand: Scalar): string {
  if (operand === null) return `(${v} IS NULL OR ${v} = 'null'::jsonb)`
  // jsonb `=` is false across types ('5' vs 5, 'true' vs true) and compares numbers numerically.
  return `(${v} = ${jsonParam(p, operand)}) IS TRUE`
}

/** `field` is called only when the value is compared: an empty list must not leave an unused parameter. */
function inExpr(p: Params, field: () => string, operands: Scalar[]): string {
  const parts: string[] = []
  const nonNull = operands.filter((o) => o !== null)
  if (nonNull.length > 0)
    parts.push(
      `EXISTS (SELECT 1 FROM jsonb_array_elements(${jsonParam(p, nonNull)}) o(x) WHERE o.x = ${field()})`,
    )
  if (nonNull.length < operands.length) parts.push(eqExpr(p, field(), null))
  return parts.length === 0 ? 'false' : `(${parts.join(' OR ')})`
}

const RANGE_OPS = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const

/** Ranges match only values of the operand's own type; CASE keeps the cast from running on others. */
function rangeExpr(
  p: Params,
  v: string,
  op: keyof typeof RANGE_OPS,
  operand: number | string,
): string {
  const sqlOp = RANGE_OPS[op]
  if (typeof operand === 'number')
    return `(CASE WHEN jsonb_typeof(${v}) = 'number' THEN ${v} ${sqlOp} ${jsonParam(p, operand)} ELSE false END)`
  return `(CASE WHEN jsonb_typeof(${v}) = 'string' THEN (${v} #>> '{}') COLLATE "C" ${sqlOp} (${p.add(operand)}::text COLLATE "C") ELSE false END)`
}

function conditionExpr(p: Params, path: string, cond: FilterCondition): string {
  // Added on first use: PostgreSQL refuses a parameter the statement never mentions ($in: []).
  let v: string | undefined
  const field = () => (v ??= fieldExpr(p, path))
  if (cond === null || typeof cond !== 'object') return eqExpr(p, field(), cond)
  const parts: string[] = []
  if (cond.$eq !== undefined) parts.push(eqExpr(p, field(), cond.$eq))
  if (cond.$ne !== undefined) parts.push(`NOT ${eqExpr(p, field(), cond.$ne)}`)
  if (cond.$in !== undefined) parts.push(inExpr(p, field, cond.$in))
  if (cond.$nin !== undefined) parts.push(`NOT ${inExpr(p, field, cond.$nin)}`)
  for (const op of ['$gt', '$gte', '$lt', '$lte'] as const) {
    const operand = cond[op]
    if (operand !== undefined) parts.push(rangeExpr(p, field(), op, operand))
  }
  return parts.length === 0 ? 'true' : `(${parts.join(' AND ')})`
}

/** SQL boolean for `compileFilter(filters)`; assumes filters passed `normalizeFilters`. */
export function filterSql(p: Params, filters: Filters): string[] {
  return Object.entries(filters).map(([path, cond]) => conditionExpr(p, path, cond))
}

/**
 * ORDER BY for `compileComparator(sort)`: per field, the value rank (missing/null < false < true <
 * numbers < strings < arrays/objects), then the number, then the string by code point (`COLLATE "C"`
 * is byte order, which in UTF-8 is code point order). Ends with `id`, whose position in `sort` is
 * ignored but whose direction is kept, as in the shared comparator.
 */
export function orderSql(p: Params, sort: readonly SortField[]): string {
  const keys: string[] = []
  for (const { field, dir } of sort) {
    if (field === 'id') continue
    const v = fieldExpr(p, field)
    const d = dir === 'desc' ? 'DESC' : 'ASC'
    keys.push(
      `(CASE jsonb_typeof(${v}) WHEN 'boolean' THEN (CASE WHEN ${v} = 'true'::jsonb THEN 2 ELSE 1 END) WHEN 'number' THEN 3 WHEN 'string' THEN 4 WHEN 'array' THEN 5 WHEN 'object' THEN 5 ELSE 0 END) ${d}`,
      `(CASE WHEN jsonb_typeof(${v}) = 'number' THEN ${v} END) ${d}`,
      `(CASE WHEN jsonb_typeof(${v}) = 'string' THEN (${v} #>> '{}') END) COLLATE "C" ${d}`,
    )
  }
  const idDir = sort.find((s) => s.field === 'id')?.dir === 'desc' ? 'DESC' : 'ASC'
  keys.push(`id COLLATE "C" ${idDir}`)
  return keys.join(', ')
}

/**
 * One statement (one snapshot) answering a LIST: the page, the total and the collection's seq agree.
 * Returns one row: `{ total, seq, items }`.
 */
export function listSql(
  schema: string,
  collection: string,
  query: NormalizedQuery,
  scope?: Filters,
): { text: string; values: unknown[] } {
  const p = new Params()
  const c = p.add(collection)
  const where = [`collection = ${c}`, 'NOT deleted', ...filterSql(p, query.filters)]
  // The same condition on the key column, which the primary key indexes: a LIST by ids (the resync
  // refetch) then reads those rows instead of scanning the collection's JSON.
  const ids = idCandidates(query.filters)
  if (ids !== undefined) where.push(`id = ANY(${p.add(ids)}::text[])`)
  if (scope) where.push(...filterSql(p, scope))
  const order = orderSql(p, query.sort)
  const offset = p.add(((BigInt(query.page) - 1n) * BigInt(query.pageSize)).toString())
  const limit = p.add(query.pageSize)
  const s = `"${schema}"`
  const text = `
WITH m AS MATERIALIZED (SELECT id, data FROM ${s}.items WHERE ${where.join(' AND ')}),
pg AS (SELECT id, data FROM m ORDER BY ${order} LIMIT ${limit}::bigint OFFSET ${offset}::bigint)
SELECT (SELECT count(*) FROM m)::text AS total,
  COALESCE((SELECT seq FROM ${s}.collections WHERE collection = ${c}), 0)::text AS seq,
  COALESCE((SELECT jsonb_agg(data ORDER BY ${order}) FROM pg), '[]'::jsonb) AS items`
  return { text, values: p.values }
}
