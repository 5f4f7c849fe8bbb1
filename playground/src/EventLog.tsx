import type { LoggedEvent } from './useEventLog.js'

/** Ids and mutation ids are UUIDs: 8 characters tell them apart on screen. */
const short = (id: string) => (id.length > 12 ? id.slice(0, 8) : id)

export function EventLog({ log, ownClientId }: { log: LoggedEvent[]; ownClientId: string }) {
  if (log.length === 0) return <p className="muted">No events yet.</p>
  return (
    <ol className="event-log" data-testid="event-log">
      {log.map(({ key, at, event }) => {
        const { meta } = event
        const own = meta.clientId === ownClientId
        return (
          <li key={key} data-testid="event" data-type={event.type} data-id={event.id}>
            <span className="muted">{at}</span> <b className={`ev ${event.type}`}>{event.type}</b>{' '}
            <span title={event.id}>{short(event.id)}</span> v{meta.version} seq {meta.seq}
            <span className="muted">
              {' '}
              ← {own ? 'this client' : (meta.clientId ?? 'server')}
              {meta.mutationId ? ` / mutation ${short(meta.mutationId)}` : ''}
            </span>
          </li>
        )
      })}
    </ol>
  )
}
