import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App.js'
import { collectionName, paneNames, persist, serverUrl } from './config.js'
import { connectClient } from './connectClient.js'
import './styles.css'

// Clients live outside React: StrictMode's double effects must not open extra sockets.
const panes = paneNames.map((name) =>
  connectClient(serverUrl, name, persist ? { collection: collectionName } : undefined),
)

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App panes={panes} serverUrl={serverUrl} />
  </StrictMode>,
)
