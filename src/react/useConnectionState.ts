import { useCallback, useSyncExternalStore } from 'react'
import type { ConnectionState } from '../client/types.js'
import { useLivecrudClient, type HookOptions } from './useLivecrudClient.js'

/** 'connecting' | 'connected' | 'disconnected' | 'closed', re-rendering on each transition. */
export function useConnectionState(options: HookOptions = {}): ConnectionState {
  const client = useLivecrudClient(options.client)
  const subscribe = useCallback(
    (onChange: () => void) => client.subscribeConnectionState(() => onChange()),
    [client],
  )
  const getSnapshot = useCallback(() => client.getConnectionState(), [client])
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot)
}
