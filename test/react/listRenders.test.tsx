import { memo, type ReactNode } from 'react'
import { act, cleanup, render, screen, waitFor } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { LivecrudProvider, useItem, useItemIds, useItems, type Item } from 'livecrud/react'
import { FakeClient } from './fakeClient.js'

interface Todo extends Item {
  title: string
  n: number
}

afterEach(cleanup)

const ROWS = 1000
const QUERY = { pageSize: ROWS, sort: 'n' }

function seeded() {
  const client = new FakeClient()
  client
    .fake('todos')
    .seed(Array.from({ length: ROWS }, (_, n) => ({ id: `t${n}`, title: `todo ${n}`, n })))
  return client
}

function counters() {
  const rows = new Map<string, number>()
  const c = {
    list: 0,
    rows,
    rowTotal: () => [...rows.values()].reduce((a, b) => a + b, 0),
    reset() {
      c.list = 0
      rows.clear()
    },
  }
  return c
}

describe('a 1,000-row list: ids in the list, useItem in each row', () => {
  const count = counters()
  function Row({ id }: { id: string }) {
    count.rows.set(id, (count.rows.get(id) ?? 0) + 1)
    const { data } = useItem<Todo>('todos', id)
    return <li data-testid={id}>{data?.title}</li>
  }
  // memo only matters when the list itself re-renders (a reorder): then unchanged rows are skipped.
  const MemoRow = memo(Row)
  function List() {
    count.list++
    const { ids } = useItemIds('todos', { ...QUERY })
    return (
      <ul>
        {ids.map((id) => (
          <MemoRow key={id} id={id} />
        ))}
      </ul>
    )
  }
  const mount = (client: FakeClient, children: ReactNode) =>
    render(<LivecrudProvider client={client}>{children}</LivecrudProvider>)

  it('one CHANGED re-renders exactly that row, and the list not at all', async () => {
    const client = seeded()
    mount(client, <List />)
    await waitFor(() => expect(screen.getAllByRole('listitem')).toHaveLength(ROWS))
    count.reset()

    act(() => client.fake('todos').serverWrite('t500', { title: 'changed' }))

    expect(screen.getByTestId('t500').textContent).toBe('changed')
    expect(count.list).toBe(0)
    expect(count.rowTotal()).toBe(1)
    expect(count.rows.get('t500')).toBe(1)
  })

  it('a change that moves a row re-renders the list once and only the moved row', async () => {
    const client = seeded()
    mount(client, <List />)
    await waitFor(() => expect(screen.getAllByRole('listitem')).toHaveLength(ROWS))
    count.reset()

    act(() => client.fake('todos').serverWrite('t500', { n: -1 }))

    expect(screen.getAllByRole('listitem')[0]!.dataset.testid).toBe('t500')
    expect(count.list).toBe(1)
    expect(count.rowTotal()).toBe(1)
  })

  it('a burst in one batch renders each touched row once and the list not at all', async () => {
    const client = seeded()
    mount(client, <List />)
    await waitFor(() => expect(screen.getAllByRole('listitem')).toHaveLength(ROWS))
    count.reset()

    act(() =>
      client.batch(() => {
        for (const id of ['t1', 't2', 't3']) {
          client.fake('todos').serverWrite(id, { title: `${id}a` })
          client.fake('todos').serverWrite(id, { title: `${id}b` })
        }
      }),
    )

    expect(screen.getByTestId('t2').textContent).toBe('t2b')
    expect(count.list).toBe(0)
    expect(count.rowTotal()).toBe(3)
  })
})

describe('useItems on a 1,000-row list', () => {
  it('keeps the identity of unchanged items across an update', async () => {
    const client = seeded()
    const seen: Todo[][] = []
    function List() {
      const { data, status } = useItems<Todo>('todos', { ...QUERY })
      if (status === 'success') seen.push(data)
      return <p>{data.length}</p>
    }
    render(<List />, {
      wrapper: ({ children }) => <LivecrudProvider client={client}>{children}</LivecrudProvider>,
    })
    await waitFor(() => expect(screen.getByText(String(ROWS))).toBeTruthy())
    const before = seen.at(-1)!

    act(() => client.fake('todos').serverWrite('t7', { title: 'seven' }))

    const after = seen.at(-1)!
    expect(after).not.toBe(before)
    expect(after[7]!.title).toBe('seven')
    const kept = after.filter((item, i) => item === before[i]).length
    expect(kept).toBe(ROWS - 1)
  })
})
