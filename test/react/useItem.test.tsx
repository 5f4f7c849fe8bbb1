import { Component, Suspense, type ReactNode } from 'react'
import { act, cleanup, render, renderHook, screen, waitFor } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { LivecrudProvider, useItem, type Item } from 'livecrud/react'
import { LivecrudError } from '../../src/protocol/errors.js'
import { FakeClient } from './fakeClient.js'

interface Todo extends Item {
  title: string
}

afterEach(cleanup)

function withClient(client: FakeClient) {
  return ({ children }: { children: ReactNode }) => (
    <LivecrudProvider client={client}>{children}</LivecrudProvider>
  )
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

class Boundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state = { error: null as Error | null }
  static getDerivedStateFromError(error: Error) {
    return { error }
  }
  override render() {
    return this.state.error ? <p>failed: {this.state.error.message}</p> : this.props.children
  }
}

describe('useItem', () => {
  it('fetches an unknown item once for all hooks showing it, then serves it live', async () => {
    const client = new FakeClient()
    client.fake('todos').seed([{ id: 't1', title: 'one' }])
    const { result } = renderHook(
      () => [useItem<Todo>('todos', 't1'), useItem<Todo>('todos', 't1')] as const,
      { wrapper: withClient(client) },
    )
    expect(result.current[0]).toMatchObject({
      status: 'pending',
      data: undefined,
      isPending: false,
    })
    await waitFor(() => expect(result.current[0].status).toBe('success'))
    expect(result.current[0].data?.title).toBe('one')
    expect(client.getCalls).toBe(1)

    act(() => client.fake('todos').serverWrite('t1', { title: 'uno' }))
    expect(result.current[1].data?.title).toBe('uno')
  })

  it('batches the fetches of many rows mounting at once into LISTs of at most 100 ids', async () => {
    const client = new FakeClient()
    const todos = client.fake('todos')
    todos.seed(Array.from({ length: 250 }, (_, n) => ({ id: `t${n}`, title: `todo ${n}` })))
    const ids = [...Array.from({ length: 250 }, (_, n) => `t${n}`), 'missing']
    function Row({ id }: { id: string }) {
      const { data, status } = useItem<Todo>('todos', id)
      return <li data-testid={id}>{data?.title ?? status}</li>
    }
    render(
      <ul>
        {ids.map((id) => (
          <Row key={id} id={id} />
        ))}
      </ul>,
      { wrapper: withClient(client) },
    )
    await waitFor(() => expect(screen.getByTestId('t249').textContent).toBe('todo 249'))
    expect(screen.getByTestId('missing').textContent).toBe('success')
    expect(client.getCalls).toBe(0)
    const batches = todos.lists.map((q) => (q?.filters?.id as { $in: string[] }).$in.length)
    expect(batches).toEqual([100, 100, 51])
  })

  it('follows a changed id and a changed client, releasing what it held before', async () => {
    const a = new FakeClient()
    const b = new FakeClient()
    a.fake('todos').seed([
      { id: 't1', title: 'a1' },
      { id: 't2', title: 'a2' },
    ])
    b.fake('todos').seed([{ id: 't2', title: 'b2' }])
    const { result, rerender } = renderHook(
      ({ id, client }) => useItem<Todo>('todos', id, { client }),
      { initialProps: { id: 't1', client: a } },
    )
    await waitFor(() => expect(result.current.data?.title).toBe('a1'))
    rerender({ id: 't2', client: a })
    await waitFor(() => expect(result.current.data?.title).toBe('a2'))
    expect(a.listenerCount()).toBe(1)
    rerender({ id: 't2', client: b })
    await waitFor(() => expect(result.current.data?.title).toBe('b2'))
    expect(a.listenerCount()).toBe(0)
    expect(b.listenerCount()).toBe(1)
  })

  it('reports a missing item as success with no data, and a deletion the same way', async () => {
    const client = new FakeClient()
    client.fake('todos').seed([{ id: 't1', title: 'one' }])
    const { result } = renderHook(() => [useItem('todos', 'nope'), useItem('todos', 't1')], {
      wrapper: withClient(client),
    })
    await waitFor(() => expect(result.current[0]!.status).toBe('success'))
    expect(result.current[0]!.data).toBeUndefined()
    await waitFor(() => expect(result.current[1]!.data).toBeDefined())
    act(() => client.fake('todos').serverWrite('t1', null))
    expect(result.current[1]).toMatchObject({ status: 'success', data: undefined })
  })

  it('shows a failed GET as an error without retrying in a loop; a remount retries', async () => {
    const client = new FakeClient()
    client.fake('todos').seed([{ id: 't1', title: 'one' }])
    client.failGets = new LivecrudError('FORBIDDEN', 'not yours')
    const hook = renderHook(() => useItem('todos', 't1'), { wrapper: withClient(client) })
    await waitFor(() => expect(hook.result.current.status).toBe('error'))
    expect(hook.result.current.error?.code).toBe('FORBIDDEN')
    await sleep(20)
    hook.rerender()
    expect(client.getCalls).toBe(1)
    hook.unmount()

    client.failGets = null
    const again = renderHook(() => useItem<Todo>('todos', 't1'), { wrapper: withClient(client) })
    await waitFor(() => expect(again.result.current.data?.title).toBe('one'))
    expect(client.getCalls).toBe(2)
  })

  it('wraps a non-livecrud rejection instead of losing it', async () => {
    const client = new FakeClient()
    client.collection('todos').getItem = () => Promise.reject(new Error('socket gone'))
    const { result } = renderHook(() => useItem('todos', 'x'), { wrapper: withClient(client) })
    await waitFor(() => expect(result.current.status).toBe('error'))
    expect(result.current.error).toBeInstanceOf(LivecrudError)
    expect(result.current.error?.message).toBe('socket gone')
  })

  it('works with an explicit client and no provider; throws a clear error with neither', () => {
    const client = new FakeClient()
    const { result } = renderHook(() => useItem('todos', 'x', { client }))
    expect(result.current.status).toBe('pending')
    expect(() => renderHook(() => useItem('todos', 'x'))).toThrow(/LivecrudProvider/)
  })

  it('suspends while unknown when asked to, then renders the item', async () => {
    const client = new FakeClient()
    client.fake('todos').seed([{ id: 't1', title: 'one' }])
    function Title() {
      const { data } = useItem<Todo>('todos', 't1', { suspense: true })
      return <p>{data?.title}</p>
    }
    render(
      <Suspense fallback={<p>loading</p>}>
        <Title />
      </Suspense>,
      { wrapper: withClient(client) },
    )
    expect(screen.queryByText('loading')).not.toBeNull()
    await waitFor(() => expect(screen.queryByText('one')).not.toBeNull())
    expect(client.getCalls).toBe(1)
  })

  it('throws a failed GET to the error boundary in Suspense mode', async () => {
    const client = new FakeClient()
    client.failGets = new LivecrudError('NOT_FOUND', 'gone')
    function Title() {
      const { data } = useItem<Todo>('todos', 't1', { suspense: true })
      return <p>{data?.title}</p>
    }
    const spy = console.error
    console.error = () => {}
    try {
      render(
        <Boundary>
          <Suspense fallback={<p>loading</p>}>
            <Title />
          </Suspense>
        </Boundary>,
        { wrapper: withClient(client) },
      )
      await waitFor(() => expect(screen.getByText('failed: gone')).toBeTruthy())
    } finally {
      console.error = spy
    }
    expect(client.getCalls).toBe(1)
  })
})
