import { LivecrudError } from '../../../protocol/index.js'
import type { PgConnector, Queryable } from './PgConnector.js'

/**
 * The schema's format: bumped with every change to the tables or functions below, so a process
 * starting on an up-to-date schema runs no DDL at all. (DDL next to running writers is what can
 * deadlock: `CREATE INDEX IF NOT EXISTS` takes a share lock on its table even when the index exists.)
 */
export const SCHEMA_FORMAT = 3

/** Schema names are spliced into SQL as identifiers (they cannot be parameters), so they are whitelisted. */
export const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,39}$/

export function checkSchemaName(schema: string): string {
  if (!SCHEMA_PATTERN.test(schema))
    throw new LivecrudError('BAD_REQUEST', `invalid schema name ${JSON.stringify(schema)}`)
  return schema
}

/** The NOTIFY channel of one schema: every store on that schema listens to it. */
export function channelName(schema: string): string {
  return `livecrud_${checkSchemaName(schema)}`
}

/** SQLSTATE `write_item` raises when the item moved since it was read: the write starts over. */
export const ITEM_MOVED = 'LC001'

/**
 * The tables and functions of one livecrud schema.
 *
 * - `items` keeps tombstones (`deleted`, `data` null) so a re-created id continues its version line.
 *   `data` holds the whole item, `id` and `_version` included, so filters and sort on them need no
 *   special case.
 * - `changes` is the change log. Writers append rows with `seq` NULL and no shared lock; the
 *   sequencer (`sequence`) numbers committed rows afterwards, in `pos` order, under a per-collection
 *   advisory lock. Two writes of one item are ordered by the item's row lock, so the later one takes
 *   its `pos` after the earlier committed, and any snapshot that sees it sees the earlier one too:
 *   seqs follow commit order per item and causal order overall, and a late committer is numbered
 *   when it commits instead of being skipped. `collections.seq` is the numbered head.
 * - `mutations` remembers the answer to every (collection, origin, mutationId): the result of a
 *   write, a no-op, or a refusal (`error`). The row is claimed first in the writing transaction, so
 *   a twin attempt of the same mutation waits for the first and then reads its answer.
 * - `versions` holds the versions of rows of table-backed collections that have no version column.
 */
export function schemaSql(schema: string): string {
  const s = `"${checkSchemaName(schema)}"`
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
DO $$ BEGIN
  -- The first format numbered changes inside the writing transaction: its log and remembered
  -- mutations are dropped (clients with an older cursor get a reset, as after any retention overrun).
  IF EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = '${schema}' AND table_name = 'changes')
     AND NOT EXISTS (SELECT 1 FROM information_schema.columns
                     WHERE table_schema = '${schema}' AND table_name = 'changes' AND column_name = 'pos') THEN
    DROP TABLE ${s}.changes;
    DROP TABLE IF EXISTS ${s}.mutations;
  END IF;
END $$;
CREATE TABLE IF NOT EXISTS ${s}.collections (
  collection text PRIMARY KEY,
  seq bigint NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS ${s}.items (
  collection text NOT NULL,
  id text NOT NULL,
  data jsonb,
  version bigint NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  PRIMARY KEY (collection, id)
);
CREATE TABLE IF NOT EXISTS ${s}.changes (
  pos bigserial PRIMARY KEY,
  collection text NOT NULL,
  seq bigint,
  type text NOT NULL,
  id text NOT NULL,
  version bigint NOT NULL,
  item jsonb,
  prev jsonb,
  mutation_id text,
  client_id text,
  origin text
);
CREATE UNIQUE INDEX IF NOT EXISTS changes_seq ON ${s}.changes (collection, seq);
CREATE INDEX IF NOT EXISTS changes_pending ON ${s}.changes (collection, pos) WHERE seq IS NULL;
CREATE TABLE IF NOT EXISTS ${s}.mutations (
  n bigserial,
  collection text NOT NULL,
  origin text NOT NULL,
  mutation_id text NOT NULL,
  pos bigint,
  result jsonb,
  item jsonb,
  error jsonb,
  seq bigint,
  version bigint NOT NULL,
  PRIMARY KEY (collection, origin, mutation_id)
);
CREATE INDEX IF NOT EXISTS mutations_age ON ${s}.mutations (collection, n);
CREATE TABLE IF NOT EXISTS ${s}.format (one boolean PRIMARY KEY DEFAULT true CHECK (one), version int NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.versions (
  collection text NOT NULL,
  id text NOT NULL,
  version bigint NOT NULL,
  PRIMARY KEY (collection, id)
);

DROP FUNCTION IF EXISTS ${s}.write_item(text, text, text, text, text, bigint, text, jsonb, jsonb, jsonb, jsonb);
-- One write of a JSONB collection, in one statement: claim the mutation, compare-and-set the item
-- on the version the caller read (else ${ITEM_MOVED}: read again), write item and change (seq NULL),
-- store the answer. p_mode: put | delete | none | refuse.
CREATE OR REPLACE FUNCTION ${s}.write_item(
  p_collection text, p_id text, p_origin text, p_mutation text, p_client text, p_read bigint,
  p_mode text, p_item jsonb, p_prev jsonb, p_result jsonb, p_error jsonb, p_number boolean)
RETURNS TABLE (status text, pos bigint, result jsonb, item jsonb, error jsonb, seq bigint, version bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_version bigint;
  v_pos bigint;
BEGIN
  INSERT INTO ${s}.mutations AS m (collection, origin, mutation_id, version)
    VALUES (p_collection, p_origin, p_mutation, p_read) ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    -- A twin attempt decided first (its claim made this insert wait for its commit).
    RETURN QUERY SELECT 'dup'::text, m.pos, m.result, m.item, m.error, m.seq, m.version
      FROM ${s}.mutations m
      WHERE m.collection = p_collection AND m.origin = p_origin AND m.mutation_id = p_mutation;
    RETURN;
  END IF;
  SELECT it.version INTO v_version FROM ${s}.items it
    WHERE it.collection = p_collection AND it.id = p_id FOR UPDATE;
  IF COALESCE(v_version, 0) <> p_read THEN
    RAISE EXCEPTION 'item moved' USING ERRCODE = '${ITEM_MOVED}';
  END IF;
  IF p_mode IN ('none', 'refuse') THEN
    UPDATE ${s}.mutations m SET result = p_result, item = p_prev, error = p_error,
        seq = (SELECT c.seq FROM ${s}.collections c WHERE c.collection = p_collection)
      WHERE m.collection = p_collection AND m.origin = p_origin AND m.mutation_id = p_mutation;
    RETURN QUERY SELECT 'ok'::text, NULL::bigint, p_result, p_prev, p_error,
      (SELECT c.seq FROM ${s}.collections c WHERE c.collection = p_collection), p_read;
    RETURN;
  END IF;
  IF v_version IS NULL THEN
    IF p_mode <> 'put' THEN RAISE EXCEPTION 'item moved' USING ERRCODE = '${ITEM_MOVED}'; END IF;
    INSERT INTO ${s}.items (collection, id, data, version) VALUES (p_collection, p_id, p_item, 1)
      ON CONFLICT DO NOTHING;
    -- Another first write of this id committed meanwhile.
    IF NOT FOUND THEN RAISE EXCEPTION 'item moved' USING ERRCODE = '${ITEM_MOVED}'; END IF;
    v_version := 1;
  ELSE
    v_version := v_version + 1;
    UPDATE ${s}.items SET data = p_item, version = v_version, deleted = (p_mode = 'delete')
      WHERE collection = p_collection AND id = p_id;
  END IF;
  INSERT INTO ${s}.changes (collection, type, id, version, item, prev, mutation_id, client_id, origin)
    VALUES (p_collection,
            CASE WHEN p_mode = 'delete' THEN 'REMOVED' WHEN p_prev IS NULL THEN 'ADDED' ELSE 'CHANGED' END,
            p_id, v_version, p_item, p_prev, p_mutation, p_client, p_origin)
    RETURNING changes.pos INTO v_pos;
  UPDATE ${s}.mutations m SET pos = v_pos, result = p_result, item = p_item, version = v_version
    WHERE m.collection = p_collection AND m.origin = p_origin AND m.mutation_id = p_mutation;
  IF p_number THEN
    -- One session, no concurrent writer (PGlite): numbering inside the write holds no lock anyone
    -- waits for, and saves a transaction.
    RETURN QUERY SELECT 'ok'::text, v_pos, p_result, p_item, NULL::jsonb,
      (SELECT n.seq FROM ${s}.sequence(ARRAY[p_collection], 1000) n WHERE n.pos = v_pos), v_version;
    RETURN;
  END IF;
  RETURN QUERY SELECT 'ok'::text, v_pos, p_result, p_item, NULL::jsonb, NULL::bigint, v_version;
END $fn$;

DROP FUNCTION IF EXISTS ${s}.sequence(text, int);
-- Numbers up to p_limit committed, unnumbered changes of each collection (see the comment on
-- changes) and sends one NOTIFY per collection with its new head, in one transaction and one
-- statement: one WAL flush for every write that committed meanwhile, whatever collections they
-- wrote. Locks are taken in collection order, so sequencers of several processes cannot deadlock.
-- Statements of a VOLATILE function each take a fresh snapshot: the rows read after the locks
-- include all their previous holders numbered.
CREATE OR REPLACE FUNCTION ${s}.sequence(p_collections text[], p_limit int)
RETURNS TABLE (collection text, pos bigint, seq bigint, type text, id text, version bigint,
               item jsonb, prev jsonb, mutation_id text, client_id text, origin text)
LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('livecrud:${schema}'), hashtext(x))
    FROM (SELECT DISTINCT x FROM unnest(p_collections) x ORDER BY x) sorted;
  -- One statement for every collection, after the locks: a fresh snapshot that sees everything
  -- the locks' previous holders numbered.
  RETURN QUERY
  WITH heads AS (
    SELECT c.collection, c.seq FROM ${s}.collections c WHERE c.collection = ANY(p_collections)
  ), pending AS (
    SELECT ch.pos, ch.collection,
           row_number() OVER (PARTITION BY ch.collection ORDER BY ch.pos) AS rn
    FROM ${s}.changes ch WHERE ch.collection = ANY(p_collections) AND ch.seq IS NULL
  ), numbered AS (
    UPDATE ${s}.changes ch SET seq = h.seq + p.rn
    FROM pending p JOIN heads h ON h.collection = p.collection
    WHERE ch.pos = p.pos AND p.rn <= p_limit
    RETURNING ch.collection, ch.pos, ch.seq, ch.type, ch.id, ch.version, ch.item, ch.prev,
              ch.mutation_id, ch.client_id, ch.origin
  ), marked AS (
    UPDATE ${s}.mutations m SET seq = n.seq FROM numbered n
    WHERE n.mutation_id IS NOT NULL AND m.collection = n.collection AND m.origin = n.origin
      AND m.mutation_id = n.mutation_id
  ), tops AS (
    SELECT n.collection, max(n.seq) AS head FROM numbered n GROUP BY n.collection
  ), bumped AS (
    UPDATE ${s}.collections c SET seq = t.head FROM tops t WHERE c.collection = t.collection
    RETURNING c.collection, c.seq
  ), notified AS (
    SELECT pg_notify('${channelName(schema)}', b.seq::text || ':' || b.collection) AS n FROM bumped b
  )
  SELECT n.collection, n.pos, n.seq, n.type, n.id, n.version, n.item, n.prev, n.mutation_id,
         n.client_id, n.origin
  FROM numbered n
  WHERE (SELECT count(*) FROM notified) >= 0
  ORDER BY n.collection, n.seq;
END $fn$;
INSERT INTO ${s}.format (version) VALUES (${SCHEMA_FORMAT})
  ON CONFLICT (one) DO UPDATE SET version = EXCLUDED.version;
`
}

/**
 * Creates or upgrades the schema unless it is already at `SCHEMA_FORMAT`. Processes starting together
 * serialise on an advisory lock; a deadlock with writers of an older format is retried.
 */
export async function ensureSchema(db: PgConnector, schema: string): Promise<void> {
  const table = `"${checkSchemaName(schema)}".format`
  // No error inside the transaction below: it would abort it.
  const current = async (q: Queryable) => {
    const [present] = await q.query('SELECT to_regclass($1) IS NOT NULL AS present', [table])
    if (!present?.present) return 0
    const rows = await q.query(`SELECT version FROM ${table}`)
    return Number(rows[0]?.version ?? 0)
  }
  for (let attempt = 1; (await current(db)) !== SCHEMA_FORMAT; attempt++) {
    try {
      await db.transaction(async (tx) => {
        // Concurrent CREATE … IF NOT EXISTS from two processes can still collide in the catalog.
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`livecrud:${schema}`])
        if ((await current(tx)) !== SCHEMA_FORMAT) await tx.query(schemaSql(schema))
      })
    } catch (err) {
      if ((err as { code?: unknown }).code !== '40P01' || attempt >= 5) throw err
    }
  }
}
