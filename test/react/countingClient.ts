import type { CollectionHandle, LivecrudClient, LiveQuery } from 'livecrud/react'

/**
 * Wraps a client's public subscribe methods to count the listeners registered through them and not yet
 * released: how a test proves the hooks leak nothing without reading the client's internals.
 */
export function countingClient(client: LivecrudClient): LivecrudClient & { live(): number } {
  let live = 0
  const track = (off: () => void) => {
    live++
    let done = false
    return () => {
      if (done) return
      done = true
      live--
      off()
    }
  }
  const handles = new Map<string, CollectionHandle<any>>()
  const wrapQuery = (q: LiveQuery<any>): LiveQuery<any> => ({
    subscribe: (listener) => track(q.subscribe(listener)),
    getSnapshot: () => q.getSnapshot(),
    refetch: () => q.refetch(),
  })
  const wrapHandle = (h: CollectionHandle<any>): CollectionHandle<any> =>
    Object.assign(Object.create(h) as CollectionHandle<any>, {
      subscribeItem: (id: string, listener: () => void) => track(h.subscribeItem(id, listener)),
      subscribe: (listener: Parameters<CollectionHandle['subscribe']>[0]) =>
        track(h.subscribe(listener)),
      query: (query?: Parameters<CollectionHandle['query']>[0]) => wrapQuery(h.query(query)),
    })
  return Object.assign(Object.create(client) as LivecrudClient, {
    live: () => live,
    collection(name: string) {
      let h = handles.get(name)
      if (!h) handles.set(name, (h = wrapHandle(client.collection(name))))
      return h
    },
    subscribeConnectionState: (
      listener: Parameters<LivecrudClient['subscribeConnectionState']>[0],
    ) => track(client.subscribeConnectionState(listener)),
    subscribePendingWrites: (listener: () => void) =>
      track(client.subscribePendingWrites(listener)),
  }) as LivecrudClient & { live(): number }
}
