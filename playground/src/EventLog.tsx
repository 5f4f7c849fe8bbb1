import type { LoggedEvent } from './useEventLog.js'

/** Ids and mutation ids are UUIDs: 8 characters tell them apart on screen. */
const short = (id: string) => (id.length > 12 ? id.slice(0, 8) : id)

function origin(entry: LoggedEvent, ownClientId: string): string {
  if (entry.source === 'catch-up') return 'catch-up'
  const who = entry.clientId === ownClientId ? 'this client' : (entry.clientId ?? 'server')
  return entry.mutationId ? `${who} / mutation ${short(entry.mutationId)}` : who
}

export function EventLog({ log, ownClientId }: { log: LoggedEvent[]; ownClientId: string }) {
  if (log.length === 0) return <p className="muted">No events yet.</p>
  return (
    <ol className="event-log" data-testid="event-log">
      {log.map((entry) => (
        <li
          key={entry.key}
          data-testid="event"
          data-type={entry.type}
          data-id={entry.id}
          data-source={entry.source}
        >
          <span className="muted">{entry.at}</span>{' '}
          <b className={`ev ${entry.type}`}>{entry.type}</b>{' '}
          <span title={entry.id}>{short(entry.id)}</span>
          {entry.version !== undefined && ` v${entry.version}`}
          {entry.seq !== undefined && ` seq ${entry.seq}`}
          <span className="muted"> ← {origin(entry, ownClientId)}</span>
        </li>
      ))}
    </ol>
  )
}
