import { afterEach, describe, expect, it } from 'vitest'
import { MemoryStore, type LivecrudServer } from 'livecrud/server'
import type { ChangeEvent } from 'livecrud'
import {
  closeAll,
  connect,
  ok,
  recordEvents,
  settle,
  startServer,
  until,
  wm,
  type Client,
} from './helpers.js'
import { TOKEN, securityOptions } from './securityFixture.js'

/**
 * Event meta names the mutation (`clientId`, `mutationId`) only to the connections of the client
 * that wrote it (same user and clientId: its origin); everyone else gets neither field.
 */

let server: LivecrudServer | undefined
const clients: Client[] = []
afterEach(async () => {
  server = await closeAll(server, clients)
})

async function start(store?: MemoryStore): Promise<void> {
  server = await startServer({
    ...securityOptions(),
    ...(store ? { store } : {}),
    limits: { maxRequestsPerSecond: 100_000 },
  })
}

interface Peer {
  socket: Client
  events: ChangeEvent[]
}

async function peer(user: keyof typeof TOKEN, clientId?: string): Promise<Peer> {
  const auth: Record<string, unknown> = { token: TOKEN[user] }
  if (clientId !== undefined) auth.clientId = clientId
  const socket = await connect(server!, { auth })
  clients.push(socket)
  const events = recordEvents(socket)
  await ok(socket, 'SUBSCRIBE', 'todos', {})
  return { socket, events }
}

/** The meta's mutation fields, or `{}` when it names none. */
const named = (e: ChangeEvent) => {
  const out: Record<string, unknown> = {}
  if ('clientId' in e.meta) out.clientId = e.meta.clientId
  if ('mutationId' in e.meta) out.mutationId = e.meta.mutationId
  return out
}

async function write(by: Peer, id: string, everyone: Peer[]): Promise<string> {
  const m = wm()
  await ok(by.socket, 'POST', 'todos', { id, tenant: 'A' }, m)
  await until(() => everyone.every((p) => p.events.some((e) => e.id === id)))
  return m.mutationId
}

const eventOf = (p: Peer, id: string) => p.events.find((e) => e.id === id)!

describe('event meta names the mutation only to its writer', () => {
  it('two users: each one’s echo names its own write, the other learns neither id', async () => {
    await start(new MemoryStore())
    const admin = await peer('admin', 'c-admin')
    const alice = await peer('alice', 'c-alice')
    const m1 = await write(admin, 'x1', [admin, alice])
    const m2 = await write(alice, 'x2', [admin, alice])
    expect(named(eventOf(admin, 'x1'))).toEqual({ clientId: 'c-admin', mutationId: m1 })
    expect(named(eventOf(alice, 'x1'))).toEqual({})
    expect(named(eventOf(alice, 'x2'))).toEqual({ clientId: 'c-alice', mutationId: m2 })
    expect(named(eventOf(admin, 'x2'))).toEqual({})
    // The rest of the meta is the same for everyone.
    expect(eventOf(alice, 'x1').meta).toEqual({ seq: 1, prevSeq: 0, version: 1 })
  })

  it('two users with the same clientId are two writers', async () => {
    await start(new MemoryStore())
    const admin = await peer('admin', 'shared-client')
    const alice = await peer('alice', 'shared-client')
    const m = await write(admin, 'x1', [admin, alice])
    expect(named(eventOf(admin, 'x1'))).toEqual({ clientId: 'shared-client', mutationId: m })
    expect(named(eventOf(alice, 'x1'))).toEqual({})
  })

  it('one user, two clientIds: only the writing client gets the ids; two connections of one client both do', async () => {
    await start(new MemoryStore())
    const tab1 = await peer('alice', 'c-1')
    const tab1again = await peer('alice', 'c-1')
    const tab2 = await peer('alice', 'c-2')
    const m = await write(tab1, 'x1', [tab1, tab1again, tab2])
    expect(named(eventOf(tab1, 'x1'))).toEqual({ clientId: 'c-1', mutationId: m })
    expect(named(eventOf(tab1again, 'x1'))).toEqual({ clientId: 'c-1', mutationId: m })
    expect(named(eventOf(tab2, 'x1'))).toEqual({})
  })

  it('a connection without a clientId hears its own mutationId, and nobody else does', async () => {
    await start(new MemoryStore())
    const anon1 = await peer('alice')
    const anon2 = await peer('alice')
    const m = await write(anon1, 'x1', [anon1, anon2])
    expect(named(eventOf(anon1, 'x1'))).toEqual({ mutationId: m })
    expect(named(eventOf(anon2, 'x1'))).toEqual({})
  })

  it('the catch-up of SUBSCRIBE since follows the same rule', async () => {
    await start(new MemoryStore())
    const writer = await peer('alice', 'c-w')
    const other = await peer('admin', 'c-o')
    const m = await write(writer, 'x1', [writer, other])
    const since = async (p: Peer) =>
      (await ok(p.socket, 'SUBSCRIBE', 'todos', { since: 0 })).result.changes as ChangeEvent[]
    expect((await since(writer)).map(named)).toEqual([{ clientId: 'c-w', mutationId: m }])
    expect((await since(other)).map(named)).toEqual([{}])
  })

  it('with the default store too, another client never learns the writer’s ids and the echo matches', async () => {
    await start()
    const admin = await peer('admin', 'c-admin')
    const alice = await peer('alice', 'c-alice')
    const m = await write(admin, 'x1', [admin, alice])
    await settle(alice.socket)
    expect(named(eventOf(admin, 'x1'))).toEqual({ clientId: 'c-admin', mutationId: m })
    expect(named(eventOf(alice, 'x1'))).toEqual({})
  })
})
