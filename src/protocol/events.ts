import type { Operation } from './jsonPatch.js'
import type { WireError } from './errors.js'
import type {
  ChangeEvent,
  EventMeta,
  Id,
  Item,
  ListQuery,
  ListResult,
  SubscribeOptions,
  SubscribeResult,
  WriteAckMeta,
  WriteMeta,
} from './types.js'

/** Request event names (client → server). Every request's last argument is an error-first ack. */
export const REQUEST_EVENTS = [
  'GET',
  'LIST',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
] as const
export type RequestEvent = (typeof REQUEST_EVENTS)[number]

/** Push event names (server → client). */
export const PUSH_EVENTS = ['ADDED', 'CHANGED', 'REMOVED'] as const
export type PushEvent = (typeof PUSH_EVENTS)[number]

/** An error-first ack: `ack(null, result, meta?)` or `ack(error)`. */
export type Ack<R, M = never> = (error: WireError | null, result?: R, meta?: M) => void

export interface ClientToServerEvents {
  GET: (collection: string, id: Id, ack: Ack<Item | null>) => void
  LIST: (collection: string, query: ListQuery, ack: Ack<ListResult>) => void
  POST: (
    collection: string,
    item: Record<string, unknown>,
    meta: WriteMeta,
    ack: Ack<Item, WriteAckMeta>,
  ) => void
  PUT: (collection: string, item: Item, meta: WriteMeta, ack: Ack<Item, WriteAckMeta>) => void
  PATCH: (
    collection: string,
    patch: Record<string, unknown> | Operation[],
    meta: WriteMeta,
    ack: Ack<Item, WriteAckMeta>,
  ) => void
  DELETE: (collection: string, id: Id, meta: WriteMeta, ack: Ack<boolean, WriteAckMeta>) => void
  SUBSCRIBE: (collection: string, options: SubscribeOptions, ack: Ack<SubscribeResult>) => void
  UNSUBSCRIBE: (collection: string, ack: Ack<true>) => void
}

export interface ServerToClientEvents {
  ADDED: (collection: string, item: Item, meta: EventMeta) => void
  CHANGED: (collection: string, id: Id, ops: Operation[], meta: EventMeta) => void
  REMOVED: (collection: string, id: Id, meta: EventMeta) => void
}

/** The handshake `auth` payload a client sends: `io(url, { auth })`. */
export interface HandshakeAuth {
  /** Stable per client instance across reconnects; scopes idempotency and echo matching. */
  clientId?: string
  token?: string
}

export type { ChangeEvent }
