import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LivecrudServer } from 'livecrud/server'
import {
  connect,
  ok,
  recordEvents,
  request,
  settle,
  startServer,
  wm,
  type Client,
} from './helpers.js'

let server: LivecrudServer
let a: Client
let b: Client

beforeAll(async () => {
  server = await startServer()
  a = await connect(server, { auth: { clientId: 'client-a' } })
  b = await connect(server, { auth: { clientId: 'client-b' } })
})
afterAll(async () => {
  a.close()
  b.close()
  await server.close()
})

describe('CRUD requests', () => {
  it('POST creates with a server id or the client id, and GET reads it', async () => {
    const { result: created, meta } = await ok(a, 'POST', 'todos', { title: 'one' }, wm())
    expect(created).toMatchObject({ title: 'one', _version: 1 })
    expect(typeof created.id).toBe('string')
    expect(meta).toMatchObject({ seq: 1, version: 1 })
    const own = await ok(a, 'POST', 'todos', { id: 't2', title: 'two' }, wm())
    expect(own.result).toEqual({ id: 't2', title: 'two', _version: 1 })
    expect((await ok(b, 'GET', 'todos', 't2')).result).toEqual(own.result)
    expect((await ok(b, 'GET', 'todos', 'missing')).result).toBeNull()
  })

  it('POST of an existing id is a CONFLICT carrying the current item', async () => {
    const r = await request(a, 'POST', 'todos', { id: 't2', title: 'again' }, wm())
    expect(r.err?.code).toBe('CONFLICT')
    expect((r.err?.details as any).current).toMatchObject({ id: 't2', title: 'two' })
  })

  it('PUT replaces, PATCH merges or applies ops, DELETE removes', async () => {
    await ok(a, 'POST', 'todos', { id: 'p1', title: 'x', done: false, tags: ['a'] }, wm())
    const put = await ok(a, 'PUT', 'todos', { id: 'p1', title: 'y', _version: 1 }, wm())
    expect(put.result).toEqual({ id: 'p1', title: 'y', _version: 2 })
    const merged = await ok(a, 'PATCH', 'todos', { id: 'p1', done: true }, wm())
    expect(merged.result).toEqual({ id: 'p1', title: 'y', done: true, _version: 3 })
    const ops = [
      { op: 'add', path: '/p1/tags', value: [] },
      { op: 'add', path: '/p1/tags/-', value: 'z' },
      { op: 'remove', path: '/p1/done' },
    ]
    const patched = await ok(a, 'PATCH', 'todos', ops, wm())
    expect(patched.result).toEqual({ id: 'p1', title: 'y', tags: ['z'], _version: 4 })
    expect((await ok(a, 'DELETE', 'todos', 'p1', wm())).result).toBe(true)
    expect((await ok(a, 'DELETE', 'todos', 'p1', wm())).result).toBe(false)
    expect((await ok(a, 'GET', 'todos', 'p1')).result).toBeNull()
  })

  it('PUT and PATCH of a missing item are NOT_FOUND', async () => {
    expect((await request(a, 'PUT', 'todos', { id: 'nope', t: 1 }, wm())).err?.code).toBe(
      'NOT_FOUND',
    )
    expect((await request(a, 'PATCH', 'todos', { id: 'nope', t: 1 }, wm())).err?.code).toBe(
      'NOT_FOUND',
    )
  })

  it('versions continue across delete and re-create', async () => {
    await ok(a, 'POST', 'todos', { id: 'v1' }, wm())
    await ok(a, 'DELETE', 'todos', 'v1', wm())
    const again = await ok(a, 'POST', 'todos', { id: 'v1' }, wm())
    expect(again.result._version).toBe(3)
  })

  it('LIST filters, sorts, pages and reports the seq', async () => {
    for (let i = 0; i < 5; i++)
      await ok(a, 'POST', 'nums', { id: `n${i}`, n: i, even: i % 2 === 0 }, wm())
    const page = await ok(a, 'LIST', 'nums', { filters: { even: true }, sort: '-n', pageSize: 2 })
    expect(page.result).toMatchObject({ total: 3, page: 1, pageSize: 2, seq: 5 })
    expect(page.result.items.map((i: any) => i.id)).toEqual(['n4', 'n2'])
    const p2 = await ok(a, 'LIST', 'nums', {
      filters: { even: true },
      sort: '-n',
      pageSize: 2,
      page: 2,
    })
    expect(p2.result.items.map((i: any) => i.id)).toEqual(['n0'])
    expect((await ok(a, 'LIST', 'empty')).result).toEqual({
      items: [],
      total: 0,
      page: 1,
      pageSize: 50,
      seq: 0,
    })
  })

  it('two clients see each other’s events in seq order, echo included', async () => {
    const ea = recordEvents(a)
    const eb = recordEvents(b)
    const sa = await ok(a, 'SUBSCRIBE', 'chat', {})
    const sb = await ok(b, 'SUBSCRIBE', 'chat')
    expect(sa.result).toEqual({ seq: 0 })
    expect(sb.result).toEqual({ seq: 0 })
    const m1 = wm()
    await ok(a, 'POST', 'chat', { id: 'c1', text: 'hi' }, m1)
    await ok(b, 'PATCH', 'chat', { id: 'c1', text: 'hello' }, wm())
    await ok(a, 'DELETE', 'chat', 'c1', wm())
    await settle(a)
    await settle(b)
    for (const events of [ea, eb]) {
      expect(events.map((e) => [e.type, e.meta.seq, e.meta.prevSeq, e.meta.version])).toEqual([
        ['ADDED', 1, 0, 1],
        ['CHANGED', 2, 1, 2],
        ['REMOVED', 3, 2, 3],
      ])
      expect(events[1]).toMatchObject({ ops: [{ op: 'replace', path: '/text', value: 'hello' }] })
    }
    // The writer's echo names its mutation; the other client learns neither id.
    expect(ea[0]!.meta).toMatchObject({ mutationId: m1.mutationId, clientId: 'client-a' })
    expect(eb[0]!.meta).toEqual({ seq: 1, prevSeq: 0, version: 1 })
    expect((await ok(a, 'UNSUBSCRIBE', 'chat')).result).toBe(true)
    await ok(b, 'POST', 'chat', { id: 'c2' }, wm())
    await settle(a)
    expect(ea).toHaveLength(3)
  })
})
