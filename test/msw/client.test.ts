import { afterEach, describe, expect, it } from 'vitest'
import {
  ConflictError,
  DisconnectedError,
  LivecrudError,
  QueueFullError,
  ServerError,
  TimeoutError,
  createClient,
} from 'livecrud'
import type { LivecrudClient } from 'livecrud'
import { NO_ACK, SocketIoMock, delay, until } from './sioMock.js'

const item = (id: string, v = 1, extra: Record<string, unknown> = {}) => ({
  id,
  _version: v,
  ...extra,
})
const ack = (seq: number, version: number) => ({ seq, version })

let clients: LivecrudClient[] = []
afterEach(() => {
  for (const c of clients) c.close()
  clients = []
})

function setup(options: Parameters<typeof createClient>[0] = {}) {
  const mock = new SocketIoMock()
  const client = createClient({ socket: mock.socket(), timeout: 300, ...options })
  clients.push(client)
  return { mock, client }
}

async function connected(client: LivecrudClient) {
  await until(() => client.getConnectionState() === 'connected')
}

describe('createClient over a mocked socket.io server', () => {
  it('sends clientId and token in the handshake and re-reads the token on reconnect', async () => {
    let n = 0
    const { mock, client } = setup({ clientId: 'c-1', token: () => `t${++n}` })
    await connected(client)
    expect(mock.current.auth).toEqual({ clientId: 'c-1', token: 't1' })
    const next = mock.nextConnection()
    mock.current.drop()
    await until(() => client.getConnectionState() === 'disconnected')
    const second = await next
    expect(second.auth).toEqual({ clientId: 'c-1', token: 't2' })
    await connected(client)
  })

  it('reports connection states to listeners', async () => {
    const { mock, client } = setup()
    const seen: string[] = []
    client.subscribeConnectionState((s) => seen.push(s))
    expect(client.getConnectionState()).toBe('connecting')
    await connected(client)
    mock.current.drop()
    await until(() => seen.includes('disconnected'))
    await until(() => seen.filter((s) => s === 'connected').length === 2)
    client.close()
    expect(client.getConnectionState()).toBe('closed')
    expect(seen).toEqual(['connected', 'disconnected', 'connected', 'closed'])
  })

  it('getItem resolves the item and puts it in the store; null resolves undefined', async () => {
    const { mock, client } = setup()
    mock.on('GET', ([, id]) => [null, id === 'a' ? item('a', 3, { title: 'A' }) : null])
    expect(await client.getItem('a', 'todos')).toEqual(item('a', 3, { title: 'A' }))
    expect(client.collection('todos').peek('a')).toEqual(item('a', 3, { title: 'A' }))
    expect(await client.getItem('zz', 'todos')).toBeUndefined()
    expect(client.collection('todos').getItemState('zz').status).toBe('deleted')
    expect(mock.requests('GET')).toEqual([
      ['todos', 'a'],
      ['todos', 'zz'],
    ])
  })

  it('getItems sends the query and resolves the items array', async () => {
    const { mock, client } = setup()
    const items = [item('a'), item('b')]
    mock.on('LIST', () => [null, { items, total: 2, page: 1, pageSize: 50, seq: 7 }])
    const query = { page: 1, sort: '-title', filters: { done: false } }
    expect(await client.getItems(query, 'todos')).toEqual(items)
    expect(mock.requests('LIST')).toEqual([['todos', query]])
    expect(client.collection('todos').peek('b')).toEqual(item('b'))
  })

  it('postItem generates a uuid id and a mutationId, applies optimistically, resolves the stored item', async () => {
    const { mock, client } = setup()
    await connected(client)
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    mock.on('POST', async ([, body]) => {
      await gate
      return [null, { ...(body as object), _version: 1 }, ack(1, 1)]
    })
    const p = client.postItem({ title: 'x' }, 'todos')
    await until(() => mock.requests('POST').length === 1)
    const [collection, body, meta] = mock.requests('POST')[0]!
    const id = (body as { id: string }).id
    expect(collection).toBe('todos')
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(meta).toEqual({ mutationId: expect.any(String) })
    expect(client.collection('todos').peek(id)).toMatchObject({ title: 'x' })
    expect(client.getPendingWrites()).toMatchObject([{ id, kind: 'POST', state: 'sent' }])
    release()
    expect(await p).toEqual({ id, title: 'x', _version: 1 })
    expect(client.getPendingWrites()).toEqual([])
  })

  it('postItem keeps a given id; putItem and deleteItem send ifVersion', async () => {
    const { mock, client } = setup()
    await connected(client)
    mock.on('POST', ([, body]) => [null, { ...(body as object), _version: 1 }, ack(1, 1)])
    mock.on('PUT', ([, body]) => [null, { ...(body as object), _version: 2 }, ack(2, 2)])
    mock.on('DELETE', () => [null, true, ack(3, 3)])
    expect(await client.postItem({ id: 'k1', title: 'x' }, 'todos')).toEqual(
      item('k1', 1, { title: 'x' }),
    )
    expect(await client.putItem({ id: 'k1', title: 'y' }, 'todos', { ifVersion: 1 })).toEqual(
      item('k1', 2, { title: 'y' }),
    )
    expect(await client.deleteItem('k1', 'todos', { ifVersion: 2 })).toBe(true)
    expect(mock.requests('PUT')[0]![2]).toMatchObject({ ifVersion: 1 })
    expect(mock.requests('DELETE')[0]!.slice(0, 2)).toEqual(['todos', 'k1'])
    expect(mock.requests('DELETE')[0]![2]).toMatchObject({ ifVersion: 2 })
    expect(client.collection('todos').peek('k1')).toBeUndefined()
  })

  it('deleteItem resolves false when there was nothing to delete', async () => {
    const { mock, client } = setup()
    await connected(client)
    mock.on('DELETE', () => [null, false, ack(0, 0)])
    expect(await client.deleteItem('nope', 'todos')).toBe(false)
  })

  it('patchItem sends a partial object as given and applies it locally as ops', async () => {
    const { mock, client } = setup()
    mock.on('GET', () => [null, item('p', 1, { title: 'a', done: false })])
    await client.getItem('p', 'todos')
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    mock.on('PATCH', async () => {
      await gate
      return [null, item('p', 2, { title: 'a', done: true }), ack(2, 2)]
    })
    const p = client.patchItem({ id: 'p', done: true }, 'todos')
    await until(() => mock.requests('PATCH').length === 1)
    expect(mock.requests('PATCH')[0]!.slice(0, 2)).toEqual(['todos', { id: 'p', done: true }])
    expect(client.collection('todos').peek('p')).toMatchObject({ title: 'a', done: true })
    release()
    expect(await p).toEqual(item('p', 2, { title: 'a', done: true }))
  })

  it('patchItem sends JSON Patch with /<id>/ paths and refuses mixed ids before sending', async () => {
    const { mock, client } = setup()
    await connected(client)
    mock.on('PATCH', () => [null, item('p', 2, { title: 'z' }), ack(2, 2)])
    const ops = [{ op: 'replace' as const, path: '/p/title', value: 'z' }]
    expect(await client.patchItem(ops, 'todos')).toEqual(item('p', 2, { title: 'z' }))
    expect(mock.requests('PATCH')[0]![1]).toEqual(ops)
    const mixed = [
      { op: 'replace' as const, path: '/p/title', value: 'z' },
      { op: 'replace' as const, path: '/q/title', value: 'z' },
    ]
    await expect(client.patchItem(mixed, 'todos')).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(client.patchItem([], 'todos')).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(
      client.patchItem([{ op: 'replace', path: '/title', value: 1 }], 'todos'),
    ).rejects.toBeInstanceOf(LivecrudError)
    expect(mock.requests('PATCH')).toHaveLength(1)
  })

  it.each([
    'BAD_REQUEST',
    'NOT_FOUND',
    'UNAUTHORIZED',
    'FORBIDDEN',
    'PAYLOAD_TOO_LARGE',
    'RATE_LIMITED',
    'INTERNAL',
  ])('maps a %s error ack to ServerError with code, message and details', async (code) => {
    const { mock, client } = setup()
    mock.on('GET', () => [{ code, message: `m-${code}`, details: { why: 1 } }])
    const error = await client.getItem('a', 'todos').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ServerError)
    expect(error).toBeInstanceOf(LivecrudError)
    expect(error).toMatchObject({ code, message: `m-${code}`, details: { why: 1 } })
  })

  it('maps CONFLICT to ConflictError carrying the current item, adopted by the store', async () => {
    const { mock, client } = setup()
    mock.on('GET', () => [null, item('c', 1, { title: 'mine' })])
    await client.getItem('c', 'todos')
    const current = item('c', 5, { title: 'theirs' })
    mock.on('PUT', () => [{ code: 'CONFLICT', message: 'version mismatch', details: { current } }])
    const error = await client
      .putItem({ id: 'c', title: 'new' }, 'todos', { ifVersion: 1 })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConflictError)
    expect((error as ConflictError).current).toEqual(current)
    expect(client.collection('todos').peek('c')).toEqual(current)
    expect(client.collection('todos').getItemState('c').error).toBe(error)
  })

  it('a malformed error ack becomes an INTERNAL ServerError', async () => {
    const { mock, client } = setup()
    mock.on('GET', () => ['boom'])
    await expect(client.getItem('a', 'todos')).rejects.toMatchObject({ code: 'INTERNAL' })
  })

  it('a GET answered with a malformed item rejects with INTERNAL; the store keeps nothing', async () => {
    const { mock, client } = setup()
    mock.on('GET', () => [null, { title: 'no id' }])
    const error = await client.getItem('a', 'todos').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ServerError)
    expect(error).toMatchObject({ code: 'INTERNAL' })
    expect(client.collection('todos').getItemState('a').status).toBe('unknown')
  })

  it('a rejected write is rolled back', async () => {
    const { mock, client } = setup()
    await connected(client)
    mock.on('POST', () => [{ code: 'FORBIDDEN', message: 'no' }])
    const p = client.postItem({ id: 'r1', title: 'x' }, 'todos')
    expect(client.collection('todos').peek('r1')).toMatchObject({ title: 'x' })
    await expect(p).rejects.toMatchObject({ code: 'FORBIDDEN' })
    expect(client.collection('todos').peek('r1')).toBeUndefined()
  })

  it('optimistic:false applies nothing before the ack', async () => {
    const { mock, client } = setup()
    await connected(client)
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    mock.on('POST', async ([, body]) => {
      await gate
      return [null, { ...(body as object), _version: 1 }, ack(1, 1)]
    })
    const p = client.postItem({ id: 'o1' }, 'todos', { optimistic: false })
    await until(() => mock.requests('POST').length === 1)
    expect(client.collection('todos').peek('o1')).toBeUndefined()
    release()
    await p
    expect(client.collection('todos').peek('o1')).toEqual(item('o1', 1))
  })

  it('times out reads with the default and the per-call timeout (TimeoutError, outcome unknown)', async () => {
    const { mock, client } = setup({ timeout: 80 })
    mock.on('GET', () => NO_ACK)
    mock.on('LIST', () => NO_ACK)
    const t0 = Date.now()
    const e1 = await client.getItems({}, 'todos').catch((e: unknown) => e)
    expect(e1).toBeInstanceOf(TimeoutError)
    expect((e1 as TimeoutError).code).toBe('TIMEOUT')
    expect((e1 as Error).message).toMatch(/unknown/)
    const e2 = await client.getItem('a', 'todos', 30).catch((e: unknown) => e)
    expect(e2).toBeInstanceOf(TimeoutError)
    expect(Date.now() - t0).toBeLessThan(1000)
  })

  it('a timed-out write rejects with TimeoutError, stays pending and is retried with the same mutationId', async () => {
    const { mock, client } = setup({ timeout: 60 })
    await connected(client)
    let calls = 0
    mock.on('POST', ([, body]) => {
      calls++
      return calls === 1 ? NO_ACK : [null, { ...(body as object), _version: 1 }, ack(1, 1)]
    })
    const error = await client.postItem({ id: 't1' }, 'todos').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TimeoutError)
    expect(client.collection('todos').getItemState('t1').hasPendingWrites).toBe(true)
    expect(client.getPendingWrites()).toMatchObject([{ id: 't1', state: 'unknown' }])
    await until(() => client.getPendingWrites().length === 0)
    const ids = mock.requests('POST').map((r) => (r[2] as { mutationId: string }).mutationId)
    expect(ids).toHaveLength(2)
    expect(ids[0]).toBe(ids[1])
    expect(client.collection('todos').getItemState('t1')).toMatchObject({
      hasPendingWrites: false,
      version: 1,
    })
  })

  it('a read cut by a disconnect rejects with DisconnectedError', async () => {
    const { mock, client } = setup()
    mock.on('GET', (_args, connection) => {
      setTimeout(() => connection.drop(), 5)
      return NO_ACK
    })
    const error = await client.getItem('a', 'todos').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DisconnectedError)
    expect((error as DisconnectedError).code).toBe('DISCONNECTED')
    expect((error as Error).message).toMatch(/unknown/)
  })

  it('a write cut by a disconnect stays pending and settles once after the retry', async () => {
    const { mock, client } = setup()
    await connected(client)
    let calls = 0
    mock.on('PUT', ([, body], connection) => {
      calls++
      if (calls === 1) {
        setTimeout(() => connection.drop(), 5)
        return NO_ACK
      }
      return [null, { ...(body as object), _version: 4 }, ack(4, 4)]
    })
    let settled = 0
    const p = client.putItem({ id: 'd1', title: 'x' }, 'todos').finally(() => settled++)
    expect(await p).toEqual(item('d1', 4, { title: 'x' }))
    await delay(20)
    expect(settled).toBe(1)
    const ids = mock.requests('PUT').map((r) => (r[2] as { mutationId: string }).mutationId)
    expect(ids).toHaveLength(2)
    expect(new Set(ids).size).toBe(1)
  })

  it('queues writes while offline in order, flushes them on connect, and refuses beyond maxQueue', async () => {
    const { mock, client } = setup({ maxQueue: 2 })
    const order: string[] = []
    mock.on('POST', ([, body]) => {
      order.push((body as { id: string }).id)
      return [null, { ...(body as object), _version: 1 }, ack(order.length, 1)]
    })
    // Not connected yet: everything queues.
    const a = client.postItem({ id: 'q1' }, 'todos')
    const b = client.postItem({ id: 'q2' }, 'todos')
    const full = await client.postItem({ id: 'q3' }, 'todos').catch((e: unknown) => e)
    expect(full).toBeInstanceOf(QueueFullError)
    expect((full as QueueFullError).code).toBe('QUEUE_FULL')
    expect(client.collection('todos').peek('q3')).toBeUndefined()
    expect(client.collection('todos').peek('q1')).toBeDefined()
    expect(client.getPendingWrites().map((w) => [w.id, w.state])).toEqual([
      ['q1', 'queued'],
      ['q2', 'queued'],
    ])
    await Promise.all([a, b])
    expect(order).toEqual(['q1', 'q2'])
  })

  it('subscribes lazily, applies events in seq order, detects a gap and catches up once', async () => {
    const { mock, client } = setup({ unsubscribeDelay: 20 })
    const subs: unknown[][] = []
    mock.on('SUBSCRIBE', (args) => {
      subs.push(args)
      const since = (args[1] as { since?: number }).since
      if (since === undefined) return [null, { seq: 10 }]
      return [
        null,
        {
          seq: 12,
          changes: [
            {
              type: 'ADDED',
              collection: 'todos',
              id: 'b',
              item: item('b'),
              meta: { seq: 11, prevSeq: 10, version: 1 },
            },
          ],
        },
      ]
    })
    mock.on('UNSUBSCRIBE', () => [null, true])
    await connected(client)
    expect(mock.requests('SUBSCRIBE')).toHaveLength(0)
    const events: unknown[] = []
    client.onEvent((e) => events.push(e))
    const todos = client.collection('todos')
    const off = todos.subscribe(() => {})
    await until(() => client.getSeq('todos') === 10)
    mock.current.emit('ADDED', 'todos', item('a'), { seq: 10, prevSeq: 9, version: 1 }) // stale
    // seq 11 is lost; 12 arrives and reveals the gap.
    mock.current.emit('ADDED', 'todos', item('c'), { seq: 12, prevSeq: 11, version: 1 })
    await until(() => client.getSeq('todos') === 12)
    expect(subs).toEqual([
      ['todos', {}],
      ['todos', { since: 10 }],
    ])
    expect(todos.peek('a')).toBeUndefined()
    expect(todos.peek('b')).toEqual(item('b'))
    expect(events).toHaveLength(2)
    mock.current.emit('CHANGED', 'todos', 'b', [{ op: 'add', path: '/t', value: 1 }], {
      seq: 13,
      prevSeq: 12,
      version: 2,
    })
    await until(() => client.getSeq('todos') === 13)
    expect(todos.peek('b')).toEqual({ ...item('b', 2), t: 1 })
    off()
    await until(() => mock.requests('UNSUBSCRIBE').length === 1)
    expect(subs).toHaveLength(2)
  })

  it('ignores malformed push events', async () => {
    const { mock, client } = setup()
    mock.on('SUBSCRIBE', () => [null, { seq: 0 }])
    const events: unknown[] = []
    client.onEvent((e) => events.push(e))
    client.collection('todos').subscribe(() => {})
    await until(() => client.getSeq('todos') === 0)
    mock.current.emit('ADDED', 'todos', null, { seq: 1 })
    mock.current.emit('CHANGED', 'todos', 5, 'x', {})
    mock.current.emit('REMOVED', 42)
    mock.current.emit('ADDED', 'todos', item('ok'), { seq: 1, prevSeq: 0, version: 1 })
    await until(() => client.getSeq('todos') === 1)
    expect(events).toHaveLength(1)
  })

  it('close() rejects what is pending with DisconnectedError', async () => {
    const { mock, client } = setup()
    await connected(client)
    mock.on('POST', () => NO_ACK)
    const p = client.postItem({ id: 'x' }, 'todos', { timeout: 5000 })
    await until(() => mock.requests('POST').length === 1)
    client.close()
    await expect(p).rejects.toBeInstanceOf(DisconnectedError)
    await expect(client.getItem('x', 'todos')).rejects.toBeInstanceOf(DisconnectedError)
  })

  it('client.batch notifies listeners of several collections once, at the end', async () => {
    const { mock, client } = setup()
    mock.on('SUBSCRIBE', () => [null, { seq: 0 }])
    const calls: string[] = []
    client.collection('a').subscribe((changes) => calls.push(`a:${changes.length}`))
    client.collection('b').subscribe((changes) => calls.push(`b:${changes.length}`))
    client.batch(() => {
      void client.postItem({ id: 'x1' }, 'a').catch(() => {})
      void client.postItem({ id: 'x2' }, 'a').catch(() => {})
      void client.postItem({ id: 'y1' }, 'b').catch(() => {})
      expect(calls).toEqual([])
    })
    expect(calls.sort()).toEqual(['a:2', 'b:1'])
  })

  it('pending-write listeners see a write go from sent to gone', async () => {
    const { mock, client } = setup()
    await connected(client)
    mock.on('DELETE', () => [null, true, ack(1, 1)])
    const snapshots: string[][] = []
    client.subscribePendingWrites(() =>
      snapshots.push(client.getPendingWrites().map((w) => `${w.kind}:${w.id}:${w.state}`)),
    )
    await client.deleteItem('gone', 'todos')
    expect(snapshots).toEqual([['DELETE:gone:sent'], []])
  })

  it('subscribeItem keeps the collection subscribed; UNSUBSCRIBE follows the last release after the delay', async () => {
    const { mock, client } = setup({ unsubscribeDelay: 30 })
    mock.on('SUBSCRIBE', () => [null, { seq: 3 }])
    mock.on('UNSUBSCRIBE', () => [null, true])
    await connected(client)
    const todos = client.collection('todos')
    const off1 = todos.subscribeItem('a', () => {})
    const off2 = todos.subscribeItem('b', () => {})
    await until(() => client.getSeq('todos') === 3)
    off1()
    await delay(60)
    expect(mock.requests('UNSUBSCRIBE')).toHaveLength(0)
    off2()
    off2()
    await until(() => mock.requests('UNSUBSCRIBE').length === 1)
    expect(mock.requests('SUBSCRIBE')).toHaveLength(1)
    // A later observer joins again from where the client left off.
    todos.subscribe(() => {})
    await until(() => mock.requests('SUBSCRIBE').length === 2)
    expect(mock.requests('SUBSCRIBE')[1]).toEqual(['todos', { since: 3 }])
  })

  it('refetches an item whose CHANGED ops could not be applied', async () => {
    const { mock, client } = setup()
    mock.on('SUBSCRIBE', () => [null, { seq: 1 }])
    mock.on('GET', () => [null, item('s', 1, { title: 'a' })])
    mock.on('LIST', ([, query]) => {
      const ids = (query as { filters: { id: { $in: string[] } } }).filters.id.$in
      return [
        null,
        {
          items: ids.includes('s') ? [item('s', 2, { deep: { x: 1 } })] : [],
          total: 1,
          page: 1,
          pageSize: 100,
          seq: 2,
        },
      ]
    })
    const todos = client.collection('todos')
    todos.subscribe(() => {})
    await todos.getItem('s')
    await until(() => client.getSeq('todos') === 1)
    mock.current.emit('CHANGED', 'todos', 's', [{ op: 'replace', path: '/deep/x', value: 1 }], {
      seq: 2,
      prevSeq: 1,
      version: 2,
    })
    await until(() => todos.getItemState('s').version === 2)
    expect(todos.peek('s')).toEqual(item('s', 2, { deep: { x: 1 } }))
    expect(mock.requests('LIST')[0]).toEqual([
      'todos',
      { filters: { id: { $in: ['s'] } }, pageSize: 100 },
    ])
  })

  it('sends writes of one item one after the other, and other items meanwhile', async () => {
    const { mock, client } = setup()
    await connected(client)
    const gates: Array<() => void> = []
    mock.on('PATCH', async ([, patch]) => {
      const { id } = patch as { id: string }
      if (id === 'same') await new Promise<void>((r) => gates.push(r))
      return [null, item(id, 2, patch as Record<string, unknown>), ack(1, 2)]
    })
    const first = client.patchItem({ id: 'same', n: 1 }, 'todos')
    const second = client.patchItem({ id: 'same', n: 2 }, 'todos')
    const other = client.patchItem({ id: 'other', n: 3 }, 'todos')
    await other
    const sent = () => mock.requests('PATCH').map((r) => (r[1] as { n: number }).n)
    expect(sent()).toEqual([1, 3])
    expect(client.getPendingWrites().map((w) => w.state)).toEqual(['sent', 'queued'])
    gates.shift()!()
    await first
    await until(() => sent().length === 3)
    expect(sent()).toEqual([1, 3, 2])
    gates.shift()!()
    await second
  })

  it('rejects malformed answers with INTERNAL and rolls an optimistic write back', async () => {
    const { mock, client } = setup()
    await connected(client)
    mock.on('GET', () => [null, 42])
    mock.on('LIST', () => [null, { nope: true }])
    mock.on('POST', () => [null, 'not an item', ack(1, 1)])
    await expect(client.getItem('a', 'todos')).rejects.toMatchObject({ code: 'INTERNAL' })
    await expect(client.getItems({}, 'todos')).rejects.toMatchObject({ code: 'INTERNAL' })
    const p = client.postItem({ id: 'm' }, 'todos')
    expect(client.collection('todos').peek('m')).toBeDefined()
    await expect(p).rejects.toMatchObject({ code: 'INTERNAL' })
    expect(client.collection('todos').peek('m')).toBeUndefined()
  })

  it('applies events version-gated: stale, resurrecting and duplicate events change nothing', async () => {
    const { mock, client } = setup()
    mock.on('SUBSCRIBE', () => [null, { seq: 0 }])
    const todos = client.collection('todos')
    const versions: number[] = []
    todos.subscribeItem('v', () => versions.push(todos.getItemState('v').version))
    await until(() => client.getSeq('todos') === 0)
    let seq = 0
    const meta = (version: number) => ({ seq: ++seq, prevSeq: seq - 1, version })
    const c = mock.current
    c.emit('ADDED', 'todos', item('v', 4, { t: 'a' }), meta(4))
    c.emit('ADDED', 'todos', item('v', 4, { t: 'a' }), meta(4)) // duplicate ADDED
    c.emit('CHANGED', 'todos', 'v', [{ op: 'replace', path: '/t', value: 'b' }], meta(5))
    c.emit('CHANGED', 'todos', 'v', [{ op: 'replace', path: '/t', value: 'old' }], meta(4))
    await until(() => client.getSeq('todos') === 4)
    expect(todos.peek('v')).toEqual(item('v', 5, { t: 'b' }))
    c.emit('REMOVED', 'todos', 'v', meta(6))
    c.emit('REMOVED', 'todos', 'v', meta(6)) // duplicate REMOVED
    c.emit('CHANGED', 'todos', 'v', [{ op: 'replace', path: '/t', value: 'zombie' }], meta(5))
    await until(() => client.getSeq('todos') === 7)
    expect(todos.peek('v')).toBeUndefined()
    expect(todos.getItemState('v')).toMatchObject({ status: 'deleted', version: 6 })
    expect(versions).toEqual([...versions].sort((a, b) => a - b))
  })

  it('retries a SUBSCRIBE that timed out, but not one the server refused', async () => {
    const { mock, client } = setup({ timeout: 50 })
    let answered = 0
    mock.on('SUBSCRIBE', ([collection]) => {
      if (collection === 'secret') return [{ code: 'FORBIDDEN', message: 'no' }]
      return answered++ === 0 ? NO_ACK : [null, { seq: 9 }]
    })
    client.collection('secret').subscribe(() => {})
    client.collection('slow').subscribe(() => {})
    await until(() => client.getSeq('slow') === 9)
    await delay(300)
    const subs = mock.requests('SUBSCRIBE').map((r) => r[0])
    expect(subs.filter((c) => c === 'secret')).toHaveLength(1)
    expect(subs.filter((c) => c === 'slow')).toHaveLength(2)
  })
})
