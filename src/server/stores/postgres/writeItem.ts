import { LivecrudError, type Item, type WireError } from '../../../protocol/index.js'
import { requestOrigin } from '../../origin.js'
import { judge, refusalError } from '../decisions.js'
import type { ChangeRecord, WriteRequest, WriteResult } from '../Store.js'
import type { Queryable, Row } from './PgConnector.js'
import { ITEM_MOVED } from './postgresSchema.js'

/** What a write of a JSONB collection needs from its store. */
export interface WriteItemContext {
  db: Queryable
  /** The quoted schema, e.g. `"livecrud"`. */
  s: string
  /** The seq of a committed change at `pos` (numbered by this process' sequencer or another's). */
  seqOf(collection: string, pos: number): Promise<number>
  /**
   * Number the change inside the write's own transaction. Only for a database with one session and
   * no other writer (PGlite), where that holds no lock anyone waits for.
   */
  numberInline: boolean
}

/** What the read answers for an id with no row and a mutation never seen. */
const NOTHING: Row = { data: null, item_version: null, deleted: null, seen: false }

/** Conflicts a write starts over from the read for: the item moved, serialization, deadlock. */
const RETRY = new Set([ITEM_MOVED, '40001', '40P01', '23505'])
/** Lost sessions: the outcome is unknown, and the claimed mutationId makes the retry find it. */
const RECONNECT = /^(08|57P0)/
const MAX_ATTEMPTS = 50

function num(v: unknown): number {
  return Number(v)
}

/**
 * One write of a JSONB collection: one read (the item and the remembered answer, if any), `decide`
 * in JavaScript, one `write_item` call (claim, compare-and-set, change row, answer — one
 * transaction, no lock but the item's), then the seq from the sequencer. Three round trips, and
 * no lock is held across another writer's commit unless they write the same item.
 */
export async function writeItem(
  ctx: WriteItemContext,
  request: WriteRequest,
): Promise<WriteResult> {
  const { collection, id, mutationId, clientId } = request
  const origin = requestOrigin(request)
  const { db, s } = ctx
  for (let attempt = 1; ; attempt++) {
    try {
      // A create (POST) of a new id, the common case of a burst, skips the read: it is decided on
      // "no item" and committed in one round trip; if the id exists after all, the compare-and-set
      // refuses (ITEM_MOVED) and the next attempt reads.
      const speculate = attempt === 1 && request.expectsNoItem === true
      const rows = speculate
        ? [NOTHING]
        : await db.query(
            `SELECT it.data, it.version::text AS item_version, it.deleted, m.pos::text AS pos, m.result,
           m.item, m.error, m.seq::text AS seq, m.version::text AS version,
           m.mutation_id IS NOT NULL AS seen
         FROM (SELECT 1) one
         LEFT JOIN ${s}.items it ON it.collection = $1 AND it.id = $2
         LEFT JOIN ${s}.mutations m ON m.collection = $1 AND m.origin = $3 AND m.mutation_id = $4`,
            [collection, id, origin, mutationId],
            `lc_read_${s.slice(1, -1)}`,
          )
      const r = rows[0]!
      if (r.seen) return await answer(ctx, collection, r)
      const current = r.data && !r.deleted ? (r.data as Item) : null
      const read = r.item_version === null ? 0 : num(r.item_version)
      const judged = judge(request, current)
      const decision = judged.decision
      let mode: 'put' | 'delete' | 'none' | 'refuse'
      let item: Item | null = null
      let result: unknown = null
      if (!decision) mode = 'refuse'
      else if (decision.action === 'none') {
        mode = 'none'
        result = decision.result
      } else if (decision.action === 'put') {
        mode = 'put'
        item = { ...decision.item, id, _version: read + 1 } as Item
        result = item
      } else {
        if (!current) throw new LivecrudError('NOT_FOUND', `no item ${id} in ${collection}`)
        mode = 'delete'
        result = true
      }
      const out = await db.query(
        `SELECT * FROM ${s}.write_item($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10::jsonb, $11::jsonb, $12)`,
        [
          collection,
          id,
          origin,
          mutationId,
          clientId ?? null,
          read,
          mode,
          item === null ? null : JSON.stringify(item),
          current === null ? null : JSON.stringify(current),
          JSON.stringify(result),
          judged.refusal ? JSON.stringify(judged.refusal) : null,
          ctx.numberInline,
        ],
        `lc_write_${s.slice(1, -1)}`,
      )
      const w = out[0]!
      if (w.status === 'dup') return await answer(ctx, collection, w)
      if (judged.refusal) throw refusalError(judged.refusal)
      if (mode === 'none')
        return {
          item: current,
          result: result as Item | boolean | null,
          change: null,
          duplicate: false,
          seq: num(w.seq ?? 0),
          version: read,
        }
      const version = num(w.version)
      const seq =
        w.seq !== null && w.seq !== undefined ? num(w.seq) : await ctx.seqOf(collection, num(w.pos))
      const change: ChangeRecord = {
        collection,
        seq,
        type: mode === 'delete' ? 'REMOVED' : current ? 'CHANGED' : 'ADDED',
        id,
        version,
        item,
        prev: current,
        origin,
      }
      if (mutationId) change.mutationId = mutationId
      if (clientId) change.clientId = clientId
      return { item, result: result as Item | boolean, change, duplicate: false, seq, version }
    } catch (err) {
      const code = (err as { code?: unknown }).code
      if (attempt < MAX_ATTEMPTS && typeof code === 'string' && RETRY.has(code)) continue
      if (
        attempt < 5 &&
        (isConnectionLoss(err) || (typeof code === 'string' && RECONNECT.test(code)))
      ) {
        await new Promise((r) => setTimeout(r, 20 * attempt))
        continue
      }
      // Data exceptions: e.g. text PostgreSQL cannot hold (U+0000, lone surrogates).
      if (typeof code === 'string' && code.startsWith('22'))
        throw new LivecrudError('BAD_REQUEST', `item cannot be stored: ${(err as Error).message}`)
      if (typeof code === 'string' && RETRY.has(code))
        throw new LivecrudError(
          'CONFLICT',
          `item ${id} in ${collection} kept changing; write not applied`,
        )
      throw err
    }
  }
}

function isConnectionLoss(err: unknown): boolean {
  const message = (err as Error | undefined)?.message ?? ''
  return /Connection terminated|ECONNRESET|ECONNREFUSED|EPIPE|socket hang up/i.test(message)
}

/** The remembered answer of a mutation (a `mutations` row): its result, or its refusal again. */
async function answer(ctx: WriteItemContext, collection: string, r: Row): Promise<WriteResult> {
  if (r.error) throw refusalError(r.error as WireError)
  let seq = r.seq
  // The first attempt committed but is not numbered yet (it may be being numbered right now).
  if (seq === null && r.pos !== null) seq = await ctx.seqOf(collection, num(r.pos))
  return {
    item: (r.item as Item | null) ?? null,
    result: r.result as Item | boolean | null,
    change: null,
    duplicate: true,
    seq: num(seq ?? 0),
    version: num(r.version),
  }
}
