import type { AckResult } from '../client/Transport.js'
import type { ClientParts, OutboxWrite } from '../client/persistence.js'
import type { StoreRegistry } from '../client/StoreRegistry.js'
import type { PendingWrite } from '../client/types.js'

/** What the persistence does with the client, in its own words (built over the client's parts). */
export interface Host {
  readonly stores: StoreRegistry
  readonly clientId: string
  /** Connects (once) with this clientId: called when what was persisted is restored. */
  start(clientId: string): void
  /** A write made by an earlier page or another tab: pending in the store and queued, in order. */
  adopt(write: OutboxWrite): Promise<unknown>
  getPendingWrites(): readonly PendingWrite[]
  /** Sends a write request on this client's own connection. */
  send<R, M>(event: string, args: unknown[], timeout?: number): Promise<AckResult<R, M>>
  /** Sends what waits now (this tab became the one that flushes). */
  flush(): void
  /** Resumes the collection's stream after this seq (the one its cached items correspond to). */
  setSeq(collection: string, seq: number): void
  getSeq(collection: string): number | undefined
  /** Called with a collection's name each time it (re)joined and caught up with the server. */
  onSynced(listener: (collection: string) => void): void
}

export function makeHost(p: ClientParts): Host {
  let started = false
  return {
    stores: p.stores,
    get clientId() {
      return p.clientId()
    },
    start(clientId) {
      if (started) return
      started = true
      p.setClientId(clientId)
      p.transport.start()
    },
    adopt({ request, mutation }) {
      try {
        p.writes.checkCapacity()
        if (request.optimistic && mutation)
          p.stores.dispatch(request.collection, { type: 'local/write', mutation })
        return p.writes.submit({ ...request, timeout: undefined })
      } catch (error) {
        return Promise.reject(error)
      }
    },
    getPendingWrites: () => p.writes.getPending(),
    send: (event, args, timeout) => p.transport.request(event, args, timeout),
    flush: () => void p.writes.flush(),
    setSeq: (collection, seq) => p.subscriptions.setSeq(collection, seq),
    getSeq: (collection) => p.subscriptions.getSeq(collection),
    onSynced(listener) {
      p.subscriptions.onSynced = listener
    },
  }
}
