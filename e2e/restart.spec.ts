import { createTask, setSort, titles, waitIdle } from './board.js'
import { expect, test } from './fixtures.js'
import { dbUrl, dropSchema, uniqueSchema } from './postgres.js'
import { ServerProcess } from './ServerProcess.js'

// PostgreSQL by default: a fresh PGlite data directory costs 2–12 s of initdb on a busy 2-core machine,
// and what is under test is the page's recovery, not the store. E2E_RESTART_DB=pglite:/tmp/dir (or any
// --db URL that keeps data across restarts) runs the same test on another store.
const schema = uniqueSchema('e2e_restart')
const server = new ServerProcess(3102, process.env.E2E_RESTART_DB ?? dbUrl(schema))

test.beforeAll(async () => {
  await server.start()
})
test.afterAll(async () => {
  await server.stop()
  if (!process.env.E2E_RESTART_DB) await dropSchema(schema)
})

test('the server restarts mid-session: the page recovers without a reload', async ({
  openClient,
}) => {
  test.setTimeout(45_000)
  const a = await openClient({ name: 'A', server: server.url, allowNetworkErrors: true })
  const b = await openClient({ name: 'B', server: server.url, allowNetworkErrors: true })
  for (const c of [a, b]) {
    await setSort(c.pane, 'title')
    // Survives only if the page is never reloaded.
    await c.page.evaluate(() => ((window as unknown as { marker: number }).marker = 1))
  }
  await createTask(a.pane, 'Before restart')
  await expect.poll(() => titles(b.pane)).toEqual(['Before restart'])
  await waitIdle(a.pane)

  await server.stop()
  await expect(a.pane.getByTestId('conn-state')).not.toHaveText('connected')
  await expect(b.pane.getByTestId('conn-state')).not.toHaveText('connected')
  // A write while the server is down waits in the queue.
  await createTask(a.pane, 'During outage')
  await expect(a.pane.getByTestId('pending-count')).toHaveText('1')

  await server.start()
  // socket.io's reconnection backoff reaches 5 s: allow for it.
  await expect(a.pane.getByTestId('conn-state')).toHaveText('connected', { timeout: 15_000 })
  await expect(b.pane.getByTestId('conn-state')).toHaveText('connected', { timeout: 15_000 })
  await waitIdle(a.pane)
  await expect.poll(() => titles(b.pane)).toEqual(['Before restart', 'During outage'])

  await createTask(b.pane, 'After restart')
  await expect
    .poll(() => titles(a.pane))
    .toEqual(['After restart', 'Before restart', 'During outage'])
  for (const c of [a, b])
    expect(await c.page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1)
})

test.describe('a server that comes back empty', () => {
  const memory = new ServerProcess(3105, 'memory')
  test.beforeAll(() => memory.start())
  test.afterAll(() => memory.stop())

  test('the pages drop what the server no longer has, then carry on', async ({ openClient }) => {
    const a = await openClient({ name: 'A', server: memory.url, allowNetworkErrors: true })
    const b = await openClient({ name: 'B', server: memory.url, allowNetworkErrors: true })
    await setSort(a.pane, 'title')
    await setSort(b.pane, 'title')
    await createTask(a.pane, 'Lost one')
    await createTask(a.pane, 'Lost two')
    await expect.poll(() => titles(b.pane)).toEqual(['Lost one', 'Lost two'])
    await waitIdle(a.pane)

    // The memory store restarts empty at seq 0: the clients' `since` is from another life.
    await memory.restart()
    for (const c of [a, b]) {
      await expect(c.pane.getByTestId('conn-state')).toHaveText('connected', { timeout: 15_000 })
      await expect.poll(() => titles(c.pane)).toEqual([])
      await expect(c.pane.getByTestId('total')).toHaveText('0 tasks')
    }
    await createTask(b.pane, 'Fresh start')
    await expect.poll(() => titles(a.pane)).toEqual(['Fresh start'])
  })
})
