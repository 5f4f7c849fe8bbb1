import { createTask, rename, row, setSort, titles, waitIdle } from './board.js'
import { expect, test } from './fixtures.js'
import { dbUrl, dropSchema, uniqueSchema } from './postgres.js'
import { ServerProcess } from './ServerProcess.js'

const schema = uniqueSchema('e2e_multi')
const one = new ServerProcess(3103, dbUrl(schema))
const two = new ServerProcess(3104, dbUrl(schema))

test.beforeAll(async () => {
  await Promise.all([one.start(), two.start()])
})
test.afterAll(async () => {
  await Promise.all([one.stop(), two.stop()])
  await dropSchema(schema)
})

test('two server processes on PostgreSQL: each client sees the other server’s writes', async ({
  openClient,
}) => {
  const a = await openClient({ name: 'A-server1', server: one.url })
  const b = await openClient({ name: 'B-server2', server: two.url })
  await setSort(a.pane, 'title')
  await setSort(b.pane, 'title')

  await createTask(a.pane, 'Written on one')
  await expect.poll(() => titles(b.pane)).toEqual(['Written on one'])
  await createTask(b.pane, 'Written on two')
  await expect.poll(() => titles(a.pane)).toEqual(['Written on one', 'Written on two'])

  await rename(b.pane, 'Written on one', 'Renamed on two')
  await row(a.pane, 'Written on two').getByTestId('task-done').check()
  await expect.poll(() => titles(a.pane)).toEqual(['Renamed on two', 'Written on two'])
  await expect(row(b.pane, 'Written on two').getByTestId('task-done')).toBeChecked()

  await row(a.pane, 'Renamed on two').getByTestId('task-delete').click()
  await expect.poll(() => titles(b.pane)).toEqual(['Written on two'])
  await waitIdle(a.pane)
  await waitIdle(b.pane)
  // Each server delivered each change once: B saw 2 ADDED, A saw the same 2.
  await expect(a.pane.locator('[data-testid="event"][data-type="ADDED"]')).toHaveCount(2)
  await expect(b.pane.locator('[data-testid="event"][data-type="ADDED"]')).toHaveCount(2)
})
