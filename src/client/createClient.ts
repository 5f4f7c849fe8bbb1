import type { Collections, NoCollections } from '../protocol/schema.js'
import { ClientCore } from './ClientCore.js'
import { CollectionStore } from './store/CollectionStore.js'
import type { ClientOptions, LivecrudClient } from './types.js'

/**
 * Connects to a livecrud server (`{ url }`, or an existing socket.io `{ socket }`) and returns the
 * promise CRUD functions, per-collection stores and live queries. With `collections`, one Standard
 * Schema per collection, the client is typed by them and validates writes before applying them.
 */
export function createClient<C extends Collections = NoCollections>(
  options: ClientOptions<C>,
): LivecrudClient<C> {
  return new ClientCore(
    options,
    (collection, batcher) =>
      new CollectionStore({ name: collection, batcher, tombstoneTtl: options?.tombstoneTtl }),
  ) as LivecrudClient<C>
}
