import { LivecrudError, isServerErrorCode, isWireError } from '../protocol/errors.js'
import type { ServerErrorCode, WireError } from '../protocol/errors.js'
import type { Item } from '../protocol/types.js'
import { describeIssues, type ValidationIssue } from '../protocol/schema.js'

/** No answer within the timeout. The server may or may not have applied the request. */
export class TimeoutError extends LivecrudError {
  override name = 'TimeoutError'
  constructor(event: string, ms: number) {
    super(
      'TIMEOUT',
      `${event} got no answer within ${ms} ms; the outcome is unknown (the server may have applied it)`,
      { event, timeout: ms },
    )
  }
}

/** The connection was lost (or the client closed) before the answer came. */
export class DisconnectedError extends LivecrudError {
  override name = 'DisconnectedError'
  constructor(event: string, reason = 'disconnected') {
    super(
      'DISCONNECTED',
      `${event} was interrupted (${reason}); the outcome is unknown (the server may have applied it)`,
      { event, reason },
    )
  }
}

/** The offline queue holds `maxQueue` writes already; this one was not accepted. */
export class QueueFullError extends LivecrudError {
  override name = 'QueueFullError'
  constructor(maxQueue: number) {
    super(
      'QUEUE_FULL',
      `the offline write queue is full (${maxQueue} writes); the write was not queued`,
      { maxQueue },
    )
  }
}

/**
 * The connection failed because the server's TLS certificate was not accepted (Node reports why:
 * `details.reason` is its code, e.g. DEPTH_ZERO_SELF_SIGNED_CERT). Nothing was sent. The client
 * keeps retrying; requests fail with this error until a connection succeeds.
 */
export class TlsError extends LivecrudError {
  override name = 'TlsError'
  constructor(reason: string, message: string) {
    super(
      'TLS',
      `the server's TLS certificate was not accepted (${reason}: ${message}); trust its CA, e.g. createClient({ socket: io(url, { ca }) }) in Node`,
      { reason },
    )
  }
}

/**
 * The collection's schema refused a write before anything happened: nothing applied, queued or sent.
 * `issues` has the shape the server sends in a BAD_REQUEST's `details.issues`.
 */
export class ValidationError extends LivecrudError {
  override name = 'ValidationError'
  declare readonly code: 'VALIDATION'
  readonly issues: ValidationIssue[]
  constructor(collection: string, issues: ValidationIssue[]) {
    super('VALIDATION', `invalid ${collection} item: ${describeIssues(issues)}`, { issues })
    this.issues = issues
  }
}

/** An error answered by the server: its code, message and details as sent. */
export class ServerError extends LivecrudError {
  override name = 'ServerError'
  declare readonly code: ServerErrorCode
  constructor(code: ServerErrorCode, message: string, details?: unknown) {
    super(code, message, details)
  }
}

/** A conditional write lost: `current` is the server's item now (null when it no longer exists). */
export class ConflictError extends ServerError {
  override name = 'ConflictError'
  readonly current: Item | null
  constructor(message: string, details?: unknown) {
    super('CONFLICT', message, details)
    const current = (details as { current?: unknown } | null | undefined)?.current
    this.current = isItemLike(current) ? current : null
  }
}

function isItemLike(value: unknown): value is Item {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as Item).id === 'string'
  )
}

/** Maps an ack's error argument to the class tree; anything malformed becomes an INTERNAL ServerError. */
export function fromWireError(error: unknown): ServerError {
  if (!isWireError(error))
    return new ServerError('INTERNAL', 'the server answered with a malformed error', error)
  const wire = error as WireError
  if (wire.code === 'CONFLICT') return new ConflictError(wire.message, wire.details)
  if (!isServerErrorCode(wire.code))
    return new ServerError('INTERNAL', wire.message, { code: wire.code, details: wire.details })
  return new ServerError(wire.code, wire.message, wire.details)
}

export { LivecrudError }
