import { DEFAULT_PAGE_SIZE, isValidFieldPath, MAX_PAGE_SIZE } from './limits.js'
import type {
  FilterCondition,
  Filters,
  Item,
  ListQuery,
  NormalizedQuery,
  Scalar,
  SortField,
  SortSpec,
} from './types.js'

/**
 * The query semantics every store and every live list share. Summary (PROTOCOL.md has the full text):
 * - Equality is strict JSON equality on scalars: `'5'` never equals `5`, `'true'` never equals `true`.
 *   `null` matches a field that is null or missing. A field holding an object or array never equals a scalar.
 * - `$gt/$gte/$lt/$lte` only match values of the operand's own type (number or string).
 * - Values order as: missing/null < false < true < numbers < strings < arrays and objects (all equal
 *   to each other). Strings compare by Unicode code point (= UTF-8 byte order, PostgreSQL `COLLATE "C"`).
 * - Every sort ends with `id` ascending, so order is total and deterministic.
 */

export type QueryCheck<T> = { ok: true; value: T } | { ok: false; message: string }

const OPERATORS = new Set(['$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte'])
const MAX_IN = 100
const MAX_FILTERS = 20
const MAX_SORT = 5

/** Reads a field or dotted path through own properties only. */
export function getField(item: unknown, path: string): unknown {
  if (path.indexOf('.') < 0) {
    return item !== null && typeof item === 'object' && Object.hasOwn(item, path)
      ? (item as Record<string, unknown>)[path]
      : undefined
  }
  let cur: unknown = item
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, part))
      return undefined
    cur = (cur as Record<string, unknown>)[part]
  }
  return cur
}

function isScalar(v: unknown): v is Scalar {
  return (
    v === null ||
    typeof v === 'boolean' ||
    typeof v === 'string' ||
    (typeof v === 'number' && Number.isFinite(v))
  )
}

/** Code point order: maps UTF-16 code units so that surrogates sort above U+E000–U+FFFF. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0
  const n = a.length < b.length ? a.length : b.length
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i)
    let y = b.charCodeAt(i)
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000
      }
      return x < y ? -1 : 1
    }
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0
}

/** 0 missing/null, 1 false, 2 true, 3 number, 4 string, 5 array/object. */
export function valueRank(v: unknown): number {
  if (v === undefined || v === null) return 0
  switch (typeof v) {
    case 'boolean':
      return v ? 2 : 1
    case 'number':
      return 3
    case 'string':
      return 4
    default:
      return 5
  }
}

/** The total order on field values used by sort. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = valueRank(a)
  const rb = valueRank(b)
  if (ra !== rb) return ra < rb ? -1 : 1
  if (ra === 3) return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0
  if (ra === 4) return compareStrings(a as string, b as string)
  return 0
}

function scalarEquals(value: unknown, operand: Scalar): boolean {
  if (operand === null) return value === null || value === undefined
  return value === operand
}

function rangeMatch(
  value: unknown,
  operand: number | string,
  accept: (c: number) => boolean,
): boolean {
  if (typeof operand === 'number')
    return typeof value === 'number' && accept(value < operand ? -1 : value > operand ? 1 : 0)
  return typeof value === 'string' && accept(compareStrings(value, operand))
}

function isOperatorObject(c: FilterCondition): c is Exclude<FilterCondition, Scalar> {
  return c !== null && typeof c === 'object'
}

export function matchesCondition(value: unknown, cond: FilterCondition): boolean {
  if (!isOperatorObject(cond)) return scalarEquals(value, cond)
  if (cond.$eq !== undefined && !scalarEquals(value, cond.$eq)) return false
  if (cond.$ne !== undefined && scalarEquals(value, cond.$ne)) return false
  if (cond.$in !== undefined && !cond.$in.some((o) => scalarEquals(value, o))) return false
  if (cond.$nin !== undefined && cond.$nin.some((o) => scalarEquals(value, o))) return false
  if (cond.$gt !== undefined && !rangeMatch(value, cond.$gt, (c) => c > 0)) return false
  if (cond.$gte !== undefined && !rangeMatch(value, cond.$gte, (c) => c >= 0)) return false
  if (cond.$lt !== undefined && !rangeMatch(value, cond.$lt, (c) => c < 0)) return false
  if (cond.$lte !== undefined && !rangeMatch(value, cond.$lte, (c) => c <= 0)) return false
  return true
}

/** Compiles filters into a predicate. Assumes `filters` passed `normalizeFilters`. */
export function compileFilter(filters: Filters): (item: Item) => boolean {
  const entries = Object.entries(filters)
  if (entries.length === 0) return () => true
  return (item) => {
    for (const [path, cond] of entries)
      if (!matchesCondition(getField(item, path), cond)) return false
    return true
  }
}

/** Compiles a normalized sort into a total comparator (ends with `id` ascending). */
export function compileComparator(sort: readonly SortField[]): (a: Item, b: Item) => number {
  const keys = sort.filter((s) => s.field !== 'id')
  const idDir = sort.find((s) => s.field === 'id')?.dir === 'desc' ? -1 : 1
  return (a, b) => {
    for (const { field, dir } of keys) {
      const c = compareValues(getField(a, field), getField(b, field))
      if (c !== 0) return dir === 'desc' ? -c : c
    }
    return idDir * compareStrings(a.id, b.id)
  }
}

export function normalizeSort(sort: SortSpec | undefined): QueryCheck<SortField[]> {
  if (sort === undefined || sort === null) return { ok: true, value: [] }
  const list = typeof sort === 'string' ? [sort] : sort
  if (!Array.isArray(list)) return { ok: false, message: 'sort must be a string or an array' }
  if (list.length > MAX_SORT) return { ok: false, message: `sort has more than ${MAX_SORT} fields` }
  const out: SortField[] = []
  for (const s of list as unknown[]) {
    let field: unknown
    let dir: unknown = 'asc'
    if (typeof s === 'string') {
      field = s.startsWith('-') ? s.slice(1) : s
      dir = s.startsWith('-') ? 'desc' : 'asc'
    } else if (s !== null && typeof s === 'object') {
      field = (s as Record<string, unknown>).field
      dir = (s as Record<string, unknown>).dir ?? 'asc'
    }
    if (!isValidFieldPath(field))
      return { ok: false, message: `invalid sort field ${JSON.stringify(field)}` }
    if (dir !== 'asc' && dir !== 'desc')
      return { ok: false, message: `sort dir must be 'asc' or 'desc'` }
    out.push({ field, dir })
  }
  return { ok: true, value: out }
}

function checkScalar(v: unknown, where: string): string | null {
  return isScalar(v) ? null : `${where} must be null, a boolean, a finite number or a string`
}

export function normalizeFilters(filters: unknown): QueryCheck<Filters> {
  if (filters === undefined || filters === null) return { ok: true, value: {} }
  if (typeof filters !== 'object' || Array.isArray(filters))
    return { ok: false, message: 'filters must be an object' }
  const entries = Object.entries(filters)
  if (entries.length > MAX_FILTERS)
    return { ok: false, message: `more than ${MAX_FILTERS} filters` }
  const out: Filters = {}
  for (const [field, cond] of entries) {
    if (!isValidFieldPath(field))
      return { ok: false, message: `invalid filter field ${JSON.stringify(field)}` }
    if (cond === null || typeof cond !== 'object') {
      const err = checkScalar(cond, `filter ${field}`)
      if (err) return { ok: false, message: err }
      out[field] = cond as Scalar
      continue
    }
    if (Array.isArray(cond))
      return { ok: false, message: `filter ${field}: use { $in: [...] } for several values` }
    const ops: Record<string, unknown> = {}
    const keys = Object.keys(cond)
    if (keys.length === 0) return { ok: false, message: `filter ${field} has no operator` }
    for (const key of keys) {
      const operand = (cond as Record<string, unknown>)[key]
      if (!OPERATORS.has(key))
        return { ok: false, message: `filter ${field}: unknown operator ${JSON.stringify(key)}` }
      if (key === '$in' || key === '$nin') {
        if (!Array.isArray(operand) || operand.length > MAX_IN)
          return {
            ok: false,
            message: `filter ${field}: ${key} needs an array of at most ${MAX_IN}`,
          }
        for (const o of operand) {
          const err = checkScalar(o, `filter ${field} ${key}`)
          if (err) return { ok: false, message: err }
        }
        ops[key] = [...operand]
      } else if (key === '$eq' || key === '$ne') {
        const err = checkScalar(operand, `filter ${field} ${key}`)
        if (err) return { ok: false, message: err }
        ops[key] = operand
      } else {
        if (!(
          typeof operand === 'string' ||
          (typeof operand === 'number' && Number.isFinite(operand))
        ))
          return { ok: false, message: `filter ${field}: ${key} needs a number or a string` }
        ops[key] = operand
      }
    }
    out[field] = ops as FilterCondition
  }
  return { ok: true, value: out }
}

export interface NormalizeOptions {
  maxPageSize?: number
  defaultPageSize?: number
}

/** Validates and fills defaults: the single reading of a `ListQuery` for client and server. */
export function normalizeQuery(
  query: unknown,
  options: NormalizeOptions = {},
): QueryCheck<NormalizedQuery> {
  const maxPageSize = options.maxPageSize ?? MAX_PAGE_SIZE
  const defaultPageSize = Math.min(options.defaultPageSize ?? DEFAULT_PAGE_SIZE, maxPageSize)
  if (query === undefined || query === null) query = {}
  if (typeof query !== 'object' || Array.isArray(query))
    return { ok: false, message: 'query must be an object' }
  const q = query as ListQuery
  const page = q.page ?? 1
  if (!Number.isSafeInteger(page) || page < 1)
    return { ok: false, message: 'page must be an integer ≥ 1' }
  const pageSize = q.pageSize ?? defaultPageSize
  if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > maxPageSize)
    return { ok: false, message: `pageSize must be an integer from 1 to ${maxPageSize}` }
  const sort = normalizeSort(q.sort)
  if (!sort.ok) return sort
  const filters = normalizeFilters(q.filters)
  if (!filters.ok) return filters
  return { ok: true, value: { page, pageSize, sort: sort.value, filters: filters.value } }
}

/** Reference evaluation over an in-memory array: filter, sort, page. */
export function applyQuery(
  items: Iterable<Item>,
  query: NormalizedQuery,
): { items: Item[]; total: number } {
  const match = compileFilter(query.filters)
  const all: Item[] = []
  for (const item of items) if (match(item)) all.push(item)
  all.sort(compileComparator(query.sort))
  const start = (query.page - 1) * query.pageSize
  return { items: all.slice(start, start + query.pageSize), total: all.length }
}

/** A stable string key for a normalized query (used to share identical live queries). */
export function queryKey(query: NormalizedQuery): string {
  return JSON.stringify([query.page, query.pageSize, query.sort, sortKeys(query.filters)])
}

function sortKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(value).sort())
    out[k] = sortKeys((value as Record<string, unknown>)[k])
  return out
}
