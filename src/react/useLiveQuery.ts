import { useMemo } from 'react'
import type { LiveQuery } from '../client/types.js'
import { normalizeQuery, queryKey } from '../protocol/query.js'
import type { Item, ListQuery } from '../protocol/types.js'
import { sharedLiveQuery } from './sharedLiveQuery.js'
import { useLivecrudClient, type HookOptions } from './useLivecrudClient.js'

/**
 * The collection's live query for `query`, the same object while the query means the same thing: callers
 * pass a new object literal each render, so it is keyed by its normalized form, not its identity.
 */
export function useLiveQuery<T extends Item = Item>(
  collection: string,
  query: ListQuery | undefined,
  options: HookOptions = {},
): LiveQuery<T> {
  const client = useLivecrudClient(options.client)
  const handle = useMemo(() => client.collection<T>(collection), [client, collection])
  // Keyed by meaning, not identity: the first object with this key stands for all later equal ones.
  const key = keyOf(query)
  return useMemo(() => sharedLiveQuery(handle, key, query), [handle, key])
}

function keyOf(query: ListQuery | undefined): string {
  const normalized = normalizeQuery(query)
  if (normalized.ok) return queryKey(normalized.value)
  // An invalid query still needs a key: the client answers it with an error snapshot.
  try {
    return `invalid:${JSON.stringify(query)}`
  } catch {
    return `invalid:${String(query)}`
  }
}

/** The promise a suspended render throws: settles once the query leaves 'pending'. */
const waits = new WeakMap<LiveQuery<any>, Promise<void>>()

export function whenSettled(liveQuery: LiveQuery<any>): Promise<void> {
  if (liveQuery.getSnapshot().status !== 'pending') return Promise.resolve()
  let wait = waits.get(liveQuery)
  if (wait) return wait
  wait = new Promise<void>((resolve) => {
    // This subscription also keeps the query (and its collection) alive until React retries.
    const off = liveQuery.subscribe(() => {
      if (liveQuery.getSnapshot().status === 'pending') return
      queueMicrotask(() => off())
      waits.delete(liveQuery)
      resolve()
    })
  })
  waits.set(liveQuery, wait)
  return wait
}
