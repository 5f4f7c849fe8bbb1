import { IDBFactory } from 'fake-indexeddb'
import { createClient } from 'livecrud'
import type { ClientOptions, LivecrudClient } from 'livecrud'
import { indexedDBPersistence, type IndexedDBPersistenceOptions } from 'livecrud/persist'
import { MemoryStore, createServer, type MemoryStoreOptions } from 'livecrud/server'
import type { LivecrudServer } from 'livecrud/server'

export { until, delay, serverItems } from '../client/helpers.js'

/** Polls an async `check` until it holds; bounded. */
export async function eventually(
  check: () => Promise<boolean>,
  ms = 5000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** A reference server that can be stopped and started again on the same port with the same data. */
export class RestartableServer {
  readonly store: MemoryStore
  server: LivecrudServer | undefined
  port = 0

  constructor(options: MemoryStoreOptions = {}) {
    this.store = new MemoryStore(options)
  }

  async start(): Promise<this> {
    this.server = await createServer({ host: '127.0.0.1', port: this.port, store: this.store })
    this.port = this.server.port
    return this
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  async stop(): Promise<void> {
    await this.server?.close()
    this.server = undefined
  }
}

/** Pages of one origin: clients made with the same database (a reload = close, then a new page). */
export class Browser {
  readonly indexedDB = new IDBFactory()
  private readonly clients: LivecrudClient[] = []

  page(
    url: string,
    persistence: Partial<IndexedDBPersistenceOptions> = {},
    options: Partial<ClientOptions> = {},
  ): LivecrudClient {
    const client = createClient({
      url,
      timeout: 2000,
      unsubscribeDelay: 50,
      persistence: indexedDBPersistence({
        name: 'app:u1',
        indexedDB: this.indexedDB,
        ...persistence,
      }),
      ...options,
    })
    this.clients.push(client)
    return client
  }

  /** The records of one object store of the database, read directly. */
  async records(store: 'outbox' | 'cache' | 'meta', name = 'livecrud:app:u1'): Promise<unknown[]> {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = this.indexedDB.open(name)
      r.onsuccess = () => resolve(r.result)
      r.onerror = () => reject(r.error)
    })
    try {
      if (!db.objectStoreNames.contains(store)) return []
      return await new Promise<unknown[]>((resolve, reject) => {
        const r = db.transaction(store, 'readonly').objectStore(store).getAll()
        r.onsuccess = () => resolve(r.result)
        r.onerror = () => reject(r.error)
      })
    } finally {
      db.close()
    }
  }

  async databases(): Promise<string[]> {
    return (await this.indexedDB.databases()).map((d) => d.name!)
  }

  closeAll(): void {
    for (const c of this.clients.splice(0)) c.close()
  }
}

export { createServer }
