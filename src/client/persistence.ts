import type { ListQuery } from '../protocol/types.js'
import type { LocalMutation } from './store/actions.js'
import type { StoreRegistry } from './StoreRegistry.js'
import type { SubscriptionManager } from './SubscriptionManager.js'
import type { AckResult, Transport } from './Transport.js'
import type { WriteQueue, WriteRequest } from './WriteQueue.js'
import type { ItemState, LiveQuery } from './types.js'

/**
 * The seam `livecrud/persist` plugs into (`createClient({ persistence })`). The core only calls these
 * hooks; every byte of storage, tab and cache logic lives in src/persist.
 */

/** 'none': no persistence passed; 'opening' until the database answered; 'memory' when it cannot be used. */
export type PersistenceState = 'none' | 'opening' | 'indexeddb' | 'memory'

/** A write as the outbox keeps it: what the queue sends and what the store replays. */
export interface OutboxWrite {
  request: Omit<WriteRequest, 'timeout'>
  /** The optimistic mutation (with its mutationId); absent for `optimistic: false`. */
  mutation?: LocalMutation | undefined
}

/** The client's parts a persistence works with (src/persist/host.ts wraps them). */
export interface ClientParts {
  readonly stores: StoreRegistry
  readonly transport: Transport
  readonly writes: WriteQueue
  readonly subscriptions: SubscriptionManager
  clientId(): string
  setClientId(id: string): void
}

/** What a persistence gives back to the client. */
export interface PersistenceSession {
  readonly state: PersistenceState
  /** Resolves once the write is durable (or kept in memory when it cannot be): then it is applied. */
  save(write: OutboxWrite): Promise<void>
  /** Every write request of the queue goes through here (another tab may be the one that sends). */
  send<R, M>(event: string, args: unknown[], timeout?: number): Promise<AckResult<R, M>>
  /** The item state as the app sees it (`fromCache` added while unconfirmed). */
  itemState<T extends ItemState>(collection: string, state: T): T
  /** Calls `listener` when what `itemState` / `query` return changes without a store change. */
  watch(collection: string, listener: () => void): () => void
  query<Q extends LiveQuery<any>>(collection: string, query: ListQuery, live: Q): Q
  clear(): Promise<void>
  close(): void
}

export interface Persistence {
  attach(client: ClientParts): PersistenceSession
}
