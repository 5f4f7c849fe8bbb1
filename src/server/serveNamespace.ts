import type { Namespace, Socket } from 'socket.io'
import { isValidId } from '../protocol/index.js'
import { refusal, resolveUser, startRevalidation, type OriginPolicy } from './auth.js'
import { Connection } from './Connection.js'
import type { Fanout } from './fanout.js'
import { registerHandlers } from './handlers/register.js'
import type { Limits } from './limits.js'
import { defaultUserKey, originOf } from './origin.js'
import type { Policy } from './Policy.js'
import type { Store } from './stores/Store.js'
import type { ServerOptions } from './types.js'

export interface NamespaceParts<U> {
  store: Store
  policy: Policy<U>
  fanout: Fanout
  limits: Limits
  options: ServerOptions<U>
  allowOrigin: OriginPolicy
  /**
   * livecrud created the socket.io Server: no app handler shares the namespace, so unknown events
   * are answered with BAD_REQUEST, and a revoked user's whole connection is closed (on an app's
   * Server only its connection to this namespace).
   */
  ownsServer: boolean
}

/** Namespaces livecrud serves now: a second `attach` on one would run two protocols on each socket. */
const served = new WeakSet<Namespace>()

interface Served<U> {
  conn: Connection<U>
  detach: () => void
}

/**
 * The livecrud protocol on one socket.io namespace: a middleware (Origin, then `authenticate`) and a
 * handler per connection. Returns `close`, which stops events, takes livecrud's listeners off every
 * socket it served and disconnects those sockets from this namespace (other namespaces on the same
 * connection stay). The middleware cannot be removed from a namespace; after close it lets every
 * connection through to the app's own handlers, and refuses when none is left.
 */
export function serveNamespace<U>(namespace: Namespace, parts: NamespaceParts<U>): () => void {
  if (served.has(namespace))
    throw new Error(`attach: livecrud already serves namespace ${JSON.stringify(namespace.name)}`)
  served.add(namespace)
  const { options, limits, allowOrigin } = parts
  const users = new WeakMap<Socket, U>()
  const connections = new Map<string, Served<U>>()
  let closed = false

  namespace.use((socket, next) => {
    if (closed) {
      if (namespace.listenerCount('connection') > 0) return next()
      return next(new Error('livecrud has been closed on this namespace'))
    }
    // Checked again here (livecrud's own socket.io Server also checks it in `allowRequest`): on an
    // app's Server the handshake may have passed an Origin check livecrud knows nothing of.
    const { origin, host } = socket.handshake.headers
    if (!allowOrigin(origin, host)) return next(refusal('FORBIDDEN', 'origin not allowed'))
    if (!options.authenticate) return next()
    resolveUser(options.authenticate, socket, limits.authTimeout).then(
      (found) => {
        if (!found) return next(refusal('UNAUTHORIZED', 'authentication failed'))
        users.set(socket, found.user)
        next()
      },
      () => next(refusal('UNAUTHORIZED', 'authentication failed')),
    )
  })

  const onConnection = (socket: Socket) => {
    if (closed) return
    if (options.authenticate && !users.has(socket)) {
      // Only a socket that skipped the middleware gets here: connection state recovery with
      // `skipMiddlewares` on the app's Server. It is not let in without `authenticate`.
      console.error('livecrud: a connection skipped authentication (connection state recovery?)')
      socket.disconnect()
      return
    }
    const auth: unknown = socket.handshake.auth
    const rawClientId = (auth as { clientId?: unknown } | null)?.clientId
    const clientId = isValidId(rawClientId) ? rawClientId : undefined
    const user = (options.authenticate ? users.get(socket) : null) as U
    const userKey = options.userKey ?? defaultUserKey
    const origin = originOf(userKey(user), clientId, socket.id)
    const conn = new Connection<U>(
      socket,
      user,
      clientId,
      origin,
      parts.policy,
      parts.fanout,
      limits,
    )
    const detachHandlers = registerHandlers<U>(
      {
        store: parts.store,
        policy: parts.policy,
        limits,
        fanout: parts.fanout,
        allowWritesOutOfScope: options.allowWritesOutOfScope ?? false,
        schemas: options.collections,
        conn,
      },
      parts.ownsServer,
    )
    const onDisconnect = () => {
      conn.close()
      connections.delete(socket.id)
    }
    const onError = (err: unknown) => console.error('livecrud: socket error', err)
    socket.on('disconnect', onDisconnect)
    socket.on('error', onError)
    connections.set(socket.id, {
      conn,
      detach() {
        detachHandlers()
        socket.off('disconnect', onDisconnect)
        socket.off('error', onError)
      },
    })
  }
  namespace.on('connection', onConnection)

  const stopRevalidation = startRevalidation<U>(
    () => [...connections.values()].map((s) => s.conn.socket),
    options,
    (socket, user) => {
      const conn = connections.get(socket.id)?.conn
      if (!conn) return
      if (user === null) {
        // Stop the flow of events before the transport even says goodbye.
        conn.close()
        socket.disconnect(parts.ownsServer)
      } else if (user !== conn.user) {
        conn.setUser(user)
      }
    },
    limits.authTimeout,
  )

  return () => {
    if (closed) return
    closed = true
    stopRevalidation()
    namespace.off('connection', onConnection)
    for (const { conn, detach } of connections.values()) {
      conn.close()
      detach()
      conn.socket.disconnect()
    }
    connections.clear()
    served.delete(namespace)
  }
}
