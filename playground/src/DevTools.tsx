import { useEffect, useState } from 'react'
import { useConnectionState, usePendingWrites } from 'livecrud/react'
import { EventLog } from './EventLog.js'
import { usePersistedOutbox } from './persistedOutbox.js'
import { usePane } from './PaneContext.js'
import { TASKS } from './tasks.js'
import { useEventLog } from './useEventLog.js'
import { useStoreValue } from './useStoreValue.js'

const LATENCIES = [0, 100, 500, 2000]

export function DevTools() {
  const { client, net, database } = usePane()
  const connection = useConnectionState()
  const pending = usePendingWrites()
  const netState = useStoreValue(net.subscribe, net.getState)
  const log = useEventLog(client, TASKS)
  // getSeq has no subscription (a SUBSCRIBE answer can move it without an event): poll it.
  const [seq, setSeq] = useState(() => client.getSeq(TASKS))
  const [persistence, setPersistence] = useState(() => client.getPersistenceState())
  useEffect(() => {
    const timer = setInterval(() => {
      setSeq(client.getSeq(TASKS))
      setPersistence(client.getPersistenceState())
    }, 250)
    return () => clearInterval(timer)
  }, [client])
  const outbox = usePersistedOutbox(database, persistence)

  return (
    <aside className="devtools" data-testid="devtools">
      <h3>devtools</h3>
      <dl>
        <dt>connection</dt>
        <dd>
          <span className={`state ${connection}`} data-testid="conn-state">
            {connection}
          </span>
        </dd>
        <dt>seq</dt>
        <dd data-testid="seq-tasks">
          {TASKS}: {seq ?? '—'}
        </dd>
        <dt>client</dt>
        <dd className="muted">{client.clientId}</dd>
        <dt>persistence</dt>
        <dd data-testid="persistence-state">{persistence}</dd>
      </dl>
      <div className="net">
        <button
          type="button"
          data-testid="btn-offline"
          aria-pressed={netState.offline}
          onClick={() => net.setOffline(!netState.offline)}
        >
          {netState.offline ? 'Go online' : 'Go offline'}
        </button>
        <label>
          latency
          <select
            value={netState.latencyMs}
            data-testid="latency"
            onChange={(e) => net.setLatency(Number(e.target.value))}
          >
            {LATENCIES.map((ms) => (
              <option key={ms} value={ms}>
                {ms} ms
              </option>
            ))}
          </select>
        </label>
        <button type="button" data-testid="btn-drop" onClick={() => net.drop()}>
          Drop connection
        </button>
      </div>
      <h4>
        pending writes <span data-testid="pending-count">{pending.length}</span>
      </h4>
      {pending.length > 0 && (
        <ol className="pending-list" data-testid="pending-list">
          {pending.map((w) => (
            <li key={w.mutationId}>
              <b>{w.kind}</b> {w.id} <span className={`badge ${w.state}`}>{w.state}</span>
            </li>
          ))}
        </ol>
      )}
      {database && (
        <>
          <h4>
            persisted outbox <span data-testid="outbox-count">{outbox.length}</span>
            <button
              type="button"
              data-testid="btn-clear-persistence"
              onClick={() => void client.clearPersistence()}
            >
              Clear
            </button>
          </h4>
          {outbox.length > 0 && (
            <ol className="pending-list" data-testid="outbox-list">
              {outbox.map((w) => (
                <li key={w.mutationId}>
                  <b>{w.kind}</b> {w.id}
                </li>
              ))}
            </ol>
          )}
        </>
      )}
      <h4>events</h4>
      <EventLog log={log} ownClientId={client.clientId} />
    </aside>
  )
}
