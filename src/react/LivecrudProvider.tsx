import { createContext, type ReactNode } from 'react'
import type { LivecrudClient } from '../client/types.js'

/** Holds the client for hooks below a `LivecrudProvider`; null when there is none. */
export const LivecrudContext = createContext<LivecrudClient | null>(null)
LivecrudContext.displayName = 'LivecrudContext'

export interface LivecrudProviderProps {
  client: LivecrudClient
  children?: ReactNode
}

/** Makes `client` the default of every livecrud hook below it. */
export function LivecrudProvider({ client, children }: LivecrudProviderProps) {
  // `<Context.Provider>` rather than React 19's `<Context>`: React 18 is supported too.
  return <LivecrudContext.Provider value={client}>{children}</LivecrudContext.Provider>
}
