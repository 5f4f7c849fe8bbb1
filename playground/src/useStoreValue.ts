import { useSyncExternalStore } from 'react'

/** A value read from a non-React source, re-read whenever `subscribe` says it may have changed. */
export function useStoreValue<T>(
  subscribe: (onChange: () => void) => () => void,
  read: () => T,
): T {
  return useSyncExternalStore(subscribe, read, read)
}
