import { LivecrudProvider, useConnectionState } from 'livecrud/react'
import type { PlaygroundClient } from './connectClient.js'
import { DevTools } from './DevTools.js'
import { PaneContext } from './PaneContext.js'
import { TaskBoard } from './TaskBoard.js'

function PaneHeader({ name }: { name: string }) {
  const connection = useConnectionState()
  return (
    <header className="pane-header">
      <h2>{name}</h2>
      <span className={`state ${connection}`}>{connection}</span>
    </header>
  )
}

export function ClientPane({ pane, index }: { pane: PlaygroundClient; index: number }) {
  return (
    <PaneContext.Provider value={pane}>
      <LivecrudProvider client={pane.client}>
        <section className="pane" data-testid={`pane-${index}`}>
          <PaneHeader name={pane.name} />
          <TaskBoard />
          <DevTools />
        </section>
      </LivecrudProvider>
    </PaneContext.Provider>
  )
}
