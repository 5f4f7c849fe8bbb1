import { io } from 'socket.io-client'
import { createClient, type LivecrudClient } from 'livecrud'
import { NetControls } from './NetControls.js'
import { boardCollections } from './tasks.js'

export interface PlaygroundClient {
  name: string
  client: LivecrudClient<typeof boardCollections>
  net: NetControls
}

/** One independent client (own socket, own store) per pane. */
export function connectClient(serverUrl: string, name: string): PlaygroundClient {
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
  // The schema types the client and checks every write before it is applied.
  const client = createClient({ socket, clientId, collections: boardCollections })
  if (!socket.active) socket.connect()
  return { name, client, net }
}
