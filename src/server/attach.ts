import type { Namespace, Server } from 'socket.io'
import { originPolicy } from './auth.js'
import { Fanout } from './fanout.js'
import { resolveLimits } from './limits.js'
import { mount, type AttachTarget } from './mount.js'
import { Policy } from './Policy.js'
import { serveNamespace } from './serveNamespace.js'
import { MemoryStore } from './stores/MemoryStore.js'
import type { Store } from './stores/Store.js'
import type { ServerOptions } from './types.js'

export type { AttachTarget } from './mount.js'

/** `createServer`'s options without the listening ones, plus where to mount. */
export interface AttachOptions<U = unknown> extends Omit<
  ServerOptions<U>,
  'port' | 'host' | 'tls'
> {
  /** The socket.io path, when the target is an HTTP server (default `/socket.io/`). */
  path?: string
  /** The namespace livecrud serves, when the target is an HTTP server or a socket.io Server (default `/`). */
  namespace?: string
}

/** livecrud mounted on an app's server. */
export interface Attached {
  io: Server
  namespace: Namespace
  store: Store
  /**
   * Detaches livecrud: its middleware lets connections through (to the app's handlers), its
   * handlers come off every socket it served and those sockets leave its namespace, its timers and
   * feeds stop, the store closes if livecrud created it. The app's HTTP server keeps listening and
   * its other namespaces keep their connections; a socket.io Server livecrud created is closed.
   */
  close(): Promise<void>
}

/**
 * Mounts the livecrud protocol on an app's server:
 * - an `http.Server` / `https.Server`: livecrud creates the socket.io Server on it (at `path`), with
 *   the Origin check at the HTTP handshake (`allowRequest`), CORS for the allowed origins and the
 *   message size limit; the app's own request handlers keep every other path.
 * - a socket.io `Server`: livecrud serves `namespace` (default `/`); the app's `io.use` middleware
 *   registered before `attach` runs first, so `authenticate` sees what it stored.
 * - a socket.io `Namespace`: livecrud serves that namespace.
 * On an app's Server the app owns the handshake: the Origin check then happens in livecrud's
 * namespace middleware, and CORS, `maxHttpBufferSize` and connection state recovery are the app's
 * to configure (see the README).
 */
export function attach<U = unknown>(
  target: AttachTarget,
  options: AttachOptions<U> = {},
): Attached {
  const limits = resolveLimits(options.limits)
  const allowOrigin = originPolicy(options)
  const policy = new Policy<U>(options)
  const mounted = mount(target, options, () => ({
    serveClient: false,
    maxHttpBufferSize: limits.maxHttpBufferSize,
    // Longer than the authentication timeout, so a slow `authenticate` ends in a clear refusal.
    connectTimeout: limits.authTimeout + 1000,
    // socket.io's connection state recovery stays OFF: it would replay buffered packets to a
    // reconnecting client without running `authenticate` again (its default `skipMiddlewares`),
    // letting a revoked user back in. Correctness after a reconnect comes from SUBSCRIBE `since`
    // and mutation ids instead.
    allowRequest: (req, callback) => {
      const ok = allowOrigin(req.headers.origin, req.headers.host)
      callback(ok ? null : 'origin not allowed', ok)
    },
    cors: {
      origin: (origin, callback) => callback(null, origin ? allowOrigin(origin, undefined) : false),
      credentials: true,
    },
  }))
  const ownStore = !options.store
  const store = options.store ?? new MemoryStore({ changeRetention: options.changeRetention })
  const fanout = new Fanout(store)
  let stopServing: () => void
  try {
    stopServing = serveNamespace<U>(mounted.namespace, {
      store,
      policy,
      fanout,
      limits,
      options,
      allowOrigin,
      ownsServer: mounted.ownsServer,
    })
  } catch (err) {
    fanout.close()
    mounted.release()
    if (ownStore) void store.close()
    throw err
  }
  let closing: Promise<void> | undefined
  return {
    io: mounted.io,
    namespace: mounted.namespace,
    store,
    close() {
      closing ??= (async () => {
        stopServing()
        fanout.close()
        mounted.release()
        if (ownStore) await store.close()
      })()
      return closing
    },
  }
}
