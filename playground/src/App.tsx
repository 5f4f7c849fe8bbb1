import { ClientPane } from './ClientPane.js'
import type { PlaygroundClient } from './connectClient.js'

export function App({ panes, serverUrl }: { panes: PlaygroundClient[]; serverUrl: string }) {
  return (
    <>
      <header className="top">
        <h1>livecrud playground</h1>
        <p className="muted">
          {panes.length === 1 ? 'One client' : `${panes.length} independent clients`} of{' '}
          <code data-testid="server-url">{serverUrl}</code> — open more tabs, go offline, add
          latency, edit the same task in two places.
        </p>
      </header>
      <main className="panes">
        {panes.map((pane, i) => (
          <ClientPane key={pane.name} pane={pane} index={i} />
        ))}
      </main>
    </>
  )
}
