import type { Socket } from 'socket.io'
import type { ServerOptions } from './types.js'

/** The `connect_error` a refused client sees: `err.message` and `err.data.code`. */
export function refusal(
  code: 'UNAUTHORIZED' | 'FORBIDDEN',
  message: string,
): Error & { data: { code: string; message: string } } {
  const err = new Error(message) as Error & { data: { code: string; message: string } }
  err.data = { code, message }
  return err
}

export function unauthorized(message: string): Error & { data: { code: string; message: string } } {
  return refusal('UNAUTHORIZED', message)
}

/** Resolves the user or null; every failure (throw, rejection, timeout, falsy) is a refusal. */
export async function resolveUser<U>(
  authenticate: NonNullable<ServerOptions<U>['authenticate']>,
  socket: Socket,
  timeoutMs: number,
): Promise<{ user: U } | null> {
  let timer: NodeJS.Timeout | undefined
  try {
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs)
    })
    const user = await Promise.race([
      Promise.resolve().then(() =>
        authenticate(socket.handshake, {
          request: socket.request,
          data: socket.data as Record<string, unknown>,
        }),
      ),
      timeout,
    ])
    if (user === null || user === undefined || user === false) return null
    return { user: user as U }
  } catch {
    return null
  } finally {
    clearTimeout(timer)
  }
}

/** `host` is the request's Host header (undefined where no request is at hand, e.g. CORS). */
export type OriginPolicy = (origin: string | undefined, host: string | undefined) => boolean

/**
 * Browsers always send Origin on WebSocket upgrades and cross-origin requests, so checking it in
 * `allowRequest` stops cross-site WebSocket hijacking (socket.io's `cors` option alone does not).
 */
export function originPolicy(options: ServerOptions<any>): OriginPolicy {
  const allowed = options.allowedOrigins
  const allowNoOrigin = options.allowNoOrigin ?? true
  return (origin, host) => {
    if (origin === undefined || origin === '') return allowNoOrigin
    if (allowed === '*') return true
    if (typeof allowed === 'function') {
      try {
        return allowed(origin) === true
      } catch {
        return false
      }
    }
    if (Array.isArray(allowed)) return allowed.includes(origin)
    // Default: same origin only.
    try {
      return host !== undefined && new URL(origin).host === host
    } catch {
      return false
    }
  }
}

/** Runs `authenticate` again for every connection; those refused are disconnected at once. */
export function startRevalidation<U>(
  sockets: () => Socket[],
  options: ServerOptions<U>,
  onUser: (socket: Socket, user: U | null) => void,
  timeoutMs: number,
): () => void {
  const authenticate = options.authenticate
  const interval = options.revalidateInterval ?? 60_000
  if (!authenticate || !(interval > 0)) return () => {}
  let running = false
  const timer = setInterval(() => {
    if (running) return
    running = true
    Promise.all(
      sockets().map(async (socket) => {
        const found = await resolveUser(authenticate, socket, timeoutMs)
        onUser(socket, found ? found.user : null)
      }),
    )
      .catch((err: unknown) => console.error('livecrud: revalidation failed', err))
      .finally(() => {
        running = false
      })
  }, interval)
  timer.unref()
  return () => clearInterval(timer)
}
