import { StrictMode, Suspense, memo } from 'react'
import { act, cleanup, render, screen, waitFor } from '@testing-library/react'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createClient, type LivecrudClient } from 'livecrud'
import { createServer, type LivecrudServer } from 'livecrud/server'
import {
  LivecrudProvider,
  useConnectionState,
  useItem,
  useItemIds,
  useItems,
  useMutation,
  usePendingWrites,
  type Item,
  type UseMutationResult,
} from 'livecrud/react'
import { countingClient } from './countingClient.js'

interface Row extends Item {
  title: string
  n: number
}

const ROWS = 1000
const COLLECTION = 'reactrows'
let server: LivecrudServer
const clients: LivecrudClient[] = []
const log: string[] = []

beforeAll(async () => {
  server = await createServer({
    port: 0,
    host: '127.0.0.1',
    allowedOrigins: '*',
    authorize: ({ action, item }) => !(action === 'PATCH' && item?.title === 'forbidden'),
  })
  server.io.on('connection', (socket) => {
    const clientId = (socket.handshake.auth as { clientId?: string }).clientId
    socket.onAny((event: string) => log.push(`${clientId} ${event}`))
  })
  for (let n = 0; n < ROWS; n++)
    await server.store.write({
      collection: COLLECTION,
      id: `r${n}`,
      mutationId: `seed-${n}`,
      decide: () => ({ action: 'put', item: { title: `row ${n}`, n } }),
    })
})
afterEach(cleanup)
afterAll(async () => {
  for (const c of clients) c.close()
  await server.close()
})

function connect(unsubscribeDelay = 1000) {
  const client = createClient({ url: server.url, unsubscribeDelay, timeout: 5000 })
  clients.push(client)
  return client
}
/** Another user's write, straight into the server's store: it reaches clients as a CHANGED event. */
function serverPatch(id: string, fields: Record<string, unknown>) {
  return server.store.write({
    collection: COLLECTION,
    id,
    mutationId: `test-${Math.random()}`,
    decide: (current) => {
      const { id: _id, _version: _v, ...rest } = current ?? {}
      return { action: 'put', item: { ...rest, ...fields } }
    },
  })
}

const count = { list: 0, rows: new Map<string, number>() }
function RowView({ id }: { id: string }) {
  count.rows.set(id, (count.rows.get(id) ?? 0) + 1)
  const { data } = useItem<Row>(COLLECTION, id)
  return <li data-testid={id}>{data?.title}</li>
}
const MemoRow = memo(RowView)
function List() {
  count.list++
  const { ids } = useItemIds(COLLECTION, { pageSize: ROWS, sort: 'n' })
  return (
    <ul>
      {ids.map((id) => (
        <MemoRow key={id} id={id} />
      ))}
    </ul>
  )
}
const rowTotal = () => [...count.rows.values()].reduce((a, b) => a + b, 0)

describe('livecrud/react against the reference server', () => {
  it('one CHANGED in a 1,000-row list re-renders exactly that row and not the list', async () => {
    const client = connect()
    render(
      <LivecrudProvider client={client}>
        <List />
      </LivecrudProvider>,
    )
    await waitFor(() => expect(screen.getAllByRole('listitem')).toHaveLength(ROWS), {
      timeout: 10_000,
    })
    count.list = 0
    count.rows.clear()

    const arrived = new Promise<void>((resolve) => {
      const off = client.onEvent(() => {
        off()
        resolve()
      })
    })
    await act(async () => {
      await serverPatch('r321', { title: 'changed remotely' })
      await arrived
    })
    await waitFor(() => expect(screen.getByTestId('r321').textContent).toBe('changed remotely'))

    expect(count.list).toBe(0)
    expect(rowTotal()).toBe(1)
    expect(count.rows.get('r321')).toBe(1)
  })

  // Rows only: live lists have their own teardown test (listSubscription.test.tsx).
  it('StrictMode: after unmount no listener is left and UNSUBSCRIBE is sent after the delay', async () => {
    const client = countingClient(connect(50))
    // Loaded up front: the test is about teardown, not 1,000 single GETs.
    await client.getItems({ pageSize: ROWS }, COLLECTION)
    const ids = Array.from({ length: ROWS }, (_, n) => `r${n}`)
    function Rows() {
      return (
        <ul>
          {ids.map((id) => (
            <MemoRow key={id} id={id} />
          ))}
        </ul>
      )
    }
    function Extras() {
      useConnectionState()
      usePendingWrites()
      useMutation(COLLECTION)
      return null
    }
    const { unmount } = render(
      <StrictMode>
        <LivecrudProvider client={client}>
          <Rows />
          <Extras />
        </LivecrudProvider>
      </StrictMode>,
    )
    await waitFor(() => expect(screen.getByTestId('r999').textContent).toBe('row 999'), {
      timeout: 10_000,
    })
    expect(client.live()).toBeGreaterThan(ROWS)
    const mine = (event: string) => log.filter((e) => e === `${client.clientId} ${event}`)
    // The rows render from the store at once: the SUBSCRIBE may still be on its way to the server.
    await waitFor(() => expect(mine('SUBSCRIBE')).toHaveLength(1))
    log.length = 0

    unmount()

    expect(client.live()).toBe(0)
    await waitFor(() => expect(mine('UNSUBSCRIBE')).toHaveLength(1))
    expect(mine('SUBSCRIBE')).toHaveLength(0)
  }, 20_000)

  it('1,000 rows mounted by id fetch their unknown items in a few batched LISTs', async () => {
    const client = connect()
    const ids = Array.from({ length: ROWS }, (_, n) => `r${n}`)
    render(
      <LivecrudProvider client={client}>
        <ul>
          {ids.map((id) => (
            <RowView key={id} id={id} />
          ))}
        </ul>
      </LivecrudProvider>,
    )
    await waitFor(() => expect(screen.getByTestId('r999').textContent).not.toBe(''), {
      timeout: 10_000,
    })
    await waitFor(() => expect(screen.getByTestId('r0').textContent).toBe('row 0'))
    const mine = log.filter((e) => e.startsWith(`${client.clientId} `))
    expect(mine.filter((e) => e.endsWith(' GET'))).toHaveLength(0)
    expect(mine.filter((e) => e.endsWith(' LIST'))).toHaveLength(ROWS / 100)
  })

  it('an optimistic write shows at once and its rollback shows the previous value, one render each', async () => {
    const client = connect()
    await client.getItem('r5', COLLECTION)
    let renders = 0
    function Five() {
      renders++
      const { data, isPending, error } = useItem<Row>(COLLECTION, 'r5')
      return <p data-testid="five">{`${data?.title} ${isPending} ${error?.code ?? '-'}`}</p>
    }
    let writer: UseMutationResult<Row> | undefined
    function Writer() {
      writer = useMutation<Row>(COLLECTION)
      return null
    }
    render(
      <LivecrudProvider client={client}>
        <Five />
        <Writer />
      </LivecrudProvider>,
    )
    expect(screen.getByTestId('five').textContent).toBe('row 5 false -')

    renders = 0
    let settled: Promise<unknown> | undefined
    act(() => {
      settled = writer!.patch({ id: 'r5', title: 'forbidden' }).catch(() => {})
    })
    expect(screen.getByTestId('five').textContent).toBe('forbidden true -')
    expect(renders).toBe(1)

    await act(async () => settled)
    expect(screen.getByTestId('five').textContent).toBe('row 5 false FORBIDDEN')
    expect(renders).toBe(2)
  })

  it('useItems (with Suspense) keeps a sorted, filtered page exact as other users write', async () => {
    const client = connect()
    // The store knows every item up front (items it never held: test/client/liveList/unseenChanges).
    await client.getItems({ pageSize: ROWS }, COLLECTION)
    function Top() {
      const { data, total } = useItems<Row>(
        COLLECTION,
        { filters: { n: { $lt: 10 } }, sort: '-n', pageSize: 3 },
        { suspense: true },
      )
      return <p data-testid="top">{`${total}: ${data.map((r) => r.id).join(',')}`}</p>
    }
    render(
      <LivecrudProvider client={client}>
        <Suspense fallback={<p>loading</p>}>
          <Top />
        </Suspense>
      </LivecrudProvider>,
    )
    expect(screen.queryByText('loading')).not.toBeNull()
    await waitFor(() => expect(screen.getByTestId('top').textContent).toBe('10: r9,r8,r7'))

    await act(() => serverPatch('r2', { n: 9.5 }))
    await waitFor(() => expect(screen.getByTestId('top').textContent).toBe('10: r2,r9,r8'))
    await act(() => serverPatch('r9', { n: 50 }))
    await waitFor(() => expect(screen.getByTestId('top').textContent).toBe('9: r2,r8,r7'))
    await act(() => serverPatch('fresh', { title: 'new', n: 9.7 }))
    await waitFor(() => expect(screen.getByTestId('top').textContent).toBe('10: fresh,r2,r8'))
    await act(async () => {
      await server.store.write({
        collection: COLLECTION,
        id: 'fresh',
        mutationId: 'drop-fresh',
        decide: () => ({ action: 'delete' }),
      })
      await serverPatch('r2', { n: 2 })
      await serverPatch('r9', { n: 9 })
    })
    await waitFor(() => expect(screen.getByTestId('top').textContent).toBe('10: r9,r8,r7'))
  })
})
