import { normalizeQuery, LivecrudError, type ListResult } from '../../protocol/index.js'
import { FORBIDDEN_KEYS, isPlainObject, validateCollection, validateId } from '../validate.js'
import type { Handler } from './context.js'

/** GET (collection, id) → the item the user may see, or null (missing and unreadable look alike). */
export const handleGet: Handler = async (ctx, [rawCollection, rawId]) => {
  const collection = validateCollection(rawCollection)
  const id = validateId(rawId)
  const { conn, policy } = ctx
  const stored = await ctx.store.get(collection, id)
  const viewer = conn.viewer(collection)
  const item = stored && viewer.read(stored) ? stored : null
  policy.authorize({ user: conn.user, action: 'GET', collection, id, item })
  return { result: item ? viewer.view(item) : null }
}

/** LIST (collection, query?) → one page; the user's read scope is ANDed into the filters. */
export const handleList: Handler = async (ctx, [rawCollection, rawQuery]) => {
  const collection = validateCollection(rawCollection)
  rejectPrototypeFields(rawQuery)
  const checked = normalizeQuery(rawQuery, { maxPageSize: ctx.limits.maxPageSize })
  if (!checked.ok) throw new LivecrudError('BAD_REQUEST', checked.message)
  const query = checked.value
  for (const s of query.sort) rejectField(s.field)
  const { conn, policy } = ctx
  policy.checkQuery(collection, query)
  policy.authorize({ user: conn.user, action: 'LIST', collection, query })
  const scope = policy.scope(conn.user, collection)
  const page = await ctx.store.list(collection, query, scope ?? undefined)
  const viewer = conn.viewer(collection)
  // The scope already restricted the rows; the read check guards against a canRead stricter than it.
  const items = page.items.filter((item) => viewer.read(item)).map((item) => viewer.view(item))
  const result: ListResult = {
    items,
    total: page.total,
    page: query.page,
    pageSize: query.pageSize,
    seq: page.seq,
  }
  return { result }
}

function rejectField(field: string): void {
  if (field.split('.').some((part) => FORBIDDEN_KEYS.has(part)))
    throw new LivecrudError('BAD_REQUEST', `field ${JSON.stringify(field)} is not allowed`)
}

/** Checked before normalizing, which would turn a `__proto__` filter key into a prototype. */
function rejectPrototypeFields(query: unknown): void {
  if (!isPlainObject(query) || !isPlainObject(query.filters)) return
  for (const field of Object.keys(query.filters)) rejectField(field)
}
