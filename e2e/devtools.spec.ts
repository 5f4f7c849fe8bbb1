import { createTask, titles, waitIdle } from './board.js'
import { expect, test } from './fixtures.js'

// On the dev server: React's development build reports misuse (keys, effects) as console errors.
test('two panes on one page; devtools latency, drop, seq and event log', async ({ openClient }) => {
  const { panes, page } = await openClient({
    name: 'two-panes',
    panes: 2,
    allowNetworkErrors: true,
  })
  const [alice, bob] = panes as [(typeof panes)[0], (typeof panes)[0]]

  // Latency makes the optimistic state visible: the row is there at once, pending until the ack.
  await alice.getByTestId('latency').selectOption('500')
  await createTask(alice, 'Slow write')
  await expect(alice.getByTestId('task-pending')).toHaveCount(1)
  await expect(alice.getByTestId('pending-list').getByText('sent')).toHaveCount(1)
  await expect.poll(() => titles(bob)).toEqual(['Slow write'])
  await waitIdle(alice)
  await expect(alice.getByTestId('task-pending')).toHaveCount(0)
  await alice.getByTestId('latency').selectOption('0')

  // Dropping the transport: socket.io reconnects on its own and nothing is missed meanwhile.
  await bob.getByTestId('btn-drop').click()
  await createTask(alice, 'While Bob reconnects')
  await expect(bob.getByTestId('conn-state')).toHaveText('connected')
  await expect.poll(() => titles(bob)).toEqual(['While Bob reconnects', 'Slow write'])

  // The manual offline switch queues writes like a real outage.
  await alice.getByTestId('btn-offline').click()
  await expect(alice.getByTestId('conn-state')).toHaveText('disconnected')
  await createTask(alice, 'Queued')
  await expect(alice.getByTestId('pending-list').getByText('queued')).toHaveCount(1)
  await alice.getByTestId('btn-offline').click()
  await waitIdle(alice)
  await expect.poll(() => titles(bob)).toEqual(['Queued', 'While Bob reconnects', 'Slow write'])

  // Three writes: seq 3 in both panes. Bob logs all three ADDED, the one made while he reconnected
  // either live or as catch-up. (Alice's queued write may be confirmed by its ack and her re-subscribe
  // replay without a visible change, so her log is not counted.)
  for (const pane of [alice, bob]) await expect(pane.getByTestId('seq-tasks')).toHaveText(/: 3$/)
  await expect(bob.locator('[data-testid="event"][data-type="ADDED"]')).toHaveCount(3)
  await expect(alice.getByTestId('event').last()).toContainText('this client')
  await expect(bob.getByTestId('event').first()).not.toContainText('this client')
  await expect(page.getByTestId('server-url')).toHaveText('http://127.0.0.1:3101')

  // Ten writes at once from one pane: both panes count them, paging follows.
  await bob.getByTestId('add-samples').click()
  for (const pane of [alice, bob]) {
    await expect(pane.getByTestId('total')).toHaveText('13 tasks')
    await expect(pane.getByTestId('page-info')).toHaveText('page 1 / 2')
    await expect(pane.getByTestId('task-row')).toHaveCount(8)
  }
  await waitIdle(bob)
})
