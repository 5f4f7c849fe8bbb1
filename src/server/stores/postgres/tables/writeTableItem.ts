import { LivecrudError, type Item, type WireError } from '../../../../protocol/index.js'
import { requestOrigin } from '../../../origin.js'
import { judge, refusalError } from '../../decisions.js'
import type { ChangeRecord, WriteRequest, WriteResult } from '../../Store.js'
import type { PgConnector, Row } from '../PgConnector.js'
import { ITEM_MOVED } from '../postgresSchema.js'
import { quoteIdent } from './config.js'
import { tableWriteError } from './pgErrors.js'
import type { TableCollection } from './TableCollection.js'
import type { Statement } from './tableWrite.js'

export interface TableWriteContext {
  db: PgConnector
  /** The seq of a committed change at `pos` (the sequencer). */
  seqOf(collection: string, pos: number): Promise<number>
}

/** The item moved between the read and the write (or serialization, deadlock): read again. */
const RETRY = new Set([ITEM_MOVED, '40001', '40P01'])
const MAX_ATTEMPTS = 50

class Moved extends Error {
  code = ITEM_MOVED
}

/**
 * livecrud's own write to a mapped table (write path v2): one read (the row with its version and
 * the remembered answer), `decide` in JavaScript, then one transaction: claim the mutation (a twin
 * waits here, then answers with the first attempt's answer), compare-and-set on the row's version
 * (row lock), the `livecrud.*` settings, a plain INSERT / UPDATE / DELETE with real column values —
 * the row trigger appends the change (seq NULL) — and the answer. The sequencer then numbers it.
 * A violated table constraint is a remembered refusal (BAD_REQUEST / CONFLICT): nothing is written.
 */
export async function writeTableItem(
  ctx: TableWriteContext,
  table: TableCollection,
  request: WriteRequest,
): Promise<WriteResult> {
  const { collection, id, mutationId } = request
  const origin = requestOrigin(request)
  const s = quoteIdent(table.schema)
  const rowById = table.readSql(id, '$5')
  for (let attempt = 1; ; attempt++) {
    try {
      const r = (
        await ctx.db.query(
          `SELECT ${rowById ? `(${rowById.text})` : 'NULL::jsonb'} AS data,
             vv.version::text AS tomb, m.pos::text AS pos, m.result, m.item, m.error,
             m.seq::text AS seq, m.version::text AS version, m.mutation_id IS NOT NULL AS seen
           FROM (SELECT 1) one
           LEFT JOIN ${s}.versions vv ON vv.collection = $1 AND vv.id = $2
           LEFT JOIN ${s}.mutations m ON m.collection = $1 AND m.origin = $3 AND m.mutation_id = $4`,
          rowById ? [collection, id, origin, mutationId, id] : [collection, id, origin, mutationId],
        )
      )[0]!
      if (r.seen) return await answer(ctx, collection, r)
      const current = (r.data as Item | null) ?? null
      const read = current ? current._version : r.tomb === null ? 0 : Number(r.tomb)
      const judged = judge(request, current)
      let refusal = judged.refusal
      const decision = judged.decision
      if (decision?.action === 'delete' && !current)
        throw new LivecrudError('NOT_FOUND', `no item ${id} in ${collection}`)
      if (!refusal && decision && decision.action !== 'none' && !rowById)
        refusal = new LivecrudError(
          'BAD_REQUEST',
          `id ${id} cannot be a key of ${table.shape.name.schema}.${table.shape.name.table} (column ${table.shape.key.column} is ${table.shape.key.codec.sqlType})`,
        ).toWire()
      let dml: Statement | null = null
      if (!refusal && decision && decision.action !== 'none') {
        // A value the column cannot take is refused like a violated constraint (and remembered).
        try {
          dml = table.writeSql(id, decision, current)
        } catch (err) {
          if (!(err instanceof LivecrudError)) throw err
          refusal = err.toWire()
        }
      }
      const out = await ctx.db.transaction(async (tx) => {
        // The claim, and the settings the row trigger records (transaction-local), in one statement.
        const claimed = await tx.query(
          `WITH claim AS (INSERT INTO ${s}.mutations (collection, origin, mutation_id, version)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1)
           SELECT (SELECT count(*) FROM claim)::int AS claimed,
             set_config('livecrud.mutation_id', $3, true), set_config('livecrud.client_id', $5, true),
             set_config('livecrud.origin', $2, true)`,
          [collection, origin, mutationId, read, request.clientId ?? ''],
        )
        if (claimed[0]!.claimed === 0) {
          const twin = await tx.query(
            `SELECT pos::text, result, item, error, seq::text, version::text FROM ${s}.mutations
             WHERE collection = $1 AND origin = $2 AND mutation_id = $3`,
            [collection, origin, mutationId],
          )
          return { dup: twin[0]! }
        }
        const lock = table.lockSql(id)
        if (lock) {
          // Lock the row first, then read its version in a fresh statement: a joined read under
          // FOR UPDATE re-checks the row after a concurrent writer but keeps the version it joined.
          const locked = await tx.query(lock.text, lock.values)
          const version = table.versionSql(id)!
          const now = locked[0]
            ? Number((await tx.query(version.text, version.values))[0]?.version)
            : null
          if (now !== (current ? read : null)) throw new Moved('item moved')
        }
        let failure = refusal
        let wrote = false
        if (dml) {
          // A savepoint keeps the claim when the table refuses the values: the refusal is remembered.
          await tx.query('SAVEPOINT lc_write')
          try {
            await tx.query(dml.text, dml.values)
            wrote = true
          } catch (err) {
            const code = (err as { code?: unknown }).code
            // A first write of this id raced another: read again.
            if (code === '23505' && !current && isKeyConstraint(err, table))
              throw new Moved('item moved')
            const mapped = tableWriteError(err, (c) => table.fieldOf(c))
            if (!mapped) throw err
            await tx.query('ROLLBACK TO SAVEPOINT lc_write')
            failure = mapped.toWire()
          }
        }
        if (wrote) {
          // The change the trigger appended (its position is in `livecrud.pos`) is the answer.
          const done = await tx.query(
            `UPDATE ${s}.mutations m SET pos = ch.pos, item = ch.item, version = ch.version,
               result = CASE WHEN ch.type = 'REMOVED' THEN 'true'::jsonb ELSE ch.item END
             FROM ${s}.changes ch
             WHERE ch.pos = NULLIF(current_setting('livecrud.pos', true), '')::bigint
               AND m.collection = $1 AND m.origin = $2 AND m.mutation_id = $3
             RETURNING ch.collection, ch.type, ch.id, ch.version::text, ch.item, ch.prev, ch.mutation_id, ch.client_id, ch.origin, ch.pos::text`,
            [collection, origin, mutationId],
          )
          if (done[0]) return { change: done[0] }
          // An INSERT or DELETE always has a change row: without one, nobody captures this table's
          // changes (its triggers were dropped or disabled). Roll back rather than write unheard.
          if (!current || decision?.action === 'delete')
            throw new LivecrudError(
              'INTERNAL',
              `no change was captured on ${table.shape.name.schema}.${table.shape.name.table}: are its livecrud triggers installed and enabled?`,
            )
          // Else the UPDATE changed no mapped value, so the trigger wrote nothing.
        }
        // No change: a refusal, a no-op decision, or an UPDATE that changed no mapped value.
        const result = failure ? null : decision?.action === 'none' ? decision.result : current
        const head = await tx.query(
          `UPDATE ${s}.mutations m SET result = $4::jsonb, item = $5::jsonb, error = $6::jsonb,
             seq = (SELECT c.seq FROM ${s}.collections c WHERE c.collection = $1)
           WHERE m.collection = $1 AND m.origin = $2 AND m.mutation_id = $3 RETURNING m.seq::text`,
          [
            collection,
            origin,
            mutationId,
            JSON.stringify(result),
            JSON.stringify(current),
            failure ? JSON.stringify(failure) : null,
          ],
        )
        return { none: { failure, result, seq: Number(head[0]?.seq ?? 0) } }
      })
      if (out.dup) return await answer(ctx, collection, out.dup)
      if (out.none) {
        if (out.none.failure) throw refusalError(out.none.failure)
        return {
          item: current,
          result: out.none.result as Item | boolean | null,
          change: null,
          duplicate: false,
          seq: out.none.seq,
          version: read,
        }
      }
      const c = out.change!
      const seq = await ctx.seqOf(collection, Number(c.pos))
      const change: ChangeRecord = {
        collection,
        seq,
        type: c.type as ChangeRecord['type'],
        id,
        version: Number(c.version),
        item: (c.item as Item | null) ?? null,
        prev: (c.prev as Item | null) ?? null,
        origin,
      }
      if (c.mutation_id) change.mutationId = c.mutation_id as string
      if (c.client_id) change.clientId = c.client_id as string
      const result: Item | boolean = change.type === 'REMOVED' ? true : change.item!
      return { item: change.item, result, change, duplicate: false, seq, version: change.version }
    } catch (err) {
      const code = (err as { code?: unknown }).code
      if (attempt < MAX_ATTEMPTS && typeof code === 'string' && RETRY.has(code)) continue
      if (typeof code === 'string' && RETRY.has(code))
        throw new LivecrudError(
          'CONFLICT',
          `item ${id} in ${collection} kept changing; write not applied`,
        )
      throw err
    }
  }
}

function isKeyConstraint(err: unknown, table: TableCollection): boolean {
  const detail = (err as { detail?: string }).detail ?? ''
  return detail.startsWith(`Key (${table.shape.key.column})=`)
}

/** The remembered answer of a mutation: its result, or its refusal again. */
async function answer(ctx: TableWriteContext, collection: string, r: Row): Promise<WriteResult> {
  if (r.error) throw refusalError(r.error as WireError)
  let seq = r.seq
  if (seq === null && r.pos !== null) seq = await ctx.seqOf(collection, Number(r.pos))
  return {
    item: (r.item as Item | null) ?? null,
    result: r.result as Item | boolean | null,
    change: null,
    duplicate: true,
    seq: Number(seq ?? 0),
    version: Number(r.version),
  }
}
