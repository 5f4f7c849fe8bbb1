import { afterEach, describe, expect, it } from 'vitest'
import { createClient, type LivecrudClient } from 'livecrud'
import type { LivecrudServer } from 'livecrud/server'
import {
  closeAll,
  connect,
  ok,
  recordEvents,
  request,
  settle,
  startServer,
  wm,
  type Client,
} from './helpers.js'

// Contract points a client written from PROTOCOL.md alone relies on (issue 14, part 4).
let server: LivecrudServer | undefined
const clients: Client[] = []
afterEach(async () => {
  server = await closeAll(server, clients)
})

async function two(options: Parameters<typeof startServer>[0] = {}) {
  server = await startServer(options)
  const writer = await connect(server)
  const watcher = await connect(server)
  clients.push(writer, watcher)
  await ok(watcher, 'SUBSCRIBE', 'todos')
  return { writer, watcher, events: recordEvents(watcher) }
}

describe('PATCH that changes nothing commits nothing', () => {
  it('a patch of only `test` ops: same version, no event, the item as it is', async () => {
    const { writer, watcher, events } = await two()
    const { result: item } = await ok(writer, 'POST', 'todos', { id: 't1', title: 'a' }, wm())
    const { result, meta } = await ok(
      writer,
      'PATCH',
      'todos',
      [{ op: 'test', path: '/t1/title', value: 'a' }],
      wm(),
    )
    expect(result).toEqual(item)
    expect(meta.version).toBe(1)
    await settle(watcher)
    expect(events.map((e) => e.type)).toEqual(['ADDED'])
  })

  it('a merge patch with the values already there commits nothing', async () => {
    const { writer, watcher, events } = await two()
    await ok(writer, 'POST', 'todos', { id: 't1', title: 'a', n: 1 }, wm())
    const { meta } = await ok(writer, 'PATCH', 'todos', { id: 't1', n: 1 }, wm())
    expect(meta.version).toBe(1)
    await settle(watcher)
    expect(events.map((e) => e.type)).toEqual(['ADDED'])
  })

  it('a merge patch of a field `redact` hides from the writer is ignored and commits nothing', async () => {
    const { writer, watcher, events } = await two({
      redact: (_user, _collection, item) => {
        const { secret: _s, ...rest } = item
        return rest as typeof item
      },
    })
    await ok(writer, 'POST', 'todos', { id: 't1', title: 'a' }, wm())
    const { result, meta } = await ok(writer, 'PATCH', 'todos', { id: 't1', secret: 'x' }, wm())
    expect(meta.version).toBe(1)
    expect(result).toEqual({ id: 't1', _version: 1, title: 'a' })
    expect(await server!.store.get('todos', 't1')).toEqual({ id: 't1', _version: 1, title: 'a' })
    await settle(watcher)
    expect(events.map((e) => e.type)).toEqual(['ADDED'])
  })

  it('the public client settles a no-op patch: resolved, nothing pending', async () => {
    server = await startServer()
    const client: LivecrudClient = createClient({ url: server.url })
    try {
      await client.postItem({ id: 'n1', title: 'same' }, 'todos')
      const out = await client.patchItem({ id: 'n1', title: 'same' }, 'todos')
      expect(out).toMatchObject({ id: 'n1', title: 'same', _version: 1 })
      expect(client.getPendingWrites()).toEqual([])
      expect(client.collection('todos').peek('n1')).toMatchObject({ title: 'same', _version: 1 })
    } finally {
      client.close()
    }
  })
})

describe('JSON Patch refusals name the op', () => {
  for (const first of [{ op: 'add', value: 'bar' }, { op: 'add', path: null, value: 1 }, 'x']) {
    it(`first op ${JSON.stringify(first)} → BAD_REQUEST with details.index 0`, async () => {
      const { writer } = await two()
      const { err } = await request(writer, 'PATCH', 'todos', [first], wm())
      expect(err).toMatchObject({ code: 'BAD_REQUEST', details: { index: 0 } })
    })
  }

  it('a first op whose path names an invalid id → BAD_REQUEST with details.index 0', async () => {
    const { writer } = await two()
    const op = { op: 'replace', path: '/a b/title', value: 1 }
    const { err } = await request(writer, 'PATCH', 'todos', [op], wm())
    expect(err).toMatchObject({ code: 'BAD_REQUEST', details: { index: 0 } })
  })
})

describe('UNSUBSCRIBE', () => {
  it('answers true for a valid name, subscribed or not; BAD_REQUEST for an invalid one', async () => {
    const { writer } = await two()
    expect((await request(writer, 'UNSUBSCRIBE', 'never-subscribed')).result).toBe(true)
    expect((await request(writer, 'UNSUBSCRIBE', 'bad name!')).err).toMatchObject({
      code: 'BAD_REQUEST',
    })
  })
})
