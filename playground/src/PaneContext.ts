import { createContext, useContext } from 'react'
import type { PlaygroundClient } from './connectClient.js'

export const PaneContext = createContext<PlaygroundClient | null>(null)

/** The pane's own client and network controls (the hooks find the same client via the provider). */
export function usePane(): PlaygroundClient {
  const pane = useContext(PaneContext)
  if (!pane) throw new Error('usePane outside a ClientPane')
  return pane
}
