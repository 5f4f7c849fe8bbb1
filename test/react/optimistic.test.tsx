import { act, cleanup, render, screen, waitFor } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import {
  LivecrudProvider,
  useItem,
  useMutation,
  type UseMutationResult,
  type Item,
} from 'livecrud/react'
import { LivecrudError } from '../../src/protocol/errors.js'
import { FakeClient } from './fakeClient.js'

interface Todo extends Item {
  title: string
}

afterEach(cleanup)

describe('optimistic writes through the hooks', () => {
  let rowRenders = 0
  function Row() {
    rowRenders++
    const { data, isPending, error } = useItem<Todo>('todos', 't1')
    return (
      <p data-testid="row">{`${data?.title} pending=${isPending} error=${error?.code ?? '-'}`}</p>
    )
  }
  let writer: UseMutationResult<Todo> | undefined
  function Writer() {
    writer = useMutation<Todo>('todos')
    return <p data-testid="writer">{`${writer.isPending} ${writer.error?.code ?? '-'}`}</p>
  }
  async function setup() {
    const client = new FakeClient()
    client.fake('todos').seed([{ id: 't1', title: 'server' }])
    render(
      <LivecrudProvider client={client}>
        <Row />
        <Writer />
      </LivecrudProvider>,
    )
    await waitFor(() => expect(screen.getByTestId('row').textContent).toContain('server'))
    client.autoAck = false
    rowRenders = 0
    return client
  }

  it('shows the write at once and the rollback with one render each', async () => {
    const client = await setup()

    act(() => void writer!.patch({ id: 't1', title: 'mine' }))
    expect(screen.getByTestId('row').textContent).toBe('mine pending=true error=-')
    expect(rowRenders).toBe(1)
    expect(screen.getByTestId('writer').textContent).toBe('true -')

    await act(async () => client.acks[0]!.reject(new LivecrudError('FORBIDDEN', 'no')))
    expect(screen.getByTestId('row').textContent).toBe('server pending=false error=FORBIDDEN')
    expect(rowRenders).toBe(2)
    expect(screen.getByTestId('writer').textContent).toBe('false FORBIDDEN')

    act(() => writer!.reset())
    expect(screen.getByTestId('writer').textContent).toBe('false -')
  })

  it('shows the confirmation with one render, keeping the written value', async () => {
    const client = await setup()

    act(() => void writer!.patch({ id: 't1', title: 'mine' }))
    await act(async () => client.acks[0]!.resolve())

    expect(screen.getByTestId('row').textContent).toBe('mine pending=false error=-')
    expect(rowRenders).toBe(2)
    expect(screen.getByTestId('writer').textContent).toBe('false -')
  })

  it('rolls back one of two writes and keeps the other', async () => {
    const client = await setup()

    act(() => void writer!.patch({ id: 't1', title: 'first' }))
    act(() => void writer!.patch({ id: 't1', title: 'second' }))
    expect(screen.getByTestId('row').textContent).toBe('second pending=true error=-')

    await act(async () => client.acks[1]!.reject(new LivecrudError('CONFLICT', 'stale')))
    expect(screen.getByTestId('row').textContent).toBe('first pending=true error=CONFLICT')
    expect(screen.getByTestId('writer').textContent).toBe('true CONFLICT')
  })

  it('keeps the write functions stable across renders, and a client throwing never crashes', async () => {
    const client = await setup()
    const before = writer!
    act(() => void writer!.patch({ id: 't1', title: 'x' }))
    expect(writer!.patch).toBe(before.patch)
    expect(writer!.post).toBe(before.post)

    const handle = client.collection('todos')
    handle.deleteItem = () => {
      throw new TypeError('bad input')
    }
    await act(async () => {
      await expect(writer!.remove('t1')).rejects.toThrow('bad input')
    })
    expect(screen.getByTestId('writer').textContent).toBe('true INTERNAL')
  })
})
