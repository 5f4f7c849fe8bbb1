import type { Id, Item } from '../../protocol/index.js'
import type { LocalMutation } from './actions.js'
import { applyItemOps } from './applyItemOps.js'
import { deepFreeze } from '../../protocol/frozen.js'
import type { PendingEntry, ServerLayer } from './ItemEntry.js'

/** A pending write that could not be replayed over the current server state (it stays pending). */
export interface ReplayFailure {
  mutation: LocalMutation
  error: Error
}

/**
 * The visible value: the confirmed item with the pending writes replayed in order. POST and PUT
 * replace, DELETE hides, PATCH replays its ops over whatever the previous step produced — so a server
 * change to one field survives a pending patch of another (field-level rebase). A patch that no longer
 * applies (failed `test`, missing path, no item) is skipped here, not thrown.
 */
export function replayPending(
  server: ServerLayer,
  pending: readonly PendingEntry[],
  id: Id,
): { visible: Item | undefined; failures: ReplayFailure[] } {
  let visible = server.deleted ? undefined : server.item
  const failures: ReplayFailure[] = []
  for (const { mutation } of pending) {
    switch (mutation.kind) {
      case 'POST':
      case 'PUT':
        visible = deepFreeze({ ...mutation.item, id, _version: server.version })
        break
      case 'DELETE':
        visible = undefined
        break
      case 'PATCH': {
        if (visible === undefined) {
          failures.push({ mutation, error: new Error(`item ${id} does not exist`) })
          break
        }
        const result = applyItemOps(visible, mutation.ops, id, server.version)
        if (result.ok) visible = result.item
        else failures.push({ mutation, error: result.error })
        break
      }
    }
  }
  return { visible, failures }
}
