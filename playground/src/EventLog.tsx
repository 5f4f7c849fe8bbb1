import type { LoggedEvent } from './useEventLog.js'

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
            {event.id} v{meta.version} seq {meta.seq}
            <span className="muted">
              {' '}
              ← {own ? 'this client' : (meta.clientId ?? 'server')}
              {meta.mutationId ? ` / ${meta.mutationId}` : ''}
            </span>
          </li>
        )
      })}
    </ol>
  )
}
