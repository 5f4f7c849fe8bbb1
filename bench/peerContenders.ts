/**
 * The three sides of bench/peerBench.ts, each the way its users would write it: livecrud (reference
 * server on its memory store, the livecrud client), Feathers v5 (a memory service behind
 * `@feathersjs/socketio`, the standard channel setup that publishes every event to every
 * connection, the `@feathersjs/socketio-client` client) and raw socket.io (a Map behind
 * `emitWithAck` handlers, `io.emit` of every created item). Servers run in their own processes
 * (bench/peerProcess.ts); clients run wherever the bench puts them.
 */
import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { io, type Socket } from 'socket.io-client'

export const KINDS = ['livecrud', 'feathers', 'raw'] as const
export type Kind = (typeof KINDS)[number]
export const COLLECTION = 'todos'

/** A typical record of about 200 bytes as JSON. */
export function makeItem(id: string, n: number): Record<string, unknown> & { id: string } {
  return {
    id,
    title: `Write the peer benchmark, part ${n}`,
    done: n % 2 === 0,
    priority: n % 5,
    tags: ['bench', 'peer', 'socket.io'],
    assignee: { id: `u-${n % 7}`, name: 'Ada Lovelace' },
    createdAt: '2026-12-04T18:00:00.000Z',
    note: 'a short note that brings the record to about two hundred bytes',
  }
}

// ─── servers (run inside bench/peerProcess.ts) ─────────────────────────────────────────────────

export async function startPeerServer(kind: Kind): Promise<{ url: string }> {
  if (kind === 'livecrud') {
    const { createServer } = await import('../src/server/index.js')
    // The per-connection request rate limit (limits.maxRequestsPerSecond, default 200/s, bursts
    // up to the same) protects a production server from one runaway client. A benchmark sends
    // back-to-back requests far faster than that on one connection, so it is raised here: the
    // figures measure the server, not its refusals.
    const server = await createServer({ limits: { maxRequestsPerSecond: 1e9 } })
    return { url: server.url }
  }
  if (kind === 'feathers') {
    const { feathers } = await import('@feathersjs/feathers')
    const { default: socketio } = await import('@feathersjs/socketio')
    const { MemoryService } = await import('@feathersjs/memory')
    const app = feathers()
    app.configure(socketio())
    app.use(COLLECTION, new MemoryService({ id: 'id' }))
    // The standard channel setup (what the Feathers generator writes, minus authentication). The
    // channel methods are added by @feathersjs/socketio's transport-commons at runtime.
    const channels = app as unknown as {
      channel(name: string): { join(connection: unknown): void }
      publish(publisher: () => unknown): void
    }
    app.on('connection', (connection) => channels.channel('everybody').join(connection))
    channels.publish(() => channels.channel('everybody'))
    const http = createHttpServer()
    await app.setup(http)
    return listen(http)
  }
  const { Server } = await import('socket.io')
  const http = createHttpServer()
  const ioServer = new Server(http, { serveClient: false })
  const items = new Map<string, unknown>()
  ioServer.on('connection', (socket) => {
    socket.on('get', (id: string, ack: (item: unknown) => void) => ack(items.get(id) ?? null))
    socket.on('create', (item: { id: string }, ack: (item: unknown) => void) => {
      items.set(item.id, item)
      ack(item)
      ioServer.emit('created', item)
    })
  })
  return listen(http)
}

function listen(http: ReturnType<typeof createHttpServer>): Promise<{ url: string }> {
  return new Promise((resolve) =>
    http.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` }),
    ),
  )
}

// ─── clients ───────────────────────────────────────────────────────────────────────────────────

export interface PeerClient {
  get(id: string): Promise<unknown>
  create(item: Record<string, unknown> & { id: string }): Promise<unknown>
  /** The created item's id, as the library tells its user (livecrud: the store's listener). */
  onCreated(listener: (id: string) => void): void
  /** The client's own write coming back (livecrud: the raw echo; the peers: their event). */
  onEcho(listener: (id: string) => void): void
  close(): void
}

const TIMEOUT = 10_000

export async function connectPeerClient(kind: Kind, url: string): Promise<PeerClient> {
  if (kind === 'livecrud') {
    const { createClient } = await import('../src/index.js')
    const client = createClient({ url, timeout: TIMEOUT })
    const todos = client.collection(COLLECTION)
    const created: ((id: string) => void)[] = []
    const echoes: ((id: string) => void)[] = []
    todos.subscribe((changes) => {
      for (const c of changes)
        if (c.cause === 'server' && c.before === undefined && c.after !== undefined)
          for (const l of created) l(String(c.id))
    })
    await until(() => client.getSeq(COLLECTION) !== undefined)
    return {
      get: (id) => client.getItem(id, COLLECTION),
      create: (item) => client.postItem(item, COLLECTION),
      onCreated: (l) => void created.push(l),
      onEcho: (l) => {
        // Only the writer listens to raw events: the others pay nothing for it.
        if (echoes.push(l) === 1)
          client.onEvent((e) => {
            if (e.type === 'ADDED' && e.meta.clientId === client.clientId)
              for (const echo of echoes) echo(String(e.id))
          })
      },
      close: () => client.close(),
    }
  }
  const socket = io(url, { reconnection: false, forceNew: true })
  await connected(socket)
  if (kind === 'feathers') {
    const { feathers } = await import('@feathersjs/feathers')
    const { default: socketioClient } = await import('@feathersjs/socketio-client')
    const app = feathers()
    app.configure(socketioClient(socket, { timeout: TIMEOUT }))
    const service = app.service(COLLECTION)
    const listeners: ((id: string) => void)[] = []
    service.on('created', (item: { id: string }) => {
      for (const l of listeners) l(item.id)
    })
    return {
      get: (id) => service.get(id),
      create: (item) => service.create(item),
      onCreated: (l) => void listeners.push(l),
      onEcho: (l) => void listeners.push(l),
      close: () => socket.close(),
    }
  }
  const listeners: ((id: string) => void)[] = []
  socket.on('created', (item: { id: string }) => {
    for (const l of listeners) l(item.id)
  })
  return {
    get: (id) => socket.timeout(TIMEOUT).emitWithAck('get', id),
    create: (item) => socket.timeout(TIMEOUT).emitWithAck('create', item),
    onCreated: (l) => void listeners.push(l),
    onEcho: (l) => void listeners.push(l),
    close: () => socket.close(),
  }
}

/**
 * A bare socket.io receiver of the fan-out (no client library: the fan-out rows measure the
 * server), subscribed the way each protocol asks; calls `onEvent` with the created item's id.
 */
export async function connectReceiver(
  kind: Kind,
  url: string,
  clientId: string,
  onEvent: (id: string) => void,
): Promise<Socket> {
  const socket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: { clientId },
  })
  await connected(socket)
  if (kind === 'livecrud') {
    socket.on('ADDED', (_c: string, item: { id: string }) => onEvent(item.id))
    await socket.timeout(30_000).emitWithAck('SUBSCRIBE', COLLECTION, {})
  } else if (kind === 'feathers') {
    socket.on(`${COLLECTION} created`, (item: { id: string }) => onEvent(item.id))
  } else {
    socket.on('created', (item: { id: string }) => onEvent(item.id))
  }
  return socket
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve()
    socket.once('connect', () => resolve())
    socket.once('connect_error', reject)
  })
}

export async function until(check: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}
