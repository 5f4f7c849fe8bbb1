import type { Item, WriteAckMeta } from '../protocol/index.js'
import { ConflictError, ServerError } from './errors.js'
import type { StoreRegistry } from './StoreRegistry.js'
import type { WriteRequest } from './WriteQueue.js'

/**
 * What a write's answer does to the store: the optimistic write is acknowledged, rejected or
 * conflicted; a non-optimistic write teaches the store the server's result. An answer of the wrong
 * shape is an INTERNAL error (the echo or a later resync brings the server's truth).
 */
export function writeSucceeded(
  stores: StoreRegistry,
  w: WriteRequest,
  result: unknown,
  meta: WriteAckMeta | undefined,
): ServerError | void {
  const valid = w.kind === 'DELETE' ? typeof result === 'boolean' : isItem(result)
  if (!valid) {
    const error = new ServerError(
      'INTERNAL',
      `the server answered ${w.kind} with a malformed result`,
    )
    // The outcome is unusable; the echo or a later resync brings the server's truth.
    if (w.optimistic)
      stores.dispatch(w.collection, {
        type: 'local/reject',
        mutationId: w.mutationId,
        error,
      })
    return error
  }
  if (w.optimistic) {
    stores.dispatch(w.collection, {
      type: 'local/ack',
      mutationId: w.mutationId,
      result: result as Item | boolean,
      ...(meta ? { meta } : {}),
    })
    return
  }
  if (w.kind === 'DELETE') {
    if (result === true && meta)
      stores.dispatch(w.collection, {
        type: 'server/removed',
        id: w.id,
        meta: {
          seq: meta.seq,
          prevSeq: meta.seq,
          version: meta.version,
          mutationId: w.mutationId,
        },
      })
    else stores.dispatch(w.collection, { type: 'server/missing', id: w.id })
  } else if (isItem(result)) {
    stores.dispatch(w.collection, { type: 'server/items', items: [result] })
  }
}

export function writeFailed(stores: StoreRegistry, w: WriteRequest, error: ServerError): void {
  if (error instanceof ConflictError) {
    if (w.optimistic)
      stores.dispatch(w.collection, {
        type: 'local/conflict',
        mutationId: w.mutationId,
        current: error.current,
        error,
      })
    else if (error.current)
      stores.dispatch(w.collection, { type: 'server/items', items: [error.current] })
    else stores.dispatch(w.collection, { type: 'server/missing', id: w.id })
    return
  }
  if (w.optimistic)
    stores.dispatch(w.collection, { type: 'local/reject', mutationId: w.mutationId, error })
}

function isItem(value: unknown): value is Item {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { id?: unknown }).id === 'string'
  )
}
