import { LivecrudError, type WireError } from '../../protocol/index.js'
import type { WriteDecision, WriteRequest } from './Store.js'

/**
 * The first decision about a mutationId is its answer forever. A refusal with one of these codes is
 * a decision about the write (the request ran and the store judged it), so stores remember it with
 * the mutation exactly like a success and give it to every later attempt. Codes that decided
 * nothing — RATE_LIMITED, UNAUTHORIZED, INTERNAL — are not remembered: a retry is judged afresh.
 */
const DECIDING = new Set<string>([
  'BAD_REQUEST',
  'NOT_FOUND',
  'CONFLICT',
  'FORBIDDEN',
  'PAYLOAD_TOO_LARGE',
])

/** `decide`'s outcome: a decision to write, or a refusal to remember (other throws propagate). */
export type Judgement =
  { decision: WriteDecision; refusal?: undefined } | { decision?: undefined; refusal: WireError }

export function judge(
  request: WriteRequest,
  current: Parameters<WriteRequest['decide']>[0],
): Judgement {
  try {
    return { decision: request.decide(current) }
  } catch (err) {
    if (err instanceof LivecrudError && DECIDING.has(err.code)) return { refusal: err.toWire() }
    throw err
  }
}

/** The error a remembered refusal is answered with, to the first attempt and every retry alike. */
export function refusalError(wire: WireError): LivecrudError {
  return new LivecrudError(wire.code, wire.message, wire.details)
}
