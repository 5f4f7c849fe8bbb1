import { Suspense, type ReactNode } from 'react'
import { act, cleanup, render, renderHook, screen, waitFor } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { LivecrudProvider, useItemIds, useItems, type Item } from 'livecrud/react'
import { FakeClient } from './fakeClient.js'

interface Todo extends Item {
  title: string
  n: number
}

afterEach(cleanup)

function seeded() {
  const client = new FakeClient()
  client
    .fake('todos')
    .seed(Array.from({ length: 5 }, (_, n) => ({ id: `t${n}`, title: `todo ${n}`, n })))
  return client
}
function withClient(client: FakeClient) {
  return ({ children }: { children: ReactNode }) => (
    <LivecrudProvider client={client}>{children}</LivecrudProvider>
  )
}

describe('useItems', () => {
  it('serves a sorted page, live, with total and status', async () => {
    const client = seeded()
    const { result } = renderHook(
      () => useItems<Todo>('todos', { sort: [{ field: 'n', dir: 'desc' as const }], pageSize: 2 }),
      { wrapper: withClient(client) },
    )
    expect(result.current.status).toBe('pending')
    await waitFor(() => expect(result.current.status).toBe('success'))
    expect(result.current.data.map((t) => t.id)).toEqual(['t4', 't3'])
    expect(result.current.total).toBe(5)
    expect(result.current.isFetching).toBe(false)

    act(() => client.fake('todos').serverWrite('t9', { title: 'nine', n: 9 }))
    expect(result.current.data.map((t) => t.id)).toEqual(['t9', 't4'])
    expect(result.current.total).toBe(6)
  })

  it('does not create a new live query when each render passes a new, equal query object', async () => {
    const client = seeded()
    const { result, rerender } = renderHook(
      ({ dir }) => useItems('todos', { filters: { n: { $gte: 1 } }, sort: `${dir}n` }),
      { wrapper: withClient(client), initialProps: { dir: '' } },
    )
    await waitFor(() => expect(result.current.status).toBe('success'))
    for (let i = 0; i < 5; i++) rerender({ dir: '' })
    expect(client.fake('todos').queryCalls).toBe(1)
    rerender({ dir: '-' })
    expect(client.fake('todos').queryCalls).toBe(2)
  })

  it('turns an invalid query into an error state, not a crash', async () => {
    const client = seeded()
    const { result } = renderHook(() => useItems('todos', { page: -3 }), {
      wrapper: withClient(client),
    })
    await waitFor(() => expect(result.current.status).toBe('error'))
    expect(result.current.error?.code).toBe('BAD_REQUEST')
  })

  it('suspends until the first page is there when asked to', async () => {
    const client = seeded()
    function Titles() {
      const { data } = useItems<Todo>('todos', { sort: 'n' }, { suspense: true })
      return <p>{data.map((t) => t.title).join(',')}</p>
    }
    render(
      <Suspense fallback={<p>loading</p>}>
        <Titles />
      </Suspense>,
      { wrapper: withClient(client) },
    )
    expect(screen.queryByText('loading')).not.toBeNull()
    await waitFor(() => expect(screen.queryByText(/todo 0,todo 1/)).not.toBeNull())
  })
})

describe('useItemIds', () => {
  it('keeps the same result while only contents change, and leaves isFetching out', async () => {
    const client = seeded()
    let renders = 0
    const { result } = renderHook(
      () => {
        renders++
        return useItemIds('todos', { sort: 'n' })
      },
      { wrapper: withClient(client) },
    )
    await waitFor(() => expect(result.current.status).toBe('success'))
    const first = result.current
    renders = 0

    act(() => client.fake('todos').serverWrite('t2', { title: 'changed' }))
    await act(async () => {
      const q = client.fake('todos').queries.values().next().value!
      await q.refetch()
    })
    expect(renders).toBe(0)
    expect(result.current).toBe(first)

    act(() => client.fake('todos').serverWrite('t2', null))
    expect(result.current.ids).toEqual(['t0', 't1', 't3', 't4'])
    expect(result.current.total).toBe(4)
    expect(renders).toBe(1)
  })
})
