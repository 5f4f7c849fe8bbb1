import { LivecrudError, type RequestEvent, type WireError } from '../../protocol/index.js'
import type { Handler, HandlerContext } from './context.js'
import { handleGet, handleList } from './read.js'
import { handleSubscribe, handleUnsubscribe } from './subscribe.js'
import { handleDelete, handlePatch, handlePost, handlePut } from './write.js'

interface Route {
  handler: Handler
  /** Accepted argument counts, ack excluded. */
  min: number
  max: number
}

const ROUTES: Record<RequestEvent, Route> = {
  GET: { handler: handleGet, min: 2, max: 2 },
  LIST: { handler: handleList, min: 1, max: 2 },
  POST: { handler: handlePost, min: 3, max: 3 },
  PUT: { handler: handlePut, min: 3, max: 3 },
  PATCH: { handler: handlePatch, min: 3, max: 3 },
  DELETE: { handler: handleDelete, min: 3, max: 3 },
  SUBSCRIBE: { handler: handleSubscribe, min: 1, max: 2 },
  UNSUBSCRIBE: { handler: handleUnsubscribe, min: 1, max: 1 },
}

type AckFn = (...args: unknown[]) => void

/** Turns anything thrown into a wire error; unexpected errors are logged, not revealed. */
export function toWireError(err: unknown): WireError {
  if (err instanceof LivecrudError) return err.toWire()
  console.error('livecrud: request failed', err)
  return { code: 'INTERNAL', message: 'internal server error' }
}

function takeAck(args: unknown[]): AckFn | undefined {
  const last = args[args.length - 1]
  if (typeof last !== 'function') return undefined
  args.pop()
  return last as AckFn
}

/** Calls an ack at most once and never lets it throw into socket.io. */
function safe(ack: AckFn | undefined): AckFn {
  let done = false
  return (...reply) => {
    if (done || !ack) return
    done = true
    try {
      ack(...reply)
    } catch (err) {
      console.error('livecrud: sending an ack failed', err)
    }
  }
}

function refuse(ack: AckFn, code: WireError['code'], message: string): void {
  ack({ code, message } satisfies WireError)
}

/**
 * Wires every request event of a connection. Each request is admitted by the rate limiter, checked
 * for its argument count and run inside a promise chain, so no throw or rejection escapes to
 * socket.io (which would crash the process). A missing ack callback is tolerated.
 */
export function registerHandlers<U>(
  ctx: HandlerContext<U>,
  /** Answer BAD_REQUEST to events livecrud does not know (only where no app shares the namespace). */
  refuseUnknown = true,
): () => void {
  const { socket } = ctx.conn
  const listeners: Array<[string, (...args: any[]) => void]> = []
  for (const name of Object.keys(ROUTES) as RequestEvent[]) {
    const route = ROUTES[name]
    const listener = (...args: unknown[]) => {
      const ack = safe(takeAck(args))
      try {
        if (ctx.conn.closed) return refuse(ack, 'UNAUTHORIZED', 'connection is closed')
        const admitted = ctx.conn.limiter.tryStart()
        if (admitted !== 'ok')
          return refuse(
            ack,
            'RATE_LIMITED',
            admitted === 'rate' ? 'too many requests per second' : 'too many requests in flight',
          )
        if (args.length < route.min || args.length > route.max) {
          ctx.conn.limiter.done()
          return refuse(ack, 'BAD_REQUEST', `${name} takes ${route.min}–${route.max} arguments`)
        }
        Promise.resolve()
          .then(() => route.handler(ctx as HandlerContext, args))
          .then(
            (reply) => {
              if (reply.meta === undefined) ack(null, reply.result)
              else ack(null, reply.result, reply.meta)
              reply.after?.()
            },
            (err: unknown) => ack(toWireError(err)),
          )
          .catch((err: unknown) => console.error('livecrud: after-ack work failed', err))
          .finally(() => ctx.conn.limiter.done())
      } catch (err) {
        ack(toWireError(err))
      }
    }
    socket.on(name, listener)
    listeners.push([name, listener])
  }
  const detach = () => {
    for (const [name, listener] of listeners) socket.off(name, listener)
    socket.offAny(onUnknown)
  }
  const onUnknown = (event: unknown, ...args: unknown[]) => {
    if (typeof event === 'string' && Object.hasOwn(ROUTES, event)) return
    const ack = takeAck(args)
    if (!ack) return
    // Unknown events count against the rate limit too, so they cannot be used to flood.
    const admitted = ctx.conn.limiter.tryStart()
    if (admitted !== 'ok') return refuse(safe(ack), 'RATE_LIMITED', 'too many requests')
    ctx.conn.limiter.done()
    refuse(safe(ack), 'BAD_REQUEST', `unknown event ${JSON.stringify(String(event)).slice(0, 80)}`)
  }
  if (refuseUnknown) socket.onAny(onUnknown)
  return detach
}
