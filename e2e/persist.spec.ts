import type { Page } from '@playwright/test'
import { createClient } from '../src/index.js'
import type { Item } from '../src/index.js'
import { createTask, rename, row, titles, waitIdle } from './board.js'
import { expect, test } from './fixtures.js'
import { dbUrl, dropSchema, uniqueSchema } from './postgres.js'
import { ServerProcess } from './ServerProcess.js'

// PostgreSQL keeps the data and the remembered mutationIds across the restarts these tests make.
const schema = uniqueSchema('e2e_persist')
const server = new ServerProcess(3106, dbUrl(schema))

test.beforeAll(async () => {
  await server.start()
})
test.afterAll(async () => {
  await server.stop()
  await dropSchema(schema)
})
test.afterEach(async () => {
  if (!(await isUp())) await server.start()
})

async function isUp(): Promise<boolean> {
  return fetch(`${server.url}/socket.io/?EIO=4&transport=polling`).then(
    () => true,
    () => false,
  )
}

/** The server's tasks as a fresh Node client reads them: title → _version. */
async function serverTasks(collection: string): Promise<Record<string, number>> {
  const client = createClient({ url: server.url, timeout: 5000 })
  try {
    const items = await client.getItems<Item>({ pageSize: 100 }, collection)
    return Object.fromEntries(items.map((i) => [String(i.title), i._version]))
  } finally {
    client.close()
  }
}

/**
 * How many records one object store of the page's persistence holds, read in the page (for the
 * cache: how many items its records hold).
 */
function persisted(page: Page, store: 'outbox' | 'cache'): Promise<number> {
  return page.evaluate(async (store) => {
    const params = new URLSearchParams(location.search)
    const name = `livecrud:playground:${params.get('collection')}:${params.get('name')}`
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(name)
      r.onupgradeneeded = () => r.transaction?.abort()
      r.onsuccess = () => resolve(r.result)
      r.onerror = () => reject(r.error)
    })
    try {
      return await new Promise<number>((resolve) => {
        const r = db.transaction(store).objectStore(store).getAll()
        r.onsuccess = () =>
          resolve(
            store === 'cache'
              ? r.result.reduce((sum: number, c: { n: number }) => sum + c.n, 0)
              : r.result.length,
          )
      })
    } finally {
      db.close()
    }
  }, store)
}

/** Another page of the same browser (same IndexedDB), not waiting for a connection. */
async function samePage(from: Page): Promise<Page> {
  const page = await from.context().newPage()
  await page.goto(from.url())
  return page
}

const pane = (page: Page) => page.getByTestId('pane-0')

test('offline writes survive closing the page: sent once from a new page, seen elsewhere', async ({
  openClient,
  collection,
}) => {
  const a = await openClient({
    name: 'A',
    server: server.url,
    persist: true,
    allowNetworkErrors: true,
  })
  await createTask(a.pane, 'Base')
  await waitIdle(a.pane)
  await a.context.setOffline(true)
  await expect(a.pane.getByTestId('conn-state')).toHaveText('disconnected')
  await createTask(a.pane, 'Made offline')
  await rename(a.pane, 'Base', 'Base renamed offline')
  await expect(a.pane.getByTestId('pending-count')).toHaveText('2')
  await expect(a.pane.getByTestId('outbox-count')).toHaveText('2')
  expect(await persisted(a.page, 'outbox')).toBe(2)
  await a.page.close()

  await a.context.setOffline(false)
  const again = await samePage(a.page)
  await expect(pane(again).getByTestId('conn-state')).toHaveText('connected')
  await waitIdle(pane(again))
  await expect(pane(again).getByTestId('outbox-count')).toHaveText('0')
  expect(await persisted(again, 'outbox')).toBe(0)
  // Exactly once: the rename made version 2 (a second apply would make 3), one row per task.
  expect(await serverTasks(collection)).toEqual({ 'Base renamed offline': 2, 'Made offline': 1 })
  const b = await openClient({ name: 'B', server: server.url })
  await expect.poll(() => titles(b.pane)).toEqual(['Made offline', 'Base renamed offline'])
  await again.close()
})

test('a write whose answer never came is sent again after a reload: applied once', async ({
  openClient,
  collection,
}) => {
  const a = await openClient({
    name: 'A',
    server: server.url,
    persist: true,
    allowNetworkErrors: true,
  })
  await createTask(a.pane, 'Once')
  await waitIdle(a.pane)
  // Slow answers: the server applies the rename, then goes down before the page hears back.
  await a.pane.getByTestId('latency').selectOption('2000')
  await rename(a.pane, 'Once', 'Once renamed')
  await expect
    .poll(() => serverTasks(collection), { timeout: 10_000 })
    .toEqual({
      'Once renamed': 2,
    })
  await server.stop()
  await a.page.reload()
  await expect(pane(a.page).getByTestId('pending-count')).toHaveText('1')
  await expect(row(pane(a.page), 'Once renamed')).toHaveCount(1)

  await server.start()
  await expect(pane(a.page).getByTestId('conn-state')).toHaveText('connected', { timeout: 15_000 })
  await waitIdle(pane(a.page))
  expect(await serverTasks(collection)).toEqual({ 'Once renamed': 2 })
  await expect(row(pane(a.page), 'Once renamed').getByTestId('task-pending')).toHaveCount(0)
})

test('two tabs write offline; online, every write is applied once and both tabs show all', async ({
  openClient,
  collection,
}) => {
  const one = await openClient({
    name: 'A',
    server: server.url,
    persist: true,
    allowNetworkErrors: true,
  })
  const two = await samePage(one.page)
  await expect(pane(two).getByTestId('conn-state')).toHaveText('connected')
  await one.context.setOffline(true)
  await expect(one.pane.getByTestId('conn-state')).toHaveText('disconnected')
  await expect(pane(two).getByTestId('conn-state')).toHaveText('disconnected')
  await createTask(one.pane, 'From tab one')
  await createTask(pane(two), 'From tab two')
  // Each tab shows the other's write, pending.
  for (const tab of [one.pane, pane(two)]) {
    await expect(row(tab, 'From tab one')).toHaveCount(1)
    await expect(row(tab, 'From tab two')).toHaveCount(1)
    await expect(tab.getByTestId('pending-count')).toHaveText('2')
  }

  await one.context.setOffline(false)
  for (const tab of [one.pane, pane(two)]) {
    await expect(tab.getByTestId('conn-state')).toHaveText('connected', { timeout: 15_000 })
    await waitIdle(tab)
    await expect(tab.getByTestId('task-pending')).toHaveCount(0)
    await expect.poll(() => titles(tab)).toEqual(['From tab two', 'From tab one'])
  }
  expect(await serverTasks(collection)).toEqual({ 'From tab one': 1, 'From tab two': 1 })
  await two.close()
})

test('reloaded with the server down, the cached list shows at once; the server then corrects it', async ({
  openClient,
  collection,
}) => {
  const a = await openClient({
    name: 'A',
    server: server.url,
    persist: true,
    allowNetworkErrors: true,
  })
  await createTask(a.pane, 'Kept')
  await createTask(a.pane, 'Renamed later')
  await waitIdle(a.pane)
  await expect(a.pane.getByTestId('list-source')).toHaveText('server')
  await expect.poll(() => persisted(a.page, 'cache')).toBe(2)
  await a.page.close()

  // Meanwhile, elsewhere (a page that will see the server go down).
  const b = await openClient({ name: 'B', server: server.url, allowNetworkErrors: true })
  await rename(b.pane, 'Renamed later', 'Renamed elsewhere')
  await createTask(b.pane, 'Added elsewhere')
  await waitIdle(b.pane)
  await server.stop()

  const again = await samePage(a.page)
  await expect(pane(again).getByTestId('list-source')).toHaveText('cache')
  await expect.poll(() => titles(pane(again))).toEqual(['Renamed later', 'Kept'])
  await expect(pane(again).getByTestId('conn-state')).not.toHaveText('connected')

  await server.start()
  await expect(pane(again).getByTestId('list-source')).toHaveText('server', { timeout: 15_000 })
  await expect
    .poll(() => titles(pane(again)))
    .toEqual(['Added elsewhere', 'Renamed elsewhere', 'Kept'])
  expect(await serverTasks(collection)).toEqual({
    Kept: 1,
    'Renamed elsewhere': 2,
    'Added elsewhere': 1,
  })
  await again.close()
})

test('clearPersistence() leaves nothing in IndexedDB', async ({ openClient }) => {
  const a = await openClient({ name: 'A', server: server.url, persist: true })
  await createTask(a.pane, 'Private')
  await waitIdle(a.pane)
  await expect.poll(() => persisted(a.page, 'cache')).toBe(1)
  await expect(a.pane.getByTestId('persistence-state')).toHaveText('indexeddb')
  const databases = () =>
    a.page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name))
  expect((await databases()).filter((n) => n?.startsWith('livecrud:'))).toHaveLength(1)
  await a.pane.getByTestId('btn-clear-persistence').click()
  await expect(a.pane.getByTestId('persistence-state')).toHaveText('memory')
  await expect.poll(databases).toEqual([])
  // Still a working client, in memory; and it stays that way.
  await createTask(a.pane, 'After logout')
  await waitIdle(a.pane)
  await a.page.waitForTimeout(800)
  expect(await databases()).toEqual([])
})
