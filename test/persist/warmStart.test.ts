import { afterEach, describe, expect, it } from 'vitest'
import { createClient } from 'livecrud'
import type { LiveQuerySnapshot, LivecrudClient } from 'livecrud'
import { Browser, RestartableServer, eventually, until } from './helpers.js'

let server: RestartableServer | undefined
let browser: Browser | undefined
const others: LivecrudClient[] = []
afterEach(async () => {
  browser?.closeAll()
  for (const c of others.splice(0)) c.close()
  await server?.stop()
  server = browser = undefined
})

interface CacheRecord {
  seq: number
  n: number
  items: string
}

function watch(client: LivecrudClient, collection = 'todos') {
  const q = client.collection(collection).query({ sort: 'id' })
  const snaps: LiveQuerySnapshot[] = []
  const off = q.subscribe(() => snaps.push(q.getSnapshot()))
  return { q, snaps, off }
}

describe('livecrud/persist: warm start', () => {
  it('shows the cached list offline, marked fromCache, then the server corrects it', async () => {
    server = await new RestartableServer().start()
    browser = new Browser()
    const writer = createClient({ url: server.url, timeout: 2000 })
    others.push(writer)
    await writer.postItem({ id: 'a', title: 'A' }, 'todos')
    await writer.postItem({ id: 'b', title: 'B' }, 'todos')

    const page1 = browser.page(server.url)
    const first = watch(page1)
    await until(() => first.q.getSnapshot().ids.length === 2, 5000, 'listed')
    expect(first.q.getSnapshot().fromCache).toBeFalsy()
    await eventually(async () => {
      const [r] = (await browser!.records('cache')) as CacheRecord[]
      return r?.n === 2 && r.seq === page1.getSeq('todos')
    })
    first.off()
    page1.close()

    // Meanwhile, elsewhere: a changes, b goes, c comes. Then the server is unreachable.
    await writer.patchItem({ id: 'a', title: 'A2' }, 'todos')
    await writer.deleteItem('b', 'todos')
    await writer.postItem({ id: 'c', title: 'C' }, 'todos')
    await server.stop()

    const page2 = browser.page(server.url)
    const second = watch(page2)
    await until(() => second.q.getSnapshot().ids.length === 2, 5000, 'cached list')
    const cached = second.q.getSnapshot()
    expect(cached).toMatchObject({ ids: ['a', 'b'], status: 'success', fromCache: true })
    expect(cached.items.map((i) => i.title)).toEqual(['A', 'B'])
    expect(page2.collection('todos').getItemState('a')).toMatchObject({
      fromCache: true,
      status: 'present',
      data: { title: 'A' },
    })
    expect(page2.getConnectionState()).not.toBe('connected')

    await server.start()
    await until(() => second.q.getSnapshot().fromCache !== true, 10_000, 'confirmed')
    // The list's own LIST may sit in its retry backoff (up to 4 s) when the server comes back.
    await until(() => second.q.getSnapshot().ids.join() === 'a,c', 15_000, 'corrected')
    expect(second.q.getSnapshot().items.map((i) => i.title)).toEqual(['A2', 'C'])
    expect(page2.collection('todos').getItemState('a').fromCache).toBeFalsy()
    expect(page2.collection('todos').peek('b')).toBeUndefined()
    // The resync resumed from the cached seq instead of refetching everything.
    const stats = (page2 as unknown as { stats(): { refetches: number; catchUps: number } }).stats()
    expect(stats.refetches).toBe(0)
    expect(stats.catchUps).toBeGreaterThan(0)
    second.off()
  }, 45_000)

  it('keeps at most maxCachedItems, dropping least recently used collections whole', async () => {
    server = await new RestartableServer().start()
    browser = new Browser()
    const writer = createClient({ url: server.url, timeout: 2000 })
    others.push(writer)
    for (const c of ['one', 'two']) {
      await writer.postItem({ id: `${c}1` }, c)
      await writer.postItem({ id: `${c}2` }, c)
    }
    const page = browser.page(server.url, { maxCachedItems: 3 })
    const one = watch(page, 'one')
    await until(() => one.q.getSnapshot().ids.length === 2)
    await eventually(async () => (await browser!.records('cache')).length === 1)
    await new Promise((r) => setTimeout(r, 20))
    const two = watch(page, 'two')
    await until(() => two.q.getSnapshot().ids.length === 2)
    await eventually(async () => {
      const records = (await browser!.records('cache')) as CacheRecord[]
      return records.length === 1 && records[0]!.items.includes('two1')
    })
    one.off()
    two.off()
  })

  it('a cache older than the server keeps is refetched (reset): corrected, then confirmed', async () => {
    server = await new RestartableServer({ changeRetention: 1 }).start()
    browser = new Browser()
    const writer = createClient({ url: server.url, timeout: 2000 })
    others.push(writer)
    await writer.postItem({ id: 'a', title: 'A' }, 'todos')
    await writer.postItem({ id: 'b', title: 'B' }, 'todos')
    const page1 = browser.page(server.url)
    const first = watch(page1)
    await until(() => first.q.getSnapshot().ids.length === 2, 5000, 'listed')
    await eventually(async () => {
      const [r] = (await browser!.records('cache')) as CacheRecord[]
      return r?.n === 2
    })
    first.off()
    page1.close()
    // More changes than the server keeps: `since` the cached seq cannot be replayed.
    await writer.patchItem({ id: 'a', title: 'A2' }, 'todos')
    await writer.deleteItem('b', 'todos')
    await writer.postItem({ id: 'c', title: 'C' }, 'todos')

    const page2 = browser.page(server.url)
    const second = watch(page2)
    await until(() => second.q.getSnapshot().fromCache !== true, 10_000, 'confirmed')
    await until(() => second.q.getSnapshot().ids.join() === 'a,c', 10_000, 'corrected')
    expect(second.q.getSnapshot().items.map((i) => i.title)).toEqual(['A2', 'C'])
    expect(page2.collection('todos').getItemState('b')).toMatchObject({ status: 'deleted' })
    const stats = (page2 as unknown as { stats(): { resets: number } }).stats()
    expect(stats.resets).toBe(1)
    second.off()
  })
})
