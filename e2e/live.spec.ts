import { createTask, rename, row, setSort, titles, waitIdle } from './board.js'
import { expect, test } from './fixtures.js'

test('a task created in A appears in B at its sorted position; an edit in B shows in A', async ({
  openClient,
}) => {
  const a = await openClient({ name: 'A' })
  const b = await openClient({ name: 'B' })
  await setSort(a.pane, 'title')
  await setSort(b.pane, 'title')

  await createTask(a.pane, 'Bravo')
  await createTask(a.pane, 'Delta')
  await expect.poll(() => titles(b.pane)).toEqual(['Bravo', 'Delta'])

  await createTask(a.pane, 'Charlie')
  await expect.poll(() => titles(b.pane)).toEqual(['Bravo', 'Charlie', 'Delta'])

  await rename(b.pane, 'Delta', 'Alpha')
  await expect.poll(() => titles(a.pane)).toEqual(['Alpha', 'Bravo', 'Charlie'])

  await row(b.pane, 'Bravo').getByTestId('task-done').check()
  await expect(row(a.pane, 'Bravo').getByTestId('task-done')).toBeChecked()

  await row(a.pane, 'Charlie').getByTestId('task-delete').click()
  await expect.poll(() => titles(b.pane)).toEqual(['Alpha', 'Bravo'])
  await waitIdle(a.pane)
  await waitIdle(b.pane)
})

test('sort, filter and page controls stay exact while the other client writes', async ({
  openClient,
}) => {
  const a = await openClient({ name: 'A' })
  const b = await openClient({ name: 'B' })
  for (const title of ['T1', 'T2', 'T3', 'T4', 'T5', 'T6']) await createTask(b.pane, title)
  await setSort(a.pane, 'title')
  await a.pane.getByTestId('page-size').selectOption('5')
  await expect.poll(() => titles(a.pane)).toEqual(['T1', 'T2', 'T3', 'T4', 'T5'])
  await expect(a.pane.getByTestId('page-info')).toHaveText('page 1 / 2')

  // An item entering page 1 pushes T5 onto page 2.
  await createTask(b.pane, 'T0')
  await expect.poll(() => titles(a.pane)).toEqual(['T0', 'T1', 'T2', 'T3', 'T4'])
  await a.pane.getByTestId('page-next').click()
  await expect.poll(() => titles(a.pane)).toEqual(['T5', 'T6'])

  // Deleting from page 1 pulls T5 back.
  await row(b.pane, 'T2').getByTestId('task-delete').click()
  await expect.poll(() => titles(a.pane)).toEqual(['T6'])
  await a.pane.getByTestId('page-prev').click()
  await expect.poll(() => titles(a.pane)).toEqual(['T0', 'T1', 'T3', 'T4', 'T5'])

  // A filtered view gains and loses items as their `done` flips elsewhere.
  await a.pane.getByTestId('filter-status').selectOption('done')
  await expect.poll(() => titles(a.pane)).toEqual([])
  await row(b.pane, 'T4').getByTestId('task-done').check()
  await expect.poll(() => titles(a.pane)).toEqual(['T4'])
  await row(b.pane, 'T4').getByTestId('task-done').uncheck()
  await expect.poll(() => titles(a.pane)).toEqual([])
  await expect(a.pane.getByTestId('total')).toHaveText('0 tasks')
  await waitIdle(b.pane)
})

test('the form shows the schema’s message for an invalid task and creates nothing', async ({
  openClient,
}) => {
  const a = await openClient({ name: 'A' })
  const b = await openClient({ name: 'B' })
  await a.pane.getByTestId('new-title').fill('   ')
  await a.pane.getByTestId('new-submit').click()
  await expect(a.pane.getByTestId('new-invalid')).toHaveText('a task needs a title')
  await a.pane.getByTestId('new-title').fill('x'.repeat(201))
  await a.pane.getByTestId('new-submit').click()
  await expect(a.pane.getByTestId('new-invalid')).toHaveText('a title has at most 200 characters')
  // The refused title stays in the field to fix; nothing was applied, queued or sent.
  await expect(a.pane.getByTestId('new-title')).toHaveValue('x'.repeat(201))
  await expect(a.pane.getByTestId('task-row')).toHaveCount(0)
  await expect(a.pane.getByTestId('pending-count')).toHaveText('0')

  await createTask(a.pane, 'Valid')
  await expect(a.pane.getByTestId('new-invalid')).toHaveCount(0)
  await expect.poll(() => titles(b.pane)).toEqual(['Valid'])
  await waitIdle(a.pane)
})
