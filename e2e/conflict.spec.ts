import { createTask, idOf, rowById, titles, waitIdle } from './board.js'
import { expect, test, type OpenedClient } from './fixtures.js'

async function edit(client: OpenedClient, id: string, title: string) {
  const r = rowById(client.pane, id)
  await r.getByTestId('task-edit').click()
  await r.getByTestId('task-edit-input').fill(title)
}

const save = (client: OpenedClient, id: string) =>
  rowById(client.pane, id).getByTestId('task-edit-input').press('Enter')

test('two users edit the same task: both windows show the version the server chose', async ({
  openClient,
}) => {
  const a = await openClient({ name: 'A' })
  const b = await openClient({ name: 'B' })
  await createTask(a.pane, 'Shared')
  await expect.poll(() => titles(b.pane)).toEqual(['Shared'])
  await waitIdle(a.pane)
  const id = await idOf(a.pane, 'Shared')

  // Both start from the same version; A saves first, so B's save (ifVersion) must conflict.
  await edit(a, id, 'From A')
  await edit(b, id, 'From B')
  await save(a, id)
  await expect(rowById(b.pane, id)).toHaveAttribute('data-title', 'From A')
  await save(b, id)
  const conflict = b.pane.getByTestId('task-conflict')
  await expect(conflict).toContainText('your “From B” lost')
  await expect(conflict).toContainText('the server kept “From A”')
  await expect.poll(() => titles(b.pane)).toEqual(['From A'])
  await expect.poll(() => titles(a.pane)).toEqual(['From A'])
  await expect(a.pane.getByTestId('task-conflict')).toHaveCount(0)
  await conflict.getByTestId('conflict-dismiss').click()
  await expect(conflict).toHaveCount(0)

  // A true race: both save at once from the same version. One wins, the other is told, both agree.
  await edit(a, id, 'Race A')
  await edit(b, id, 'Race B')
  await Promise.all([save(a, id), save(b, id)])
  await waitIdle(a.pane)
  await waitIdle(b.pane)
  const conflicts = async () =>
    (await a.pane.getByTestId('task-conflict').count()) +
    (await b.pane.getByTestId('task-conflict').count())
  await expect.poll(conflicts).toBe(1)
  const [winner] = await titles(a.pane)
  expect(winner).toMatch(/^Race [AB]$/)
  await expect.poll(() => titles(b.pane)).toEqual([winner])
  const [loser, other] = winner === 'Race A' ? [b, a] : [a, b]
  await expect(loser.pane.getByTestId('task-conflict')).toContainText(`the server kept “${winner}”`)
  await expect(other.pane.getByTestId('task-conflict')).toHaveCount(0)
})
