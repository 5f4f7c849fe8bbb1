import { createTask, rename, row, setSort, titles, waitIdle } from './board.js'
import { expect, test } from './fixtures.js'

test('A goes offline, edits and creates, comes back: B sees every change once', async ({
  openClient,
}, testInfo) => {
  const a = await openClient({ name: 'A', allowNetworkErrors: true })
  const b = await openClient({ name: 'B' })
  await setSort(a.pane, 'title')
  await setSort(b.pane, 'title')
  await createTask(a.pane, 'Existing one')
  await createTask(a.pane, 'Existing two')
  await expect.poll(() => titles(b.pane)).toEqual(['Existing one', 'Existing two'])
  await waitIdle(a.pane)

  await a.context.setOffline(true)
  await expect(a.pane.getByTestId('conn-state')).toHaveText('disconnected')
  await rename(a.pane, 'Existing one', 'Renamed offline')
  await createTask(a.pane, 'Offline one')
  await createTask(a.pane, 'Offline two')
  await row(a.pane, 'Existing two').getByTestId('task-done').check()

  // Applied locally at once, queued, and invisible to B.
  await expect
    .poll(() => titles(a.pane))
    .toEqual(['Existing two', 'Offline one', 'Offline two', 'Renamed offline'])
  await expect(a.pane.getByTestId('pending-count')).toHaveText('4')
  await expect(a.pane.getByTestId('task-pending')).toHaveCount(4)
  await expect.poll(() => titles(b.pane)).toEqual(['Existing one', 'Existing two'])
  await expect(a.pane.getByTestId('pending-list').getByText('queued')).toHaveCount(4)
  await a.page.screenshot({ path: testInfo.outputPath('A-offline.png'), fullPage: true })

  await a.context.setOffline(false)
  await expect(a.pane.getByTestId('conn-state')).toHaveText('connected')
  await waitIdle(a.pane)
  const expected = ['Existing two', 'Offline one', 'Offline two', 'Renamed offline']
  await expect.poll(() => titles(b.pane)).toEqual(expected)
  await expect(row(b.pane, 'Existing two').getByTestId('task-done')).toBeChecked()
  await expect(a.pane.getByTestId('task-pending')).toHaveCount(0)

  // Once: B received one ADDED per task (2 before, 2 after) and no duplicate row.
  await expect(b.pane.locator('[data-testid="event"][data-type="ADDED"]')).toHaveCount(4)
  // Nothing lost: a fresh client's LIST matches both windows.
  const c = await openClient({ name: 'C' })
  await setSort(c.pane, 'title')
  await expect.poll(() => titles(c.pane)).toEqual(expected)
  await expect.poll(() => titles(a.pane)).toEqual(expected)
})
