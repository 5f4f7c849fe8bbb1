import pg from 'pg'

/** The PostgreSQL the e2e servers use (`E2E_PG_URL` overrides); each spec takes a schema of its own. */
export const PG_URL = process.env.E2E_PG_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/test'

export function uniqueSchema(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}`
}

/** A `--db` URL for the server: the same database, in `schema`. */
export function dbUrl(schema: string): string {
  return `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}
