import type { LocalMutation } from './store/actions.js'
import type { StoreRegistry } from './StoreRegistry.js'
import type { SubscriptionManager } from './SubscriptionManager.js'
import type { Transport } from './Transport.js'
import type { WriteQueue, WriteRequest } from './WriteQueue.js'
import type { CollectionHandle } from './types.js'

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

/** The client's parts a persistence works with (ClientCore; src/persist/host.ts wraps them). */
export interface ClientParts {
  /** Replaced by the persisted one before the first connection. */
  clientId: string
  readonly stores: StoreRegistry
  readonly transport: Transport
  readonly writes: WriteQueue
  readonly subscriptions: SubscriptionManager
}

/** What a persistence gives back to the client. */
export interface PersistenceSession {
  readonly state: PersistenceState
  /** Resolves once the write is durable (or kept in memory when it cannot be): then it is applied. */
  save(write: OutboxWrite): Promise<void>
  /** Wraps a collection handle's reads (`fromCache` on item states and live-query snapshots). */
  decorate(handle: CollectionHandle<any>): void
  clear(): Promise<void>
  close(): void
}

export interface Persistence {
  attach(client: ClientParts): PersistenceSession
}
