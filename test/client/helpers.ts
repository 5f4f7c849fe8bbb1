import { createClient } from 'livecrud'
import type { ClientOptions, Item, LivecrudClient } from 'livecrud'
import { createServer } from 'livecrud/server'
import type { LivecrudServer, ServerOptions } from 'livecrud/server'

export const delay = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls `check` until it holds; bounded so a broken test fails instead of hanging. */
export async function until(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`)
    await delay(5)
  }
}

export interface Harness {
  server: LivecrudServer
  client(options?: Partial<ClientOptions>): Promise<LivecrudClient>
  close(): Promise<void>
}

/** A reference server on 127.0.0.1:0 and clients that are closed with it. */
export async function harness(options: ServerOptions = {}): Promise<Harness> {
  const server = await createServer({ host: '127.0.0.1', port: 0, ...options })
  const clients: LivecrudClient[] = []
  return {
    server,
    async client(opts = {}) {
      const c = createClient({ url: server.url, timeout: 2000, unsubscribeDelay: 50, ...opts })
      clients.push(c)
      await until(() => c.getConnectionState() === 'connected', 5000, 'connected')
      return c
    },
    async close() {
      for (const c of clients) c.close()
      await server.close()
    },
  }
}

/** The server's items of a collection (through the store, not a client). */
export async function serverItems(server: LivecrudServer, collection: string): Promise<Item[]> {
  const all: Item[] = []
  for (let page = 1; ; page++) {
    const r = await server.store.list(
      collection,
      { page, pageSize: 1000, sort: [{ field: 'id', dir: 'asc' }], filters: {} },
      undefined,
    )
    all.push(...r.items)
    if (all.length >= r.total || r.items.length === 0) return all
  }
}
