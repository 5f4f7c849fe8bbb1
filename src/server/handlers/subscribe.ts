import type { ChangeEvent, SubscribeResult } from '../../protocol/index.js'
import { LivecrudError } from '../../protocol/index.js'
import { isWriter, toEvent } from '../toEvent.js'
import { isPlainObject, validateCollection, validateSince } from '../validate.js'
import type { Handler } from './context.js'

/**
 * SUBSCRIBE (collection, { since? }) → { seq, changes?, reset? }.
 * The connection joins first and buffers live changes, then reads its baseline; after the ack the
 * buffer is released, skipping what the baseline already covered — nothing is lost or sent twice.
 */
export const handleSubscribe: Handler = async (ctx, [rawCollection, rawOptions]) => {
  const collection = validateCollection(rawCollection)
  if (rawOptions !== undefined && rawOptions !== null && !isPlainObject(rawOptions))
    throw new LivecrudError('BAD_REQUEST', 'options must be an object { since? }')
  const since = validateSince(rawOptions?.since)
  const { conn, policy, store } = ctx
  policy.authorize({ user: conn.user, action: 'SUBSCRIBE', collection })
  return conn.serial(async () => {
    const sub = conn.join(collection)
    let result: SubscribeResult
    try {
      if (since === undefined) {
        result = { seq: await store.seq(collection) }
      } else {
        const log = await store.changesSince(collection, since)
        // A RESET in the range (a TRUNCATE) cannot be replayed as events: refetch.
        if (log.tooOld || log.changes.some((c) => c.type === 'RESET')) {
          result = { seq: log.seq, reset: true }
        } else {
          const viewer = conn.viewer(collection)
          const changes: ChangeEvent[] = []
          let prev = since
          for (const change of log.changes) {
            const writer = isWriter(change, conn.origin, conn.clientId)
            const event = toEvent(change, viewer, prev, writer)
            if (event) {
              changes.push(event)
              prev = change.seq
            }
          }
          result = { seq: log.seq, changes }
        }
      }
    } catch (err) {
      conn.leave(collection, sub)
      throw err
    }
    const seq = result.seq
    return { result, after: () => conn.go(collection, sub, seq) }
  })
}

/** UNSUBSCRIBE (collection) → true (also when it was not subscribed). */
export const handleUnsubscribe: Handler = async (ctx, [rawCollection]) => {
  const collection = validateCollection(rawCollection)
  const { conn } = ctx
  return conn.serial(async () => {
    conn.leave(collection)
    return { result: true }
  })
}
