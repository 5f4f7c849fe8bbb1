import { useContext } from 'react'
import type { LivecrudClient } from '../client/types.js'
import { LivecrudContext } from './LivecrudProvider.js'

/** Options every hook accepts: an explicit client makes the provider optional. */
export interface HookOptions {
  /** Used instead of the nearest `LivecrudProvider`'s client. */
  client?: LivecrudClient
}

/** The explicit `client` if given, else the nearest `LivecrudProvider`'s; throws when there is neither. */
export function useLivecrudClient(client?: LivecrudClient): LivecrudClient {
  const fromContext = useContext(LivecrudContext)
  const resolved = client ?? fromContext
  if (!resolved)
    throw new Error(
      'livecrud: no client. Wrap the tree in <LivecrudProvider client={client}> or pass { client }.',
    )
  return resolved
}
