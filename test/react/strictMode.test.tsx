import { StrictMode } from 'react'
import { cleanup, render, screen, waitFor } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import {
  LivecrudProvider,
  useConnectionState,
  useItem,
  useItemIds,
  useItems,
  useMutation,
  usePendingWrites,
} from 'livecrud/react'
import { FakeClient } from './fakeClient.js'

afterEach(cleanup)

function Row({ id }: { id: string }) {
  const { data } = useItem<{ id: string; _version: number; title: string }>('todos', id)
  return <li>{data?.title ?? '…'}</li>
}
function Everything() {
  const { ids } = useItemIds('todos', { sort: 'title' })
  const { total } = useItems('todos', { sort: 'title', pageSize: 2 })
  const state = useConnectionState()
  const pending = usePendingWrites({ collection: 'todos' })
  const { isPending } = useMutation('todos')
  return (
    <div>
      <p data-testid="meta">{`${total} ${state} ${pending.length} ${isPending}`}</p>
      <ul>
        {ids.map((id) => (
          <Row key={id} id={id} />
        ))}
        {/* never listed, so useItem fetches it */}
        <Row id="extra" />
      </ul>
    </div>
  )
}

describe('StrictMode double mount', () => {
  it('subscribes once, and after unmount holds no listeners and sends UNSUBSCRIBE after the delay', async () => {
    const client = new FakeClient({ unsubscribeDelay: 30 })
    client.fake('todos').seed([
      { id: 'a', title: 'A' },
      { id: 'b', title: 'B' },
      { id: 'extra', title: 'X' },
    ])
    const { unmount } = render(
      <StrictMode>
        <LivecrudProvider client={client}>
          <Everything />
        </LivecrudProvider>
      </StrictMode>,
    )
    await waitFor(() => expect(screen.getByText('X')).toBeTruthy())
    await waitFor(() => expect(screen.getAllByRole('listitem')).toHaveLength(4))
    expect(screen.getByTestId('meta').textContent).toBe('3 connected 0 false')
    // The double mount's leave/rejoin falls inside the delay: one SUBSCRIBE, no churn.
    expect(client.sent).toEqual([['SUBSCRIBE', 'todos']])
    expect(client.getCalls).toBe(1)
    expect(client.listenerCount()).toBeGreaterThan(0)

    unmount()

    expect(client.listenerCount()).toBe(0)
    expect(client.sent).toEqual([['SUBSCRIBE', 'todos']])
    await waitFor(() =>
      expect(client.sent).toEqual([
        ['SUBSCRIBE', 'todos'],
        ['UNSUBSCRIBE', 'todos'],
      ]),
    )
  })
})
