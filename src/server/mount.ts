import type { Server as HttpServer } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import { Namespace, Server, type ServerOptions as IoOptions } from 'socket.io'

/** Where `attach` puts livecrud: an HTTP(S) server, an app's socket.io Server, or one of its namespaces. */
export type AttachTarget = HttpServer | HttpsServer | Server | Namespace

/** What mounting produced: the socket.io Server and the namespace livecrud serves. */
export interface Mount {
  io: Server
  namespace: Namespace
  /**
   * livecrud created the socket.io Server (the target was an HTTP server): it set the Origin check
   * (`allowRequest`), CORS and the message size limit, and no app handler shares its namespace.
   */
  ownsServer: boolean
  /** Undoes the mounting: for a Server livecrud created, closes it and gives the HTTP server back. */
  release(): void
}

/** The HTTP server events engine.io listens to (and the `request` listeners it wraps). */
const HTTP_EVENTS = ['request', 'upgrade', 'close', 'listening'] as const

export function mount(
  target: AttachTarget,
  options: { path?: string; namespace?: string },
  ioOptions: () => Partial<IoOptions>,
): Mount {
  if (isNamespace(target)) {
    if (options.namespace !== undefined && options.namespace !== target.name)
      throw new TypeError(
        `attach: options.namespace ${JSON.stringify(options.namespace)} differs from the target namespace ${JSON.stringify(target.name)}`,
      )
    return { io: target.server, namespace: target, ownsServer: false, release() {} }
  }
  if (isIoServer(target)) {
    const namespace = target.of(options.namespace ?? '/')
    return { io: target, namespace, ownsServer: false, release() {} }
  }
  if (!isHttpServer(target))
    throw new TypeError(
      'attach: the target must be an http.Server, an https.Server, a socket.io Server or a socket.io Namespace',
    )
  return mountOnHttp(target, options, ioOptions())
}

/**
 * socket.io on the app's HTTP server. engine.io takes every `request` listener off the server and
 * calls them from its own for paths other than its own; `release` puts them back, removes what
 * engine.io added, and closes socket.io's clients without closing the HTTP server (`io.close()`
 * would close it).
 */
function mountOnHttp(
  http: HttpServer | HttpsServer,
  options: { path?: string; namespace?: string },
  ioOptions: Partial<IoOptions>,
): Mount {
  const before = new Map(HTTP_EVENTS.map((e) => [e, http.listeners(e)]))
  const io = new Server(http, { ...ioOptions, path: options.path ?? '/socket.io/' })
  const added = new Map(
    HTTP_EVENTS.map((e) => [e, http.listeners(e).filter((l) => !before.get(e)!.includes(l))]),
  )
  const namespace = io.of(options.namespace ?? '/')
  let released = false
  return {
    io,
    namespace,
    ownsServer: true,
    release() {
      if (released) return
      released = true
      io.disconnectSockets(true)
      io.engine.close()
      for (const e of HTTP_EVENTS)
        for (const listener of added.get(e)!) http.off(e, listener as (...args: any[]) => void)
      const now = http.listeners('request')
      const taken = before.get('request')!.filter((l) => !now.includes(l))
      if (taken.length === 0) return
      http.removeAllListeners('request')
      for (const l of [...taken, ...now]) http.on('request', l as (...args: any[]) => void)
    },
  }
}

function isNamespace(target: unknown): target is Namespace {
  if (target instanceof Namespace) return true
  // Another copy of socket.io (a duplicated install): recognise its shape.
  const t = target as Partial<Namespace> | null
  return (
    typeof t === 'object' &&
    t !== null &&
    typeof t.name === 'string' &&
    t.sockets instanceof Map &&
    typeof t.use === 'function' &&
    typeof (t.server as Partial<Server> | undefined)?.of === 'function'
  )
}

function isIoServer(target: unknown): target is Server {
  if (target instanceof Server) return true
  const t = target as Partial<Server> | null
  return (
    typeof t === 'object' &&
    t !== null &&
    typeof t.of === 'function' &&
    typeof t.use === 'function' &&
    typeof t.attach === 'function'
  )
}

function isHttpServer(target: unknown): target is HttpServer {
  const t = target as Partial<HttpServer> | null
  return (
    typeof t === 'object' &&
    t !== null &&
    typeof t.listen === 'function' &&
    typeof t.listeners === 'function' &&
    typeof t.address === 'function'
  )
}
