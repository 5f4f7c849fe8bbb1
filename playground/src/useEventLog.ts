import { useEffect, useState } from 'react'
import type { ChangeEvent, LivecrudClient, StoreChange } from 'livecrud'

export interface LoggedEvent {
  key: number
  at: string
  type: ChangeEvent['type']
  id: string
  /** 'push': a live event; 'catch-up': a change that reached the store without one (replay, refetch). */
  source: 'push' | 'catch-up'
  seq?: number
  version?: number
  clientId?: string
  mutationId?: string
}

const KEEP = 40
let nextKey = 1

function now(): string {
  return new Date().toISOString().slice(11, 23)
}

function fromPush(event: ChangeEvent): LoggedEvent {
  const { seq, version, clientId, mutationId } = event.meta
  return {
    key: nextKey++,
    at: now(),
    type: event.type,
    id: event.id,
    source: 'push',
    seq,
    version,
    clientId,
    mutationId,
  }
}

function fromStore(change: StoreChange): LoggedEvent {
  const type = !change.before ? 'ADDED' : !change.after ? 'REMOVED' : 'CHANGED'
  const version = change.after?._version
  return {
    key: nextKey++,
    at: now(),
    type,
    id: change.id,
    source: 'catch-up',
    seq: change.seq,
    version,
  }
}

/**
 * The last changes this client received, newest first: raw push events, plus the server changes that
 * reached the store without one (a reconnect's replay, a refetch after a reset).
 */
export function useEventLog(client: LivecrudClient, collection: string): LoggedEvent[] {
  const [log, setLog] = useState<LoggedEvent[]>([])
  useEffect(() => {
    const pushed = new Set<number>()
    const add = (entries: LoggedEvent[]) => {
      if (entries.length > 0) setLog((prev) => [...entries.reverse(), ...prev].slice(0, KEEP))
    }
    const offPush = client.onEvent((event) => {
      if (event.collection !== collection) return
      // Push events reach onEvent before the store applies them: remember them to skip their echo below.
      pushed.add(event.meta.seq)
      add([fromPush(event)])
    })
    const offStore = client.collection(collection).subscribe((changes) => {
      const missed = changes.filter(
        (c) =>
          (c.cause === 'server' || c.cause === 'reset') &&
          !(c.seq !== undefined && pushed.has(c.seq)),
      )
      add(missed.map(fromStore))
      if (pushed.size > 500) pushed.clear()
    })
    return () => {
      offPush()
      offStore()
    }
  }, [client, collection])
  return log
}
