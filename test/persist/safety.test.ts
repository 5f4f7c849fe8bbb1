import { afterEach, describe, expect, it, vi } from 'vitest'
import { IDBObjectStore } from 'fake-indexeddb'
import { createClient } from 'livecrud'
import type { LivecrudClient } from 'livecrud'
import { indexedDBPersistence } from 'livecrud/persist'
import { Browser, RestartableServer, eventually, serverItems, until } from './helpers.js'

let server: RestartableServer | undefined
let browser: Browser | undefined
const clients: LivecrudClient[] = []
afterEach(async () => {
  browser?.closeAll()
  for (const c of clients.splice(0)) c.close()
  await server?.stop()
  server = browser = undefined
  vi.restoreAllMocks()
})

const DB = 'livecrud:app:u1'

function openRaw(factory: IDBFactory, version: number, upgrade: (db: IDBDatabase) => void) {
  return new Promise<IDBDatabase>((resolve, reject) => {
    const r = factory.open(DB, version)
    r.onupgradeneeded = () => upgrade(r.result)
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error)
  })
}

async function writeOnce(page: LivecrudClient, id: string) {
  await until(() => page.getPersistenceState() !== 'opening', 5000, 'opened')
  await page.postItem({ id, title: id }, 'todos')
}

describe('livecrud/persist: safety', () => {
  it('clears a database written by a newer format, with a warning, and works', async () => {
    server = await new RestartableServer().start()
    browser = new Browser()
    const old = await openRaw(browser.indexedDB, 7, (db) => db.createObjectStore('junk'))
    old.close()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const page = browser.page(server.url)
    await writeOnce(page, 'n1')
    expect(page.getPersistenceState()).toBe('indexeddb')
    expect(warn.mock.calls.join(' ')).toMatch(/incompatible database cleared/)
    expect((await browser.indexedDB.databases()).find((d) => d.name === DB)?.version).toBe(1)
  })

  it('clears a database of another shape, or with unreadable records', async () => {
    server = await new RestartableServer().start()
    browser = new Browser()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    // Right version, other stores.
    ;(await openRaw(browser.indexedDB, 1, (db) => db.createObjectStore('outbox_v0'))).close()
    const page1 = browser.page(server.url)
    await writeOnce(page1, 'p1')
    expect(warn.mock.calls.join(' ')).toMatch(/incompatible database cleared/)
    page1.close()

    // Our stores, but garbage in the outbox and the cache.
    const db = await openRaw(browser.indexedDB, 1, () => {})
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(['meta', 'outbox', 'cache'], 'readwrite')
      tx.objectStore('outbox').put({ not: 'a write' }, 'm1')
      tx.objectStore('cache').put('garbage', 'todos')
      tx.oncomplete = () => resolve()
      tx.onerror = () => reject(tx.error)
    })
    db.close()
    warn.mockClear()
    const page2 = browser.page(server.url)
    await writeOnce(page2, 'p2')
    expect(warn.mock.calls.join(' ')).toMatch(/unreadable records: cleared/)
    page2.close()

    expect((await serverItems(server.server!, 'todos')).map((i) => i.id)).toEqual(['p1', 'p2'])
  })

  it('goes on in memory when the outbox hits the quota', async () => {
    server = await new RestartableServer().start()
    browser = new Browser()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const page = browser.page(server.url)
    await until(() => page.getPersistenceState() === 'indexeddb', 5000, 'opened')
    const put = IDBObjectStore.prototype.put
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (
      this: IDBObjectStore,
      ...args: Parameters<IDBObjectStore['put']>
    ) {
      if (this.name === 'outbox') throw new DOMException('quota', 'QuotaExceededError')
      return put.apply(this, args)
    })
    await expect(page.postItem({ id: 'q', title: 'q' }, 'todos')).resolves.toMatchObject({
      id: 'q',
    })
    expect(page.getPersistenceState()).toBe('memory')
    expect(warn.mock.calls.join(' ')).toMatch(/QuotaExceededError|quota/)
    await page.postItem({ id: 'r', title: 'r' }, 'todos')
    expect((await serverItems(server.server!, 'todos')).map((i) => i.id)).toEqual(['q', 'r'])
  })

  it('works in memory where there is no IndexedDB (Node)', async () => {
    server = await new RestartableServer().start()
    expect(globalThis.indexedDB).toBeUndefined()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const client = createClient({
      url: server.url,
      persistence: indexedDBPersistence({ name: 'app:u1' }),
    })
    clients.push(client)
    await until(() => client.getConnectionState() === 'connected', 5000, 'connected')
    expect(client.getPersistenceState()).toBe('memory')
    expect(warn).toHaveBeenCalledTimes(1)
    await client.postItem({ id: 'm', title: 'm' }, 'todos')
    expect(
      createClient({ url: server.url, autoConnect: false } as never).getPersistenceState(),
    ).toBe('none')
  })

  it('clearPersistence() deletes the database: outbox, cache and clientId', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    server = await new RestartableServer().start()
    browser = new Browser()
    const page = browser.page(server.url)
    const q = page.collection('todos').query()
    const off = q.subscribe(() => {})
    await writeOnce(page, 'c1')
    await eventually(async () => (await browser!.records('cache')).length === 1)
    const other = browser.page(server.url) // another tab holds the database open
    await until(() => other.getPersistenceState() === 'indexeddb', 5000, 'other tab opened')
    await page.clearPersistence()
    expect(await browser.databases()).toEqual([])
    expect(page.getPersistenceState()).toBe('memory')
    await until(() => other.getPersistenceState() === 'memory', 5000, 'other tab let go')
    expect(warn.mock.calls.join(' ')).toMatch(/deleted by another page/)
    // Still works, and writes nothing any more.
    await page.postItem({ id: 'c2' }, 'todos')
    await new Promise((r) => setTimeout(r, 400))
    expect(await browser.databases()).toEqual([])
    off()
  })
})
