import { io } from 'socket.io-client'
import { createClient, type LivecrudClient } from 'livecrud'
import { indexedDBPersistence } from 'livecrud/persist'
import { NetControls } from './NetControls.js'
import { boardCollections } from './tasks.js'

export interface PlaygroundClient {
  name: string
  client: LivecrudClient<typeof boardCollections>
  net: NetControls
  /** The IndexedDB database of this pane's persistence (undefined with `?persist=0`). */
  database: string | undefined
}

/**
 * One independent client (own socket, own store) per pane. With `persist`, each pane keeps its outbox
 * and cache in IndexedDB under its own name — the same pane in another tab shares them.
 */
export function connectClient(
  serverUrl: string,
  name: string,
  persist: { collection: string } | undefined,
): PlaygroundClient {
  const clientId = `${name.toLowerCase()}-${Math.random().toString(36).slice(2, 10)}`
  // Not connected yet: NetControls must hook the socket before socket.io binds its packet handler.
  // Reconnect attempts capped at 2 s (socket.io's default is 5 s): a local server restart is quick.
  const socket = io(serverUrl, {
    autoConnect: false,
    auth: { clientId },
    reconnectionDelay: 500,
    reconnectionDelayMax: 2000,
  })
  const net = new NetControls(socket)
  // A real app names its database after the signed-in user; here a pane plays one user.
  const persistName = persist && `playground:${persist.collection}:${name}`
  // The schema types the client and checks every write before it is applied.
  const client = createClient({
    socket,
    clientId,
    collections: boardCollections,
    ...(persistName ? { persistence: indexedDBPersistence({ name: persistName }) } : {}),
  })
  // With a persistence the client connects itself once its outbox and cache are restored.
  if (!persistName && !socket.active) socket.connect()
  return { name, client, net, database: persistName && `livecrud:${persistName}` }
}
