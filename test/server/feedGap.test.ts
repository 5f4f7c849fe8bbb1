import { afterEach, describe, expect, it } from 'vitest'
import { MemoryStore, type ChangeRecord, type LivecrudServer, type Store } from 'livecrud/server'
import type { ChangeEvent } from 'livecrud'
import {
  closeAll,
  connect,
  ok,
  recordEvents,
  settle,
  startServer,
  until,
  type Client,
} from './helpers.js'

let server: LivecrudServer | undefined
const clients: Client[] = []
afterEach(async () => {
  server = await closeAll(server, clients)
})

/**
 * A memory store whose change feed can be told to lose changes, as a database feed does when it
 * falls further behind than the change log's retention and skips ahead (LogFeed's `gaps`).
 */
function skippingStore(changeRetention: number): { store: Store; skip: (on: boolean) => void } {
  const inner = new MemoryStore({ changeRetention })
  let skipping = false
  const store = Object.assign(Object.create(inner) as Store, {
    onChange: (listener: (change: ChangeRecord) => void) =>
      inner.onChange((change) => {
        if (!skipping) listener(change)
      }),
  })
  return { store, skip: (on) => (skipping = on) }
}

/** Users are their token; `owner` decides who may read a todo ('admin' reads everything). */
async function start(store: Store): Promise<void> {
  server = await startServer<string>({
    store,
    authenticate: (h) => (h.auth as { token?: string }).token ?? null,
    readScope: (user) => (user === 'admin' ? null : { owner: user }),
  })
}

async function subscriber(
  token: string,
): Promise<{ socket: Client; events: ChangeEvent[]; seq: number }> {
  const socket = await connect(server!, { auth: { token, clientId: `c-${token}` } })
  clients.push(socket)
  const events = recordEvents(socket)
  const { result } = await ok<{ seq: number }>(socket, 'SUBSCRIBE', 'todos', {})
  return { socket, events, seq: result.seq }
}

let n = 0
async function write(store: Store, owner: string): Promise<number> {
  const id = `t${++n}`
  const r = await store.write({
    collection: 'todos',
    id,
    mutationId: `m${n}`,
    decide: () => ({ action: 'put', item: { owner } }),
  })
  return r.seq
}

/** The (prevSeq → seq) links of what a client received. */
const links = (events: ChangeEvent[]) => events.map((e) => [e.meta.prevSeq, e.meta.seq])

describe('prevSeq when the change feed skips changes', () => {
  it('events hidden by authorization keep every chain intact', async () => {
    const { store } = skippingStore(100)
    await start(store)
    const alice = await subscriber('alice')
    const bob = await subscriber('bob')
    const admin = await subscriber('admin')
    for (const owner of ['alice', 'bob', 'bob', 'alice', 'bob']) await write(store, owner)
    await Promise.all([alice, bob, admin].map((c) => settle(c.socket)))
    expect(links(alice.events)).toEqual([
      [0, 1],
      [1, 4],
    ])
    expect(links(bob.events)).toEqual([
      [0, 2],
      [2, 3],
      [3, 5],
    ])
    expect(links(admin.events)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5],
    ])
  })

  it('a skip breaks the chain of every connection, also when the next change is hidden from it', async () => {
    const { store, skip } = skippingStore(2)
    await start(store)
    const alice = await subscriber('alice')
    const bob = await subscriber('bob')
    await write(store, 'alice') // 1: alice only
    skip(true)
    for (const owner of ['bob', 'alice', 'alice']) await write(store, owner) // 2..4: lost by the feed
    skip(false)
    await write(store, 'alice') // 5: alice only
    await write(store, 'bob') // 6: bob only
    await Promise.all([alice, bob].map((c) => settle(c.socket)))

    // alice last saw 1; the event after the skip must not claim to follow it.
    expect(links(alice.events)).toEqual([
      [0, 1],
      [4, 5],
    ])
    // bob last saw his baseline 0; change 5 was hidden from him, the skip still shows on 6.
    expect(links(bob.events)).toEqual([[4, 6]])
    for (const [c, last] of [
      [alice, 1],
      [bob, 0],
    ] as const) {
      const e = c.events.at(-1)!
      expect(e.meta.prevSeq).not.toBe(last)
      // The catch-up the client does on a broken chain: the log no longer holds last+1.
      const { result } = await ok(c.socket, 'SUBSCRIBE', 'todos', { since: last })
      expect(result).toEqual({ seq: 6, reset: true })
    }

    // After the reset the chain continues from the answer.
    await write(store, 'alice')
    await until(() => alice.events.length === 3)
    expect(links(alice.events).at(-1)).toEqual([6, 7])
  })

  it('a subscription whose baseline is past the skip sees no break', async () => {
    const { store, skip } = skippingStore(2)
    await start(store)
    await write(store, 'alice')
    skip(true)
    await write(store, 'alice')
    await write(store, 'alice')
    skip(false)
    const alice = await subscriber('alice')
    expect(alice.seq).toBe(3)
    await write(store, 'alice')
    await settle(alice.socket)
    expect(links(alice.events)).toEqual([[3, 4]])
  })
})
