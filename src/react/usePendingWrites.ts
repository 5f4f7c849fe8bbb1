import { useCallback, useMemo, useSyncExternalStore } from 'react'
import type { LivecrudClient, PendingWrite } from '../client/types.js'
import { useLivecrudClient, type HookOptions } from './useLivecrudClient.js'

export interface UsePendingWritesOptions extends HookOptions {
  /** Only the writes to this collection. */
  collection?: string
}

/**
 * Writes not yet confirmed by the server, in order (offline queue included): for "saving…" indicators and
 * "unsaved changes" prompts. Re-renders only when the list's content changes.
 */
export function usePendingWrites(options: UsePendingWritesOptions = {}): readonly PendingWrite[] {
  const client = useLivecrudClient(options.client)
  const { collection } = options
  const subscribe = useCallback(
    (onChange: () => void) => client.subscribePendingWrites(onChange),
    [client],
  )
  const getSnapshot = useMemo(() => pendingGetter(client, collection), [client, collection])
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot)
}

function pendingGetter(
  client: LivecrudClient,
  collection: string | undefined,
): () => readonly PendingWrite[] {
  let last: readonly PendingWrite[] = []
  return () => {
    const all = client.getPendingWrites()
    const next = collection === undefined ? all : all.filter((w) => w.collection === collection)
    // Filtering (or a client building a new array per call) must not look like a change to React.
    if (next.length === last.length && next.every((w, i) => w === last[i])) return last
    return (last = next)
  }
}
