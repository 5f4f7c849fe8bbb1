import { LivecrudError } from '../../protocol/index.js'
import { MemoryStore } from './MemoryStore.js'
import type { Store } from './Store.js'
import type { TablesOptions } from './postgres/tables/config.js'

export interface StoreUrlOptions {
  /** PostgreSQL / PGlite only: collections backed by existing tables (`--table tasks=public.tasks`). */
  tables?: TablesOptions
  /** PostgreSQL / PGlite only: install the tables' triggers at start-up (default true). */
  installTriggers?: boolean
}

/**
 * Opens the store a `--db` URL names:
 * - `memory` / `memory:` — the in-process store (data is lost on exit).
 * - `pglite:./dir` / `pglite:memory` — embedded PostgreSQL (PGlite), on disk or in memory.
 * - `postgres://user@host:port/db?schema=livecrud` — PostgreSQL (LISTEN/NOTIFY feed).
 * - `redis://host:port/db?prefix=livecrud:` — Redis (pub/sub feed).
 * Database stores are imported lazily, so the CLI's memory server never loads a database driver
 * (the `livecrud/server` entry exports both stores, so importing it does).
 */
export async function createStoreFromUrl(
  url: string,
  options: StoreUrlOptions = {},
): Promise<Store> {
  const scheme = (/^([a-z][a-z0-9+.-]*):?/i.exec(url.trim())?.[1] ?? '').toLowerCase()
  const { tables, installTriggers } = options
  if (
    tables &&
    Object.keys(tables).length > 0 &&
    !['pglite', 'postgres', 'postgresql'].includes(scheme)
  )
    throw new LivecrudError(
      'BAD_REQUEST',
      'table-backed collections need a PostgreSQL or PGlite store',
    )
  switch (scheme) {
    case 'memory':
      return new MemoryStore()
    case 'pglite': {
      const { PostgresStore } = await import('./postgres/PostgresStore.js')
      const [dir = '', search = ''] = url
        .trim()
        .slice('pglite:'.length)
        .replace(/^\/\//, '')
        .split('?')
      const schema = new URLSearchParams(search).get('schema') ?? undefined
      return PostgresStore.pglite(dir === '' || dir === 'memory' ? 'memory://' : dir, {
        schema,
        tables,
        installTriggers,
      })
    }
    case 'postgres':
    case 'postgresql': {
      const { PostgresStore } = await import('./postgres/PostgresStore.js')
      const parsed = new URL(url.trim())
      const schema = parsed.searchParams.get('schema') ?? undefined
      parsed.searchParams.delete('schema')
      return PostgresStore.connect(parsed.toString(), { schema, tables, installTriggers })
    }
    case 'redis':
    case 'rediss': {
      const { RedisStore } = await import('./redis/RedisStore.js')
      return RedisStore.connect(url.trim())
    }
    default:
      throw new LivecrudError('BAD_REQUEST', `unsupported store URL ${JSON.stringify(url)}`)
  }
}
