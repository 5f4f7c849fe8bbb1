import { LivecrudError } from '../../protocol/index.js'
import { MemoryStore } from './MemoryStore.js'
import type { Store } from './Store.js'

/**
 * Opens the store a `--db` URL names:
 * - `memory` / `memory:` — the in-process store (data is lost on exit).
 * Database stores (`pglite:`, `postgres:`, `redis:`) are added to the switch below by their modules;
 * they are imported lazily so the memory server never loads a database driver.
 */
export async function createStoreFromUrl(url: string): Promise<Store> {
  const scheme = (/^([a-z][a-z0-9+.-]*):?/i.exec(url.trim())?.[1] ?? '').toLowerCase()
  switch (scheme) {
    case 'memory':
      return new MemoryStore()
    default:
      throw new LivecrudError('BAD_REQUEST', `unsupported store URL ${JSON.stringify(url)}`)
  }
}
