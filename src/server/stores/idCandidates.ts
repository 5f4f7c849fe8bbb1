import type { Filters, Id } from '../../protocol/index.js'

/**
 * The only ids a query's `id` condition lets through, or undefined when it does not narrow them (no
 * `id` filter, or only range / `$ne` / `$nin` ones). A store can then read just those items instead of
 * the whole collection — the resync refetch asks by `id: { $in: [...] }` — and still apply the whole
 * query to them. Ids are strings, so a non-string operand matches none.
 */
export function idCandidates(filters: Filters): Id[] | undefined {
  const cond = filters.id
  if (cond === undefined) return undefined
  if (cond === null || typeof cond !== 'object') return typeof cond === 'string' ? [cond] : []
  let ids: Id[] | undefined
  if (cond.$in !== undefined) ids = cond.$in.filter((v): v is Id => typeof v === 'string')
  if (cond.$eq !== undefined) {
    const eq = cond.$eq
    ids = typeof eq !== 'string' ? [] : ids === undefined || ids.includes(eq) ? [eq] : []
  }
  return ids === undefined ? undefined : [...new Set(ids)]
}
