import { io } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import { PUSH_EVENTS } from '../protocol/events.js'
import type { ChangeEvent, EventMeta, Item } from '../protocol/types.js'
import { isWireError } from '../protocol/errors.js'
import {
  DisconnectedError,
  ServerError,
  TimeoutError,
  TlsError,
  fromWireError,
  type LivecrudError,
} from './errors.js'
import { tlsFailure } from './tlsFailure.js'
import type { ConnectionState } from './types.js'
import { callSafely } from './callSafely.js'

export interface TransportOptions {
  url?: string
  socket?: Socket
  /** Read at each handshake. */
  clientId: () => string
  token?: string | (() => string | undefined)
  /** Default request timeout (ms). */
  timeout: number
  /** False: wait for `start()` before connecting (a persistence restores its state first). */
  connect?: boolean
}

export interface AckResult<R = unknown, M = unknown> {
  result: R
  meta: M | undefined
}

type AuthPayload = Record<string, unknown>
type AuthFn = (cb: (data: AuthPayload) => void) => void

/** Delay before reconnecting after the server closed the connection itself (socket.io does not). */
const SERVER_DISCONNECT_RETRY_MS = 1000

/**
 * The socket.io connection: error-first requests over acks with timeouts, push events, connection state.
 * It owns no sync logic; SubscriptionManager and WriteQueue build on it.
 */
export class Transport {
  readonly socket: Socket
  readonly defaultTimeout: number
  private state: ConnectionState
  private readonly stateListeners = new Set<(state: ConnectionState) => void>()
  private readonly pushListeners = new Set<(event: ChangeEvent) => void>()
  private readonly disposers: Array<() => void> = []
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private readonly ownsSocket: boolean
  /** Rejectors of requests still waiting, so a refused handshake or close fails them at once. */
  private readonly waiting = new Set<(error: Error) => void>()
  /**
   * Set when the server refused the handshake (e.g. UNAUTHORIZED) or its certificate was not
   * trusted (TLS); requests fail with it until a connection succeeds.
   */
  private refusal: LivecrudError | undefined

  constructor(options: TransportOptions) {
    this.defaultTimeout = options.timeout
    const auth = makeAuth(options.clientId, options.token)
    if (options.socket) {
      this.socket = options.socket
      this.ownsSocket = false
      const previous = this.socket.auth as AuthPayload | AuthFn | undefined
      // Re-read on every (re)connect: socket.io calls a function-valued `auth` each handshake.
      this.socket.auth = (cb: (data: AuthPayload) => void) => {
        const mine = (data: AuthPayload) => auth((own) => cb({ ...data, ...own }))
        if (typeof previous === 'function') previous(mine)
        else mine(previous ?? {})
      }
    } else if (options.url !== undefined) {
      this.socket = io(options.url, { auth, autoConnect: options.connect !== false })
      this.ownsSocket = true
    } else {
      throw new TypeError('createClient needs a `url` or a `socket`')
    }
    this.state = this.socket.connected ? 'connected' : 'connecting'
    this.listen()
    if (options.connect !== false) this.start()
  }

  start(): void {
    if (this.state !== 'closed' && !this.socket.connected && !this.socket.active)
      this.socket.connect()
  }

  getState(): ConnectionState {
    return this.state
  }

  isConnected(): boolean {
    return this.state === 'connected' && this.socket.connected
  }

  onState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener)
    return () => this.stateListeners.delete(listener)
  }

  onPush(listener: (event: ChangeEvent) => void): () => void {
    this.pushListeners.add(listener)
    return () => this.pushListeners.delete(listener)
  }

  /**
   * Sends `event(...args, ack)` and settles with the ack. Rejects with TimeoutError, DisconnectedError
   * or the server's error. While the first connection is still being made the request waits in
   * socket.io's buffer (bounded by the timeout); once disconnected it fails at once.
   */
  request<R = unknown, M = unknown>(
    event: string,
    args: unknown[],
    timeout: number = this.defaultTimeout,
  ): Promise<AckResult<R, M>> {
    return this.call(
      event,
      args,
      timeout,
      toAckResult as (result: unknown, meta: unknown) => AckResult<R, M>,
    )
  }

  /**
   * `request`, settled with `map(result, meta)` run when the ack arrives (rejected if it throws):
   * a hot path then needs no second promise to post-process the answer.
   */
  call<T>(
    event: string,
    args: unknown[],
    timeout: number | undefined,
    map: (result: unknown, meta: unknown) => T,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      if (this.state === 'closed') return reject(new DisconnectedError(event, 'client closed'))
      if (this.refusal) return reject(this.refusal)
      if (this.state === 'disconnected')
        return reject(new DisconnectedError(event, 'not connected'))
      const ms = validTimeout(timeout, this.defaultTimeout)
      // `reject` itself is the waiting entry: whoever removes it from the set settles the request.
      this.waiting.add(reject)
      this.socket
        .timeout(ms)
        .emit(event, ...args, (ioErr: unknown, err: unknown, result: unknown, meta: unknown) => {
          // Already failed (client closed, handshake refused): a late answer changes nothing.
          if (!this.waiting.delete(reject)) return
          if (ioErr) {
            const message = ioErr instanceof Error ? ioErr.message : String(ioErr)
            return reject(
              /timed out/.test(message)
                ? new TimeoutError(event, ms)
                : new DisconnectedError(event, message),
            )
          }
          if (err !== null && err !== undefined) return reject(fromWireError(err))
          let value: T
          try {
            value = map(result, meta)
          } catch (error) {
            return reject(error)
          }
          resolve(value)
        })
    })
  }

  /** Stops for good: no reconnect, listeners dropped, the socket closed if this transport made it. */
  close(): void {
    if (this.state === 'closed') return
    clearTimeout(this.retryTimer)
    for (const dispose of this.disposers.splice(0)) dispose()
    this.setState('closed')
    this.failWaiting(new DisconnectedError('request', 'client closed'))
    this.stateListeners.clear()
    this.pushListeners.clear()
    if (this.ownsSocket) this.socket.disconnect()
  }

  private listen(): void {
    const on = (event: string, fn: (...args: any[]) => void) => {
      this.socket.on(event, fn)
      this.disposers.push(() => this.socket.off(event, fn))
    }
    on('connect', () => {
      this.refusal = undefined
      this.setState('connected')
    })
    on('disconnect', (reason: string) => {
      this.setState('disconnected')
      if (reason === 'io server disconnect') {
        // socket.io leaves it to us; a server restart or kick should not strand the client.
        clearTimeout(this.retryTimer)
        this.retryTimer = setTimeout(() => {
          if (this.state === 'disconnected') this.socket.connect()
        }, SERVER_DISCONNECT_RETRY_MS)
      }
    })
    on('connect_error', (error: Error & { data?: unknown }) => {
      // socket.io retries transport failures itself; a refusal by the server's middleware it does not.
      if (!this.socket.active) {
        this.refusal = isWireError(error.data)
          ? fromWireError(error.data)
          : new ServerError('UNAUTHORIZED', error.message || 'connection refused')
        this.setState('disconnected')
        this.failWaiting(this.refusal)
        return
      }
      const tls = tlsFailure(error)
      if (tls) {
        // socket.io keeps retrying (the certificate may be fixed); waiting for it would only
        // turn every request into a TIMEOUT that says nothing of the cause.
        this.refusal = new TlsError(tls.reason, tls.message)
        this.setState('disconnected')
        this.failWaiting(this.refusal)
      } else if (this.state === 'connected') this.setState('disconnected')
    })
    for (const type of PUSH_EVENTS) {
      on(type, (...args: unknown[]) => {
        const event = toChangeEvent(type, args)
        if (event) for (const listener of [...this.pushListeners]) callSafely(listener, event)
      })
    }
  }

  private failWaiting(error: Error): void {
    const waiting = [...this.waiting]
    this.waiting.clear()
    for (const reject of waiting) reject(error)
  }

  private setState(state: ConnectionState): void {
    if (this.state === state || this.state === 'closed') return
    this.state = state
    for (const listener of [...this.stateListeners]) callSafely(listener, state)
  }
}

function toAckResult(result: unknown, meta: unknown): AckResult {
  return { result, meta }
}

function makeAuth(clientId: () => string, token: TransportOptions['token']): AuthFn {
  return (cb) => {
    let value: string | undefined
    try {
      value = typeof token === 'function' ? token() : token
    } catch {
      value = undefined
    }
    const id = clientId()
    cb(value === undefined ? { clientId: id } : { clientId: id, token: value })
  }
}

function validTimeout(ms: unknown, fallback: number): number {
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : fallback
}

function isMeta(value: unknown): value is EventMeta {
  if (typeof value !== 'object' || value === null) return false
  const m = value as Record<string, unknown>
  return (
    Number.isSafeInteger(m.seq) &&
    Number.isSafeInteger(m.version) &&
    (m.prevSeq === undefined || Number.isSafeInteger(m.prevSeq))
  )
}

/** Validates a push event's arguments; malformed events are ignored rather than trusted. */
export function toChangeEvent(type: string, args: unknown[]): ChangeEvent | null {
  const [collection, second, third, fourth] = args
  if (typeof collection !== 'string') return null
  if (type === 'ADDED') {
    const item = second as Record<string, unknown> | null
    if (typeof item !== 'object' || item === null || typeof item.id !== 'string') return null
    if (!isMeta(third)) return null
    return { type, collection, id: item.id, item: item as unknown as Item, meta: third }
  }
  if (type === 'CHANGED') {
    if (typeof second !== 'string' || !Array.isArray(third) || !isMeta(fourth)) return null
    return { type, collection, id: second, ops: third, meta: fourth }
  }
  if (type === 'REMOVED') {
    if (typeof second !== 'string' || !isMeta(third)) return null
    return { type, collection, id: second, meta: third }
  }
  return null
}
