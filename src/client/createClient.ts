import { ClientCore } from './ClientCore.js'
import { CollectionStore } from './store/CollectionStore.js'
import type { ClientOptions, LivecrudClient } from './types.js'

/**
 * Connects to a livecrud server (`{ url }`, or an existing socket.io `{ socket }`) and returns the
 * promise CRUD functions, per-collection stores and live queries.
 */
export function createClient(options: ClientOptions): LivecrudClient {
  return new ClientCore(
    options,
    (collection, batcher) =>
      new CollectionStore({ name: collection, batcher, tombstoneTtl: options?.tombstoneTtl }),
  )
}
