import { afterEach, describe, expect, it } from 'vitest'
import {
  ConflictError,
  DisconnectedError,
  LivecrudError,
  QueueFullError,
  ServerError,
  TimeoutError,
} from 'livecrud'
import type { ChangeEvent, Item } from 'livecrud'
import type { ServerOptions } from 'livecrud/server'
import { harness, serverItems, until } from './helpers.js'
import type { Harness } from './helpers.js'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})
async function start(options: ServerOptions = {}) {
  h = await harness(options)
  return h
}

describe('client against the reference server', () => {
  it('runs the six CRUD functions', async () => {
    const { client } = await start()
    const c = await client()
    const created = await c.postItem<Item>({ title: 'a', n: 1 }, 'todos')
    expect(created).toMatchObject({ title: 'a', n: 1, _version: 1 })
    expect(typeof created.id).toBe('string')
    const withId = await c.postItem({ id: 'b', title: 'b', n: 2 }, 'todos')
    expect(withId).toEqual({ id: 'b', _version: 1, title: 'b', n: 2 })
    expect(await c.getItem('b', 'todos')).toEqual(withId)
    expect(await c.getItem('missing', 'todos')).toBeUndefined()
    expect(await c.putItem({ id: 'b', title: 'B' }, 'todos')).toEqual({
      id: 'b',
      _version: 2,
      title: 'B',
    })
    expect(await c.patchItem({ id: 'b', done: true }, 'todos')).toEqual({
      id: 'b',
      _version: 3,
      title: 'B',
      done: true,
    })
    expect(
      await c.patchItem([{ op: 'replace', path: '/b/title', value: 'BB' }], 'todos'),
    ).toMatchObject({ title: 'BB', _version: 4 })
    const list = await c.getItems({ sort: 'title', filters: { n: { $gte: 1 } } }, 'todos')
    expect(list.map((i) => i.id)).toEqual([created.id])
    expect((await c.getItems({ sort: '-id', pageSize: 1, page: 2 }, 'todos')).length).toBe(1)
    expect(await c.deleteItem('b', 'todos')).toBe(true)
    expect(await c.deleteItem('b', 'todos')).toBe(false)
    expect(await c.getItem('b', 'todos')).toBeUndefined()
    const handle = c.collection('todos')
    expect(await handle.getItem(created.id)).toEqual(created)
    expect(handle.peek(created.id)).toEqual(created)
  })

  it('answers each server error code that can occur with its class and code', async () => {
    const { client } = await start({
      authorize: (ctx) => ctx.item?.title !== 'forbidden',
      limits: { maxItemBytes: 2000 },
    })
    const c = await client()
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: unknown) => (e instanceof LivecrudError ? e.code : String(e)),
      )
    expect(await code(c.getItem('x', '9bad'))).toBe('BAD_REQUEST')
    expect(await code(c.getItems({ page: 0 }, 'todos'))).toBe('BAD_REQUEST')
    expect(await code(c.putItem({ id: 'nope', t: 1 }, 'todos'))).toBe('NOT_FOUND')
    expect(await code(c.patchItem({ id: 'nope', t: 1 }, 'todos'))).toBe('NOT_FOUND')
    await c.postItem({ id: 'v', t: 1 }, 'todos')
    const conflict = await c.putItem({ id: 'v', t: 2 }, 'todos', { ifVersion: 7 }).catch((e) => e)
    expect(conflict).toBeInstanceOf(ConflictError)
    expect((conflict as ConflictError).current).toMatchObject({ id: 'v', _version: 1, t: 1 })
    expect(await code(c.postItem({ id: 'v' }, 'todos'))).toBe('CONFLICT')
    expect(await code(c.postItem({ title: 'forbidden' }, 'todos'))).toBe('FORBIDDEN')
    expect(await code(c.postItem({ big: 'x'.repeat(5000) }, 'todos'))).toBe('PAYLOAD_TOO_LARGE')
    const error = await c.getItem('x', '9bad').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ServerError)
    expect((error as ServerError).code).toBe('BAD_REQUEST')
    expect((error as ServerError).message).toContain('collection must match')
  })

  it('answers RATE_LIMITED when a connection exceeds its request rate', async () => {
    const { client } = await start({ limits: { maxRequestsPerSecond: 5 } })
    const c = await client()
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => c.getItem('x', 'todos')),
    )
    const codes = results.map((r) =>
      r.status === 'rejected' ? (r.reason as LivecrudError).code : 'ok',
    )
    expect(codes).toContain('RATE_LIMITED')
    expect(codes).toContain('ok')
  })

  it('answers INTERNAL when the store fails, and UNAUTHORIZED when the handshake is refused', async () => {
    const { server, client } = await start({
      authenticate: (hs) => ((hs.auth as { token?: string }).token === 'good' ? { u: 1 } : null),
    })
    const original = server.store.get.bind(server.store)
    server.store.get = async (collection, id) => {
      if (id === 'explode') throw new Error('disk on fire')
      return original(collection, id)
    }
    const good = await client({ token: () => 'good' })
    await expect(good.getItem('explode', 'todos')).rejects.toMatchObject({ code: 'INTERNAL' })
    const bad = h!.server.url
    const { createClient } = await import('livecrud')
    const refused = createClient({ url: bad, token: 'bad', timeout: 2000 })
    try {
      await until(() => refused.getConnectionState() === 'disconnected', 5000, 'refused')
      const error = await refused.getItem('a', 'todos').catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'UNAUTHORIZED' })
    } finally {
      refused.close()
    }
  })

  it('times out with the default and the per-call timeout when the server does not answer', async () => {
    const { server, client } = await start()
    server.io.on('connection', (socket) => {
      socket.use((packet, next) => {
        if (packet[0] === 'GET') return // swallowed: no handler, no ack
        next()
      })
    })
    const c = await client({ timeout: 150 })
    const t0 = Date.now()
    const e1 = await c.getItem('a', 'todos').catch((e: unknown) => e)
    expect(e1).toBeInstanceOf(TimeoutError)
    expect((e1 as TimeoutError).message).toMatch(/outcome is unknown/)
    const e2 = await c.getItem('a', 'todos', 40).catch((e: unknown) => e)
    expect(e2).toBeInstanceOf(TimeoutError)
    expect(Date.now() - t0).toBeLessThan(1500)
  })

  it('answers DISCONNECTED when the connection drops mid-request, QUEUE_FULL when the offline queue is full', async () => {
    const { server, client } = await start()
    let holdConnections = false
    const held: Array<() => void> = []
    server.io.use((_socket, next) => {
      if (holdConnections) held.push(() => next())
      else next()
    })
    server.io.on('connection', (socket) => {
      socket.use((packet, next) => {
        if (packet[0] === 'GET' && packet[2] === 'cut') return socket.conn.close()
        next()
      })
    })
    const c = await client({ maxQueue: 2 })
    holdConnections = true
    const cut = await c.getItem('cut', 'todos').catch((e: unknown) => e)
    expect(cut).toBeInstanceOf(DisconnectedError)
    expect((cut as DisconnectedError).message).toMatch(/outcome is unknown/)
    await until(() => c.getConnectionState() === 'disconnected')
    expect(await c.getItem('x', 'todos').catch((e: unknown) => e)).toBeInstanceOf(DisconnectedError)
    const queued = [c.postItem({ id: 'q1' }, 'todos'), c.postItem({ id: 'q2' }, 'todos')]
    const full = await c.postItem({ id: 'q3' }, 'todos').catch((e: unknown) => e)
    expect(full).toBeInstanceOf(QueueFullError)
    expect(c.getPendingWrites().map((w) => w.state)).toEqual(['queued', 'queued'])
    // The reconnect waits in the middleware until the offline writes are made.
    await until(() => held.length > 0)
    holdConnections = false
    for (const go of held.splice(0)) go()
    expect((await Promise.all(queued)).map((i) => (i as Item).id)).toEqual(['q1', 'q2'])
    expect((await serverItems(server, 'todos')).map((i) => i.id)).toEqual(['q1', 'q2'])
  })

  it('two clients see each other’s events in seq order', async () => {
    const { client } = await start()
    const a = await client()
    const b = await client()
    const seen: Record<string, ChangeEvent[]> = { a: [], b: [] }
    a.onEvent((e) => seen.a!.push(e))
    b.onEvent((e) => seen.b!.push(e))
    a.collection('todos').subscribe(() => {})
    b.collection('todos').subscribe(() => {})
    await until(() => a.getSeq('todos') !== undefined && b.getSeq('todos') !== undefined)
    const writes: Promise<unknown>[] = []
    for (let i = 0; i < 10; i++) {
      writes.push(a.postItem({ id: `a${i}`, n: i }, 'todos'))
      writes.push(b.postItem({ id: `b${i}`, n: i }, 'todos'))
    }
    await Promise.all(writes)
    await a.patchItem({ id: 'b3', by: 'a' }, 'todos')
    await b.deleteItem('a0', 'todos')
    await until(() => a.getSeq('todos') === 22 && b.getSeq('todos') === 22)
    for (const list of [seen.a!, seen.b!]) {
      const seqs = list.map((e) => e.meta.seq)
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y))
      expect(new Set(seqs).size).toBe(22)
    }
    // Each client's echoes name its own mutations; nobody learns the other's ids.
    expect(seen.a!.filter((e) => e.meta.clientId === a.clientId)).toHaveLength(11)
    expect(seen.a!.some((e) => e.meta.clientId === b.clientId)).toBe(false)
    expect(a.collection('todos').peek('b9')).toEqual(b.collection('todos').peek('b9'))
    expect(b.collection('todos').peek('b3')).toMatchObject({ by: 'a' })
    expect(a.collection('todos').peek('a0')).toBeUndefined()
  })

  it('an optimistic create is visible before its ack and exactly one row after the echo', async () => {
    const { server, client } = await start()
    const c = await client()
    const todos = c.collection('todos')
    const rows = () => [...(todos.peek('o1') ? ['o1'] : [])]
    const changes: string[] = []
    todos.subscribe((cs) => cs.forEach((ch) => changes.push(`${ch.cause}:${ch.id}`)))
    await until(() => c.getSeq('todos') !== undefined)
    const p = c.postItem({ id: 'o1', title: 'x' }, 'todos')
    expect(todos.peek('o1')).toMatchObject({ title: 'x' })
    expect(todos.getItemState('o1').hasPendingWrites).toBe(true)
    await p
    await until(() => c.getSeq('todos') === 1)
    expect(rows()).toEqual(['o1'])
    expect(todos.getItemState('o1')).toMatchObject({ hasPendingWrites: false, version: 1 })
    expect(await serverItems(server, 'todos')).toHaveLength(1)
    expect(changes.filter((x) => x.endsWith('o1'))[0]).toBe('optimistic:o1')
  })

  it('a write the server rejects is rolled back alone', async () => {
    const { client } = await start({ authorize: (ctx) => ctx.item?.title !== 'forbidden' })
    const c = await client()
    await c.postItem({ id: 'r', title: 'ok', done: false }, 'todos')
    const todos = c.collection('todos')
    todos.subscribe(() => {})
    const good = c.patchItem({ id: 'r', done: true }, 'todos')
    const bad = c.patchItem({ id: 'r', title: 'forbidden' }, 'todos')
    expect(todos.peek('r')).toMatchObject({ title: 'forbidden', done: true })
    await expect(bad).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await good
    await until(() => !todos.getItemState('r').hasPendingWrites)
    expect(todos.peek('r')).toMatchObject({ title: 'ok', done: true })
  })

  it('two clients patching different fields of one item both keep their field', async () => {
    const { client } = await start()
    const a = await client()
    const b = await client()
    await a.postItem({ id: 'f', x: 0, y: 0 }, 'todos')
    a.collection('todos').subscribe(() => {})
    b.collection('todos').subscribe(() => {})
    await b.getItem('f', 'todos')
    await until(() => a.getSeq('todos') !== undefined && b.getSeq('todos') !== undefined)
    await Promise.all([
      a.patchItem({ id: 'f', x: 1 }, 'todos'),
      b.patchItem({ id: 'f', y: 2 }, 'todos'),
    ])
    await until(() => a.getSeq('todos') === 3 && b.getSeq('todos') === 3)
    expect(a.collection('todos').peek('f')).toEqual({ id: 'f', _version: 3, x: 1, y: 2 })
    expect(b.collection('todos').peek('f')).toEqual({ id: 'f', _version: 3, x: 1, y: 2 })
  })
})
