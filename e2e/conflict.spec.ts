import { createTask, row, startEdit, titles, waitIdle } from './board.js'
import { expect, test } from './fixtures.js'

test('two users edit the same task: both windows show the version the server chose', async ({
  openClient,
}) => {
  const a = await openClient({ name: 'A' })
  const b = await openClient({ name: 'B' })
  await createTask(a.pane, 'Shared')
  await expect.poll(() => titles(b.pane)).toEqual(['Shared'])
  await waitIdle(a.pane)

  // Both start from the same version; A saves first, so B's save (ifVersion) must conflict.
  const inA = await startEdit(a.pane, 'Shared')
  const inB = await startEdit(b.pane, 'Shared')
  await inA.fill('From A')
  await row(a.pane, 'Shared').getByTestId('task-save').click()
  await expect(row(b.pane, 'From A')).toHaveCount(1)
  await inB.fill('From B')
  await row(b.pane, 'From A').getByTestId('task-save').click()
  const conflict = b.pane.getByTestId('task-conflict')
  await expect(conflict).toContainText('From B')
  await expect(conflict).toContainText('the server kept “From A”')
  await expect.poll(() => titles(b.pane)).toEqual(['From A'])
  await expect.poll(() => titles(a.pane)).toEqual(['From A'])
  await expect(a.pane.getByTestId('task-conflict')).toHaveCount(0)
  await conflict.getByTestId('conflict-dismiss').click()
  await expect(conflict).toHaveCount(0)

  // A true race: both save at once from the same version. One wins, the other is told, both agree.
  const raceA = await startEdit(a.pane, 'From A')
  const raceB = await startEdit(b.pane, 'From A')
  await raceA.fill('Race A')
  await raceB.fill('Race B')
  await Promise.all([raceA.press('Enter'), raceB.press('Enter')])
  await waitIdle(a.pane)
  await waitIdle(b.pane)
  await expect.poll(async () => (await titles(a.pane))[0]).toMatch(/^Race [AB]$/)
  const [winner] = await titles(a.pane)
  await expect.poll(() => titles(b.pane)).toEqual([winner])
  const loser = winner === 'Race A' ? b : a
  const loserConflict = loser.pane.getByTestId('task-conflict')
  await expect(loserConflict).toContainText(`the server kept “${winner}”`)
  await expect((winner === 'Race A' ? a : b).pane.getByTestId('task-conflict')).toHaveCount(0)
})
