import { createHash } from 'node:crypto'
import { quoteIdent, quoteLiteral } from './config.js'
import type { TableShape } from './introspect.js'

/** The names of one collection's functions and triggers (≤ 63 bytes: long names are hashed). */
export function objectNames(schema: string, collection: string) {
  const short = (prefix: string) => {
    const name = `${prefix}_${collection}`
    return name.length <= 63
      ? name
      : `${prefix}_${createHash('sha1').update(collection).digest('hex').slice(0, 16)}`
  }
  const s = quoteIdent(schema)
  return {
    item: `${s}.${quoteIdent(short('lc_item'))}`,
    capture: `${s}.${quoteIdent(short('lc_capture'))}`,
    statement: `${s}.${quoteIdent(short('lc_statement'))}`,
    truncate: `${s}.${quoteIdent(short('lc_truncate'))}`,
    // Trigger names are per table; the schema in them lets two livecrud schemas map one table.
    rowTrigger: quoteIdent(`livecrud_${schema}_row`),
    notifyTrigger: quoteIdent(`livecrud_${schema}_notify`),
    truncateTrigger: quoteIdent(`livecrud_${schema}_truncate`),
  }
}

/** jsonb_build_object takes at most 100 arguments: long rows are built in pieces joined with `||`. */
function buildObject(pairs: [string, string][]): string {
  if (pairs.length === 0) return `'{}'::jsonb`
  const parts: string[] = []
  for (let i = 0; i < pairs.length; i += 40)
    parts.push(
      `jsonb_build_object(${pairs
        .slice(i, i + 40)
        .map(([k, v]) => `${quoteLiteral(k)}, ${v}`)
        .join(', ')})`,
    )
  return parts.join(' || ')
}

/** The item built from the raw row image `j` (an SQL jsonb expression) at version `v`. */
function itemBuild(shape: TableShape, j: string, v: string): string {
  const pairs: [string, string][] = [
    ['id', `${j} ->> ${quoteLiteral(shape.key.column)}`],
    ['_version', v],
  ]
  for (const c of shape.columns)
    pairs.push([c.field, c.codec.fromRaw(`(${j} -> ${quoteLiteral(c.column)})`)])
  return buildObject(pairs)
}

/**
 * The item of a row: `item(to_jsonb(row), version)`. Reads keys, never columns, so it keeps
 * working when a column is dropped (that field reads null until the server reinstalls).
 */
export function itemFunctionSql(schema: string, shape: TableShape): string {
  const names = objectNames(schema, shape.collection)
  return `CREATE OR REPLACE FUNCTION ${names.item}(j jsonb, v bigint) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $lc$
  SELECT CASE WHEN j IS NULL THEN NULL ELSE ${itemBuild(shape, 'j', 'v')} END
$lc$;`
}

/**
 * Appends a change row with `seq` NULL: the sequencer numbers it once committed (design:
 * `postgresSchema.ts`). No lock but the row's: outside writers of different rows never queue.
 */
function changeInsert(
  schema: string,
  shape: TableShape,
  type: string,
  id: string,
  item: string,
  prev: string,
): string {
  const s = quoteIdent(schema)
  const c = quoteLiteral(shape.collection)
  const cols = 'collection, type, id, version, item, prev, mutation_id, client_id, origin'
  const vals = [c, quoteLiteral(type), id, 'ver', item, prev, 'm_id', 'c_id', 'o_id']
  // livecrud's own write reads its change's position back; other writers need not pay for it.
  return `INSERT INTO ${s}.changes (${cols}) VALUES (${vals.join(', ')}) RETURNING pos INTO sq;
    IF m_id IS NOT NULL THEN PERFORM set_config('livecrud.pos', sq::text, true); END IF;`
}

function bump(schema: string, shape: TableShape, id: string, existed: boolean): string {
  // A row without a versions entry (there before the triggers) is at version 1.
  return `INSERT INTO ${quoteIdent(schema)}.versions AS v (collection, id, version)
      VALUES (${quoteLiteral(shape.collection)}, ${id}, ${existed ? 2 : 1})
      ON CONFLICT (collection, id) DO UPDATE SET version = v.version + 1 RETURNING version INTO ver;`
}

/**
 * "The row did not change for livecrud": the raw images are equal (cheap), or, when some columns
 * are left out of the mapping, the items are.
 */
function sameSql(item: string, shape: TableShape): string {
  return shape.complete ? 'j_new = j_old' : `${item}(j_new, 0) = ${item}(j_old, 0)`
}

/**
 * The change-capture DDL of one mapped table, idempotent (CREATE OR REPLACE): the item function,
 * a row trigger (AFTER INSERT/UPDATE/DELETE: version bump + one change row per row, before and
 * after images, the writing mutation from the `livecrud.*` settings), a statement trigger (one
 * NOTIFY pointer `'p:<collection>'` per statement — never the row, so the 8 000-byte payload limit
 * cannot fail a write; PostgreSQL folds identical ones per transaction) and a TRUNCATE trigger (one
 * `RESET` change). Every listening store numbers the rows on the pointer (the sequencer).
 */
export function installSql(schema: string, channel: string, shape: TableShape): string {
  const n = objectNames(schema, shape.collection)
  const s = quoteIdent(schema)
  const c = quoteLiteral(shape.collection)
  const key = quoteLiteral(shape.key.column)
  // Built inline (no function call per row); GET and LIST use the same expression as a function.
  const item = (j: string) => itemBuild(shape, j, 'ver')
  const prev = (j: string) => itemBuild(shape, j, 'ver - 1')
  const notify = `PERFORM pg_notify(${quoteLiteral(channel)}, ${quoteLiteral(`p:${shape.collection}`)});`
  const table = shape.name.sql
  return `
INSERT INTO ${s}.collections (collection) VALUES (${c}) ON CONFLICT DO NOTHING;
${itemFunctionSql(schema, shape)}
CREATE OR REPLACE FUNCTION ${n.capture}() RETURNS trigger LANGUAGE plpgsql AS $lc$
DECLARE
  j_new jsonb; j_old jsonb; id_new text; id_old text; ver bigint; sq bigint;
  c_id text; o_id text;
  -- Set (transaction-local) by livecrud's own writes only; NULL for every other writer.
  m_id text := NULLIF(current_setting('livecrud.mutation_id', true), '');
BEGIN
  IF m_id IS NOT NULL THEN
    c_id := NULLIF(current_setting('livecrud.client_id', true), '');
    o_id := NULLIF(current_setting('livecrud.origin', true), '');
  END IF;
  IF TG_OP <> 'DELETE' THEN j_new := to_jsonb(NEW); id_new := j_new ->> ${key}; END IF;
  IF TG_OP <> 'INSERT' THEN j_old := to_jsonb(OLD); id_old := j_old ->> ${key}; END IF;
  IF TG_OP = 'UPDATE' AND id_new IS NOT DISTINCT FROM id_old THEN
    -- Nothing livecrud maps changed (e.g. SET x = x, or an unmapped column): no change, no bump.
    IF ${sameSql(n.item, shape)} THEN RETURN NULL; END IF;
    ${bump(schema, shape, 'id_new', true)}
    ${changeInsert(schema, shape, 'CHANGED', 'id_new', item('j_new'), prev('j_old'))}
    RETURN NULL;
  END IF;
  -- DELETE, INSERT, or an UPDATE of the key: the old id is removed, the new one added.
  IF id_old IS NOT NULL THEN
    ${bump(schema, shape, 'id_old', true)}
    ${changeInsert(schema, shape, 'REMOVED', 'id_old', 'NULL', prev('j_old'))}
  END IF;
  IF id_new IS NOT NULL THEN
    ${bump(schema, shape, 'id_new', false)}
    ${changeInsert(schema, shape, 'ADDED', 'id_new', item('j_new'), 'NULL')}
  END IF;
  RETURN NULL;
END $lc$;
CREATE OR REPLACE FUNCTION ${n.statement}() RETURNS trigger LANGUAGE plpgsql AS $lc$
BEGIN
  ${notify}
  RETURN NULL;
END $lc$;
CREATE OR REPLACE FUNCTION ${n.truncate}() RETURNS trigger LANGUAGE plpgsql AS $lc$
DECLARE
  ver bigint := 0; sq bigint;
  m_id text := NULL; c_id text := NULL; o_id text := NULL;
BEGIN
  ${changeInsert(schema, shape, 'RESET', "''", 'NULL', 'NULL')}
  ${notify}
  RETURN NULL;
END $lc$;
CREATE OR REPLACE TRIGGER ${n.rowTrigger} AFTER INSERT OR UPDATE OR DELETE ON ${table}
  FOR EACH ROW EXECUTE FUNCTION ${n.capture}();
CREATE OR REPLACE TRIGGER ${n.truncateTrigger} AFTER TRUNCATE ON ${table}
  FOR EACH STATEMENT EXECUTE FUNCTION ${n.truncate}();
CREATE OR REPLACE TRIGGER ${n.notifyTrigger} AFTER INSERT OR UPDATE OR DELETE ON ${table}
  FOR EACH STATEMENT EXECUTE FUNCTION ${n.statement}();
`
}

/** Removes one collection's triggers and functions (the change log and versions stay). */
export function uninstallSql(
  schema: string,
  shape: { collection: string; name: { sql: string } },
): string {
  const n = objectNames(schema, shape.collection)
  const t = shape.name.sql
  return `
DROP TRIGGER IF EXISTS ${n.rowTrigger} ON ${t};
DROP TRIGGER IF EXISTS ${n.notifyTrigger} ON ${t};
DROP TRIGGER IF EXISTS ${n.truncateTrigger} ON ${t};
DROP FUNCTION IF EXISTS ${n.capture}();
DROP FUNCTION IF EXISTS ${n.statement}();
DROP FUNCTION IF EXISTS ${n.truncate}();
DROP FUNCTION IF EXISTS ${n.item}(jsonb, bigint);
`
}
