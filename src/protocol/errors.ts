/** Error codes a server can answer with. */
export const SERVER_ERROR_CODES = [
  'BAD_REQUEST',
  'NOT_FOUND',
  'CONFLICT',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'INTERNAL',
] as const
export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number]

/**
 * Codes only the client produces: TIMEOUT and DISCONNECTED leave the request's outcome unknown;
 * QUEUE_FULL, TLS (the server's certificate was not accepted) and VALIDATION (the collection's
 * schema refused the write) mean nothing was sent.
 */
export type ClientErrorCode = 'TIMEOUT' | 'DISCONNECTED' | 'QUEUE_FULL' | 'TLS' | 'VALIDATION'
export type ErrorCode = ServerErrorCode | ClientErrorCode

/** The first argument of a failed ack. */
export interface WireError {
  code: ServerErrorCode
  message: string
  details?: unknown
}

export function isWireError(value: unknown): value is WireError {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return typeof v.code === 'string' && typeof v.message === 'string'
}

export function isServerErrorCode(code: unknown): code is ServerErrorCode {
  return typeof code === 'string' && (SERVER_ERROR_CODES as readonly string[]).includes(code)
}

/**
 * The root of every error livecrud raises, on the client and in the reference server.
 * `code` is stable and machine-readable; `details` carries structured context (for CONFLICT: `{ current }`).
 */
export class LivecrudError extends Error {
  override name = 'LivecrudError'
  readonly code: ErrorCode
  readonly details: unknown
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message)
    this.code = code
    this.details = details
  }
  toWire(): WireError {
    const code = isServerErrorCode(this.code) ? this.code : 'INTERNAL'
    return this.details === undefined
      ? { code, message: this.message }
      : { code, message: this.message, details: this.details }
  }
}
