import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server } from 'socket.io'
import { isValidId } from '../protocol/index.js'
import { originPolicy, resolveUser, startRevalidation, unauthorized } from './auth.js'
import { Connection } from './Connection.js'
import { Fanout } from './fanout.js'
import { registerHandlers } from './handlers/register.js'
import { resolveLimits } from './limits.js'
import { defaultUserKey, originOf } from './origin.js'
import { Policy } from './Policy.js'
import { MemoryStore } from './stores/MemoryStore.js'
import type { LivecrudServer, ServerOptions } from './types.js'

/**
 * Starts the reference server: socket.io on an HTTP server, the livecrud protocol on namespace `/`.
 * socket.io's connection state recovery stays OFF: it would replay buffered packets to a reconnecting
 * client without running `authenticate` again (its default `skipMiddlewares: true`), letting a revoked
 * user back in. Correctness after a reconnect comes from SUBSCRIBE `since` and mutation ids instead.
 */
export async function createServer<U = unknown>(
  options: ServerOptions<U> = {},
): Promise<LivecrudServer> {
  const limits = resolveLimits(options.limits)
  const ownStore = !options.store
  const store = options.store ?? new MemoryStore({ changeRetention: options.changeRetention })
  const policy = new Policy<U>(options)
  const fanout = new Fanout(store)
  const allowOrigin = originPolicy(options)

  const http = createHttpServer((req, res) => {
    // socket.io answers its own path; this is everything else.
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
      return
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
  })
  const io = new Server(http, {
    serveClient: false,
    maxHttpBufferSize: limits.maxHttpBufferSize,
    // Longer than the authentication timeout, so a slow `authenticate` ends in a clear refusal.
    connectTimeout: limits.authTimeout + 1000,
    allowRequest: (req, callback) => {
      const ok = allowOrigin(req.headers.origin, req.headers.host)
      callback(ok ? null : 'origin not allowed', ok)
    },
    cors: {
      origin: (origin, callback) => callback(null, origin ? allowOrigin(origin, undefined) : false),
      credentials: true,
    },
  })

  const connections = new Map<string, Connection<U>>()
  io.use((socket, next) => {
    if (!options.authenticate) return next()
    resolveUser(options.authenticate, socket.handshake, limits.authTimeout).then(
      (found) => {
        if (!found) return next(unauthorized('authentication failed'))
        socket.data.user = found.user
        next()
      },
      () => next(unauthorized('authentication failed')),
    )
  })

  io.on('connection', (socket) => {
    const auth: unknown = socket.handshake.auth
    const rawClientId = (auth as { clientId?: unknown } | null)?.clientId
    const clientId = isValidId(rawClientId) ? rawClientId : undefined
    const user = (options.authenticate ? socket.data.user : null) as U
    const userKey = options.userKey ?? defaultUserKey
    const origin = originOf(userKey(user), clientId, socket.id)
    const conn = new Connection<U>(socket, user, clientId, origin, policy, fanout, limits)
    connections.set(socket.id, conn)
    registerHandlers<U>({
      store,
      policy,
      limits,
      fanout,
      allowWritesOutOfScope: options.allowWritesOutOfScope ?? false,
      schemas: options.collections,
      conn,
    })
    socket.on('disconnect', () => {
      conn.close()
      connections.delete(socket.id)
    })
    socket.on('error', (err) => console.error('livecrud: socket error', err))
  })

  const stopRevalidation = startRevalidation<U>(
    io,
    options,
    (socket, user) => {
      const conn = connections.get(socket.id)
      if (!conn) return
      if (user === null) {
        // Stop the flow of events before the transport even says goodbye.
        conn.close()
        socket.disconnect(true)
      } else if (user !== conn.user) {
        conn.setUser(user)
      }
    },
    limits.authTimeout,
  )

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      http.off('error', reject)
      resolve()
    })
  })
  const address = http.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  let closing: Promise<void> | undefined

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    io,
    store,
    close() {
      closing ??= (async () => {
        stopRevalidation()
        for (const conn of connections.values()) conn.close()
        fanout.close()
        io.disconnectSockets(true)
        await io.close()
        if (ownStore) await store.close()
      })()
      return closing
    },
  }
}
