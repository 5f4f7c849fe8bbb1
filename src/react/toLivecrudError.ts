import { LivecrudError } from '../protocol/errors.js'

/** Hooks expose `LivecrudError | null`; anything else a promise rejects with is wrapped, not lost. */
export function toLivecrudError(error: unknown): LivecrudError {
  if (error instanceof LivecrudError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new LivecrudError('INTERNAL', message, { cause: error })
}
