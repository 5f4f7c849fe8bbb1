import { afterEach, describe, expect, it, vi } from 'vitest'
import { MemoryStore, type LivecrudServer, type Store } from 'livecrud/server'
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

let server: LivecrudServer | undefined
const clients: Client[] = []
afterEach(async () => {
  server = await closeAll(server, clients)
  vi.restoreAllMocks()
})
async function client(): Promise<Client> {
  const c = await connect(server!)
  clients.push(c)
  return c
}

describe('unexpected failures', () => {
  it('a store that throws or rejects answers INTERNAL without details, and the server goes on', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const inner = new MemoryStore()
    const broken: Store = Object.assign(Object.create(inner) as Store, {
      get: () => {
        throw new Error('disk on fire: /secret/path')
      },
      list: () => Promise.reject(new TypeError('connection reset')),
    })
    server = await startServer({ store: broken })
    const c = await client()
    const got = await request(c, 'GET', 'todos', 'a')
    expect(got.err).toEqual({ code: 'INTERNAL', message: 'internal server error' })
    expect((await request(c, 'LIST', 'todos')).err?.code).toBe('INTERNAL')
    expect(log).toHaveBeenCalled()
    expect((await ok(c, 'POST', 'todos', { id: 'a' }, wm())).result.id).toBe('a')
    await inner.close()
  })

  it('an asynchronous authorize is a configuration error (INTERNAL), never an allow', async () => {
    server = await startServer({ authorize: (() => Promise.resolve(true)) as never })
    const c = await client()
    const r = await request(c, 'POST', 'todos', { id: 'a' }, wm())
    expect(r.err).toMatchObject({ code: 'INTERNAL', message: 'authorize must be synchronous' })
    expect((await request(c, 'GET', 'todos', 'a')).err?.code).toBe('INTERNAL')
  })

  it('a canRead that throws fails closed: nothing is shown or sent', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    server = await startServer({
      allowWritesOutOfScope: true,
      canRead: (_u, _c, item) => {
        if (item.boom) throw new Error('bad predicate')
        return true
      },
    })
    const writer = await client()
    const reader = await client()
    await ok(reader, 'SUBSCRIBE', 'todos')
    const events = recordEvents(reader)
    await ok(writer, 'POST', 'todos', { id: 'fine' }, wm())
    const hidden = await ok(writer, 'POST', 'todos', { id: 'x', boom: true }, wm())
    expect(hidden.result).toBeNull()
    await settle(reader)
    expect(events.map((e) => e.id)).toEqual(['fine'])
    expect((await ok(reader, 'GET', 'todos', 'x')).result).toBeNull()
    expect(log).toHaveBeenCalledWith('livecrud: canRead failed', expect.any(Error))
  })
})
