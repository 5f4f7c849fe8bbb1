import { io as connectClient, type Socket } from 'socket.io-client'
import { createServer, type LivecrudServer, type ServerOptions } from 'livecrud/server'
import type { ChangeEvent, WireError } from 'livecrud'

export type Client = Socket

/** Starts a server on 127.0.0.1, port 0. */
export function startServer<U>(options: ServerOptions<U> = {}): Promise<LivecrudServer> {
  return createServer<U>({ host: '127.0.0.1', port: 0, ...options })
}

/** A test's teardown: closes its raw clients, then its server; returns undefined for the server slot. */
export async function closeAll(
  server: LivecrudServer | undefined,
  clients: Client[],
): Promise<undefined> {
  for (const c of clients.splice(0)) c.close()
  await server?.close()
  return undefined
}

export interface ConnectOptions {
  auth?: Record<string, unknown>
  extraHeaders?: Record<string, string>
  transports?: ('websocket' | 'polling')[]
}

/** Connects a raw socket.io client and waits until it is connected (rejects on connect_error). */
export function connect(server: { url: string }, options: ConnectOptions = {}): Promise<Client> {
  const socket = connectClient(server.url, {
    reconnection: false,
    forceNew: true,
    transports: options.transports ?? ['websocket'],
    auth: options.auth ?? {},
    extraHeaders: options.extraHeaders,
  })
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket))
    socket.once('connect_error', (err) => {
      socket.close()
      reject(err)
    })
  })
}

export interface Answer<R = any, M = any> {
  err: WireError | null
  result: R
  meta: M
}

/** Emits a request and resolves the server's error-first ack as `{ err, result, meta }`. */
export function request<R = any, M = any>(
  socket: Client,
  event: string,
  ...args: unknown[]
): Promise<Answer<R, M>> {
  return new Promise((resolve, reject) => {
    socket
      .timeout(5000)
      .emit(event, ...args, (timeout: Error | null, err: WireError | null, result: R, meta: M) => {
        if (timeout) reject(timeout)
        else resolve({ err, result, meta })
      })
  })
}

/** Like `request` but fails the test unless the server answered with success. */
export async function ok<R = any, M = any>(
  socket: Client,
  event: string,
  ...args: unknown[]
): Promise<{ result: R; meta: M }> {
  const a = await request<R, M>(socket, event, ...args)
  if (a.err) throw new Error(`${event} failed: ${a.err.code} ${a.err.message}`)
  return { result: a.result, meta: a.meta }
}

let mutation = 0
/** A fresh write meta. */
export function wm(
  extra: Record<string, unknown> = {},
): { mutationId: string } & Record<string, unknown> {
  return { mutationId: `m-${process.pid}-${++mutation}`, ...extra }
}

/** Records every push event a client receives, as ChangeEvent values. */
export function recordEvents(socket: Client): ChangeEvent[] {
  const events: ChangeEvent[] = []
  socket.on('ADDED', (collection, item, meta) =>
    events.push({ type: 'ADDED', collection, id: item.id, item, meta }),
  )
  socket.on('CHANGED', (collection, id, ops, meta) =>
    events.push({ type: 'CHANGED', collection, id, ops, meta }),
  )
  socket.on('REMOVED', (collection, id, meta) =>
    events.push({ type: 'REMOVED', collection, id, meta }),
  )
  return events
}

/** Round-trips a request so every event the server sent before it has arrived. */
export async function settle(socket: Client): Promise<void> {
  await request(socket, 'GET', 'zzsettle', 'x')
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Polls until `check` is true or `ms` pass. */
export async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(10)
  }
}
