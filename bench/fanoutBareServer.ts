/**
 * The baseline of bench/fanoutBench.ts: a bare socket.io server (no store, no protocol) that
 * broadcasts whatever `FIRE` brings to every connected client, as one `io.emit`. Run as a child
 * process: `node --import tsx bench/fanoutBareServer.ts`; prints `listening on <url>`.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server } from 'socket.io'

const http = createServer()
const io = new Server(http, { serveClient: false, transports: ['websocket'] })
io.on('connection', (socket) => {
  socket.on('FIRE', (collection: unknown, id: unknown, ops: unknown, meta: unknown) => {
    // The sender is a client too: broadcast to everyone but it, as livecrud does not echo to the writer's
    // other listeners either way (the writer subscribes to nothing).
    socket.broadcast.emit('CHANGED', collection, id, ops, meta)
  })
})
http.listen(0, '127.0.0.1', () => {
  const { port } = http.address() as AddressInfo
  console.log(`listening on http://127.0.0.1:${port}`)
})
process.on('SIGTERM', () => {
  void io.close()
  process.exit(0)
})
