import { LivecrudError } from '../../protocol/index.js'
import { MemoryStore } from './MemoryStore.js'
import type { Store } from './Store.js'

/**
 * Opens the store a `--db` URL names:
 * - `memory` / `memory:` — the in-process store (data is lost on exit).
 * - `pglite:./dir` / `pglite:memory` — embedded PostgreSQL (PGlite), on disk or in memory.
 * - `postgres://user@host:port/db?schema=livecrud` — PostgreSQL (LISTEN/NOTIFY feed).
 * - `redis://host:port/db?prefix=livecrud:` — Redis (pub/sub feed).
 * Database stores are imported lazily, so the CLI's memory server never loads a database driver
 * (the `livecrud/server` entry exports both stores, so importing it does).
 */
export async function createStoreFromUrl(url: string): Promise<Store> {
  const scheme = (/^([a-z][a-z0-9+.-]*):?/i.exec(url.trim())?.[1] ?? '').toLowerCase()
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
      return PostgresStore.pglite(dir === '' || dir === 'memory' ? 'memory://' : dir, { schema })
    }
    case 'postgres':
    case 'postgresql': {
      const { PostgresStore } = await import('./postgres/PostgresStore.js')
      const parsed = new URL(url.trim())
      const schema = parsed.searchParams.get('schema') ?? undefined
      parsed.searchParams.delete('schema')
      return PostgresStore.connect(parsed.toString(), { schema })
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
