import { afterEach, describe, expect, it } from 'vitest'
import type { LivecrudServer, ServerOptions } from 'livecrud/server'
import type { ChangeEvent, Item } from 'livecrud'
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

let server: LivecrudServer | undefined
const clients: Client[] = []
afterEach(async () => {
  server = await closeAll(server, clients)
})

/** Counts socket.io broadcasts (one encoding each) and the recipients they named. */
function countBroadcasts(s: LivecrudServer): { rooms: number[] } {
  const adapter = s.io.of('/').adapter
  const broadcast = adapter.broadcast.bind(adapter)
  const seen = { rooms: [] as number[] }
  adapter.broadcast = (packet, opts) => {
    seen.rooms.push(opts.rooms.size)
    broadcast(packet, opts)
  }
  return seen
}

async function start(options: ServerOptions<string> = {}): Promise<void> {
  server = await startServer<string>({
    authenticate: (h) => (h.auth as { token?: string }).token ?? null,
    ...options,
  })
}

interface Sub {
  socket: Client
  events: ChangeEvent[]
}
let subscribers = 0
async function subscriber(token: string): Promise<Sub> {
  // A clientId of its own: connections sharing one are one writer and get its echo apart.
  const socket = await connect(server!, {
    auth: { token, clientId: `c-${token}-${++subscribers}` },
  })
  clients.push(socket)
  const events = recordEvents(socket)
  await ok(socket, 'SUBSCRIBE', 'todos', {})
  return { socket, events }
}

const summary = (events: ChangeEvent[]) =>
  events.map((e) => {
    const body = e.type === 'ADDED' ? e.item : e.type === 'CHANGED' ? e.ops : null
    return [e.type, e.id, e.meta.prevSeq, e.meta.seq, body]
  })

describe('fan-out sends identical packets as one broadcast', () => {
  it('identical recipients share one broadcast per change', async () => {
    await start()
    const broadcasts = countBroadcasts(server!)
    const subs = await Promise.all([1, 2, 3, 4].map(() => subscriber('u')))
    const writer = subs[0]!.socket
    await ok(writer, 'POST', 'todos', { id: 'a', title: 'x' }, wm())
    await ok(writer, 'PATCH', 'todos', { id: 'a', title: 'y' }, wm())
    await ok(writer, 'DELETE', 'todos', 'a', wm())
    await Promise.all(subs.map((s) => settle(s.socket)))
    // The writer gets its echo (naming its mutation) on its own; the other three share one packet.
    expect(broadcasts.rooms).toEqual([3, 3, 3])
    const expected = [
      ['ADDED', 'a', 0, 1, { id: 'a', title: 'x', _version: 1 }],
      ['CHANGED', 'a', 1, 2, [{ op: 'replace', path: '/title', value: 'y' }]],
      ['REMOVED', 'a', 2, 3, null],
    ]
    for (const s of subs) expect(summary(s.events)).toEqual(expected)
  })

  it('groups recipients by what they may see and by their prevSeq', async () => {
    await start({ readScope: (user) => (user === 'admin' ? null : { owner: user }) })
    const broadcasts = countBroadcasts(server!)
    const admins = await Promise.all([1, 2].map(() => subscriber('admin')))
    const alices = await Promise.all([1, 2].map(() => subscriber('alice')))
    const bob = await subscriber('bob')
    const w = admins[0]!.socket
    await ok(w, 'POST', 'todos', { id: 'b', owner: 'bob' }, wm()) // 1: admins, bob
    await ok(w, 'POST', 'todos', { id: 'a', owner: 'alice' }, wm()) // 2: admins (prev 1), alices (prev 0)
    await ok(w, 'PATCH', 'todos', { id: 'a', owner: 'bob' }, wm()) // 3: CHANGED admins, REMOVED alices, ADDED bob
    await Promise.all(clients.map((c) => settle(c)))

    // The writer (admins[0]) gets its echoes on its own. Change 1: one group of the other admin +
    // bob (same packet); change 2: the other admin and alices differ in prevSeq; change 3: three
    // event types (the other admin and bob alone are sent directly).
    expect(broadcasts.rooms).toEqual([2, 2, 2])
    const b = { id: 'b', owner: 'bob', _version: 1 }
    const a = { id: 'a', owner: 'alice', _version: 1 }
    for (const s of admins)
      expect(summary(s.events)).toEqual([
        ['ADDED', 'b', 0, 1, b],
        ['ADDED', 'a', 1, 2, a],
        ['CHANGED', 'a', 2, 3, [{ op: 'replace', path: '/owner', value: 'bob' }]],
      ])
    for (const s of alices)
      expect(summary(s.events)).toEqual([
        ['ADDED', 'a', 0, 2, a],
        ['REMOVED', 'a', 2, 3, null],
      ])
    expect(summary(bob.events)).toEqual([
      ['ADDED', 'b', 0, 1, b],
      ['ADDED', 'a', 1, 3, { id: 'a', owner: 'bob', _version: 2 }],
    ])
  })

  it('server fields are hidden in shared packets too; redact sends each user its own', async () => {
    await start({
      serverFields: { todos: ['secret'] },
      redact: (user, _c, item: Item) => (user === 'admin' ? item : { ...item, note: undefined }),
    })
    const broadcasts = countBroadcasts(server!)
    const admin = await subscriber('admin')
    const guests = await Promise.all([1, 2].map(() => subscriber('guest')))
    await ok(admin.socket, 'POST', 'todos', { id: 'a', note: 'n', secret: 's' }, wm())
    await Promise.all(clients.map((c) => settle(c)))
    expect(broadcasts.rooms).toEqual([])
    expect(summary(admin.events)).toEqual([
      ['ADDED', 'a', 0, 1, { id: 'a', note: 'n', _version: 1 }],
    ])
    for (const g of guests)
      expect(summary(g.events)).toEqual([['ADDED', 'a', 0, 1, { id: 'a', _version: 1 }]])
  })

  it('server fields without redact still share one broadcast', async () => {
    await start({ serverFields: { todos: ['secret'] } })
    const broadcasts = countBroadcasts(server!)
    const subs = await Promise.all([1, 2, 3].map(() => subscriber('u')))
    await ok(subs[0]!.socket, 'POST', 'todos', { id: 'a', secret: 's', t: 1 }, wm())
    await ok(subs[0]!.socket, 'PATCH', 'todos', { id: 'a', t: 2 }, wm())
    await until(() => subs.every((s) => s.events.length === 2))
    expect(broadcasts.rooms).toEqual([2, 2])
    for (const s of subs)
      expect(summary(s.events)).toEqual([
        ['ADDED', 'a', 0, 1, { id: 'a', t: 1, _version: 1 }],
        ['CHANGED', 'a', 1, 2, [{ op: 'replace', path: '/t', value: 2 }]],
      ])
  })
})
