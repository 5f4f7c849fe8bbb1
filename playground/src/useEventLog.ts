import { useEffect, useState } from 'react'
import type { ChangeEvent, LivecrudClient } from 'livecrud'

export interface LoggedEvent {
  key: number
  at: string
  event: ChangeEvent
}

const KEEP = 40
let nextKey = 1

/** The last raw push events this client received, newest first. */
export function useEventLog(client: LivecrudClient): LoggedEvent[] {
  const [log, setLog] = useState<LoggedEvent[]>([])
  useEffect(
    () =>
      client.onEvent((event) => {
        const entry = { key: nextKey++, at: new Date().toISOString().slice(11, 23), event }
        setLog((prev) => [entry, ...prev].slice(0, KEEP))
      }),
    [client],
  )
  return log
}
