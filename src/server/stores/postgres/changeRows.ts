import type { Item } from '../../../protocol/index.js'
import type { ChangeRecord } from '../Store.js'
import type { Row } from './PgConnector.js'

// `seq::text` keeps the output name `seq`: ORDER BY must name `changes.seq`, or it sorts the text.
export const CHANGE_COLUMNS =
  'collection, seq::text, type, id, version::text, item, prev, mutation_id, client_id, origin'

/** A `changes` row (or a `sequence()` row) as the change record feeds deliver. */
export function toChange(r: Row): ChangeRecord {
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
  if (r.origin) change.origin = r.origin as string
  return change
}
