import { LivecrudError } from '../../../protocol/index.js'

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

/**
 * The tables of one livecrud schema.
 * - `collections.seq` is the commit-ordered counter: writers bump it with `UPDATE … RETURNING` inside
 *   their transaction, so the row lock serialises them and seq N+1 can only commit after seq N.
 * - `items` keeps tombstones (`deleted`, `data` null) so a re-created id continues its version line.
 *   `data` holds the whole item, `id` and `_version` included, so filters and sort on them need no
 *   special case.
 * - `changes` is the change log (bounded: pruned by the write path), read by feeds and catch-up.
 * - `mutations` remembers results per (collection, client, mutationId) for idempotent retries.
 */
export function schemaSql(schema: string): string {
  const s = `"${checkSchemaName(schema)}"`
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
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
  collection text NOT NULL,
  seq bigint NOT NULL,
  type text NOT NULL,
  id text NOT NULL,
  version bigint NOT NULL,
  item jsonb,
  prev jsonb,
  mutation_id text,
  client_id text,
  PRIMARY KEY (collection, seq)
);
CREATE TABLE IF NOT EXISTS ${s}.mutations (
  n bigserial,
  collection text NOT NULL,
  client_id text NOT NULL,
  mutation_id text NOT NULL,
  result jsonb,
  item jsonb,
  seq bigint NOT NULL,
  version bigint NOT NULL,
  PRIMARY KEY (collection, client_id, mutation_id)
);
CREATE INDEX IF NOT EXISTS mutations_age ON ${s}.mutations (collection, n);
`
}
