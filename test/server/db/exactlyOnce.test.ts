import type { Socket } from 'socket.io-client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { LivecrudClient } from 'livecrud'
import {
  MemoryStore,
  PostgresStore,
  RedisStore,
  createServer,
  type LivecrudServer,
  type Store,
} from 'livecrud/server'
import { FaultProxy } from '../../support/faultProxy.js'
import {
  GatedStore,
  commitsOf,
  cutClient,
  eventually,
  lastMutationId,
  quickClient,
  rawSocket,
  rowLock,
  send,
  watchWrites,
  type Hold,
  type WriteWatch,
} from './attemptHarness.js'
import { PG_URL, REDIS_URL, deleteKeys, dropSchema, pgUp, redisUp, uniqueName } from './services.js'

/**
 * Issue 14: a mutationId is decided once, for its own origin (user + clientId) only.
 * 14.1 — a retry racing its own first attempt inside the server is answered with the write's result.
 * 14.2 — a late first attempt arriving after its retry was refused gets the same refusal.
 * 14.3 — remembered results and event ids never cross users; no clientId, no sharing.
 * Every case runs on every store, through the public client and at the wire level.
 */

const schema = uniqueName('once')
const prefix = `${uniqueName('once')}:`
afterAll(async () => {
  if (pgUp) await dropSchema(schema)
  if (redisUp) await deleteKeys(prefix)
}, 30_000)

interface StoreCase {
  name: string
  up: boolean
  open(): Promise<Store>
  /** PostgreSQL: hold an item with a real row lock from another session. */
  rowLocks: boolean
}

const cases: StoreCase[] = [
  { name: 'memory', up: true, rowLocks: false, open: async () => new MemoryStore() },
  {
    name: 'PGlite',
    up: true,
    rowLocks: false,
    open: () => PostgresStore.pglite('memory://', { schema: 'once' }),
  },
  {
    name: 'PostgreSQL',
    up: pgUp,
    rowLocks: true,
    open: () => PostgresStore.connect(PG_URL, { schema, max: 6 }),
  },
  {
    name: 'Redis',
    up: redisUp,
    rowLocks: false,
    open: () => RedisStore.connect(REDIS_URL, { prefix }),
  },
]

let counter = 0
const fresh = () => `c${++counter}`

describe.each(cases)('$name store', { timeout: 60_000 }, (c) => {
  let store: Store
  let gated: GatedStore | undefined
  let server: LivecrudServer
  let watch: WriteWatch
  const clients: LivecrudClient[] = []
  const sockets: Socket[] = []

  beforeAll(async () => {
    if (!c.up) return
    store = await c.open()
    gated = c.rowLocks ? undefined : new GatedStore(store)
    server = await createServer({ host: '127.0.0.1', port: 0, store: gated ?? store })
    watch = watchWrites(server.io)
  }, 60_000)
  afterEach(() => {
    for (const client of clients.splice(0)) client.close()
    for (const socket of sockets.splice(0)) socket.close()
  })
  afterAll(async () => {
    if (!c.up) return
    await server.close()
    await store.close()
  })

  const hold = (collection: string, id: string): Promise<Hold> =>
    gated ? Promise.resolve(gated.hold(collection, id)) : rowLock(schema, collection, id)

  /**
   * Until `n` attempts of `mutationId` reached the server and (bounded) wait on the hold: a row lock
   * is only visible in pg_stat_activity, and a fixed store may make its retry wait elsewhere.
   */
  async function attemptsWaiting(h: Hold, mutationId: string, n: number): Promise<void> {
    await eventually(() => watch.received(mutationId) >= n, `attempt ${n} reached the server`)
    await eventually(async () => (await h.waiting()) >= n, `attempt ${n} waits`, 5_000).catch(
      (err: Error) => {
        if (gated) throw err
        console.warn(`${c.name}: ${err.message}; releasing anyway`)
      },
    )
  }

  const track = (client: LivecrudClient) => (clients.push(client), client)
  const raw = async (auth: Record<string, unknown>) => {
    const socket = await rawSocket(server.url, auth)
    sockets.push(socket)
    return socket
  }

  describe.runIf(c.up)('14.1 a retry racing its own first attempt', () => {
    it('public client: patchItem(ifVersion) cut while it waits on the item resolves, applied once — 5 of 5', async () => {
      const C = fresh()
      const writer = track(quickClient(server.url, `twin-${C}`))
      const outcomes: string[] = []
      for (let k = 0; k < 5; k++) {
        const id = `x${k}`
        await writer.postItem({ id, v: 0 }, C)
        const h = await hold(C, id)
        let settled: Promise<string>
        let mutationId: string
        try {
          settled = writer.patchItem({ id, v: 1 }, C, { ifVersion: 1 }).then(
            () => 'resolved',
            (e: { code?: string }) => `rejected ${e.code}`,
          )
          mutationId = lastMutationId(writer)
          await attemptsWaiting(h, mutationId, 1)
          expect(cutClient(server.io, writer.clientId)).toBeGreaterThan(0)
          await attemptsWaiting(h, mutationId, 2)
        } finally {
          await h.release()
        }
        const outcome = await settled
        const commits = await commitsOf(store, C, mutationId)
        outcomes.push(`${outcome}, ${commits.length} commit(s)`)
      }
      expect(outcomes).toEqual(Array(5).fill('resolved, 1 commit(s)'))
      for (let k = 0; k < 5; k++)
        expect(await store.get(C, `x${k}`)).toEqual({ id: `x${k}`, _version: 2, v: 1 })
    })

    it('wire: the retry on a new connection gets the original result once the lock is released', async () => {
      const C = fresh()
      const clientId = `twinwire-${C}`
      const first = await raw({ clientId })
      expect(
        (await send(first, 'POST', C, { id: 'x', v: 0 }, { mutationId: 'w-0' })).err,
      ).toBeNull()
      const M = 'w-1'
      const h = await hold(C, 'x')
      let retry: Promise<Awaited<ReturnType<typeof send>>>
      try {
        void send(first, 'PATCH', C, { id: 'x', v: 1 }, { mutationId: M, ifVersion: 1 }).catch(
          () => null,
        )
        await attemptsWaiting(h, M, 1)
        first.disconnect()
        const second = await raw({ clientId })
        retry = send(second, 'PATCH', C, { id: 'x', v: 1 }, { mutationId: M, ifVersion: 1 })
        await attemptsWaiting(h, M, 2)
      } finally {
        await h.release()
      }
      const answer = await retry
      expect(answer.err).toBeNull()
      expect(answer.result).toEqual({ id: 'x', _version: 2, v: 1 })
      expect(answer.meta).toMatchObject({ version: 2 })
      await eventually(() => watch.answers(M).length === 2, 'both attempts answered')
      expect((await commitsOf(store, C, M)).length).toBe(1)
      expect(await store.get(C, 'x')).toEqual({ id: 'x', _version: 2, v: 1 })
    })
  })

  describe.runIf(c.up)('14.2 a late first attempt after its retry was refused', () => {
    it('wire: attempt A after the refused attempt B gets the same refusal; nothing is written', async () => {
      const C = fresh()
      const clientId = `late-${C}`
      const [a, b, other] = await Promise.all([
        raw({ clientId }),
        raw({ clientId }),
        raw({ clientId: `other-${C}` }),
      ])
      const ok = async (...args: unknown[]) => {
        const r = await send(other, ...(args as [string, ...unknown[]]))
        expect(r.err).toBeNull()
      }
      const attempts: [string, ...unknown[]][] = [
        // NOT_FOUND, then the item is created
        ['PUT', C, { id: 'y', n: 1 }, { mutationId: 'late-put' }],
        // CONFLICT (exists), then the item is deleted
        ['POST', C, { id: 'z', n: 1 }, { mutationId: 'late-post' }],
        // CONFLICT (ifVersion), then the item reaches that version
        ['PATCH', C, { id: 'x', n: 1 }, { mutationId: 'late-cas', ifVersion: 2 }],
        // NOT_FOUND (JSON Patch), then the item is created
        ['PATCH', C, [{ op: 'add', path: '/w/n', value: 1 }], { mutationId: 'late-json' }],
      ]
      await ok('POST', C, { id: 'z', n: 0 }, { mutationId: 'o-1' })
      await ok('POST', C, { id: 'x', n: 0 }, { mutationId: 'o-2' })
      const refusals = []
      for (const attempt of attempts) refusals.push(await send(b, ...attempt))
      expect(refusals.map((r) => r.err?.code)).toEqual([
        'NOT_FOUND',
        'CONFLICT',
        'CONFLICT',
        'NOT_FOUND',
      ])
      await ok('POST', C, { id: 'y', n: 2 }, { mutationId: 'o-3' })
      await ok('DELETE', C, 'z', { mutationId: 'o-4' })
      await ok('PATCH', C, { id: 'x', n: 2 }, { mutationId: 'o-5' })
      await ok('POST', C, { id: 'w', n: 2 }, { mutationId: 'o-6' })
      for (const [i, attempt] of attempts.entries()) {
        const late = await send(a, ...attempt)
        const mutationId = (attempt[3] as { mutationId: string }).mutationId
        expect(late.err, `late attempt of ${mutationId}`).toMatchObject({
          code: refusals[i]!.err!.code,
          message: refusals[i]!.err!.message,
        })
        expect(await commitsOf(store, C, mutationId), mutationId).toEqual([])
      }
      expect(await store.get(C, 'y')).toEqual({ id: 'y', _version: 1, n: 2 })
      expect(await store.get(C, 'z')).toBeNull()
      expect(await store.get(C, 'x')).toEqual({ id: 'x', _version: 2, n: 2 })
      expect(await store.get(C, 'w')).toEqual({ id: 'w', _version: 1, n: 2 })
    })

    it('public client behind a proxy: the bytes of the first attempt reach the server after the retry was refused', async () => {
      const C = fresh()
      const proxy = await FaultProxy.start(() => ({ host: '127.0.0.1', port: server.port }))
      try {
        const writer = track(quickClient(proxy.url, `lateclient-${C}`))
        const other = track(quickClient(server.url, `otherclient-${C}`))
        await eventually(() => writer.getConnectionState() === 'connected', 'writer connected')
        const held = proxy.holdUpstream()
        const outcome = writer.putItem({ id: 'y', n: 1 }, C).then(
          () => null,
          (e: { code?: string }) => e,
        )
        const M = lastMutationId(writer)
        await eventually(() => proxy.heldBytes(held) > 0, 'the first attempt is held')
        proxy.orphan(held) // the client leg is reset: the client reconnects and retries
        expect((await outcome)?.code).toBe('NOT_FOUND')
        expect(watch.received(M)).toBe(1) // only the retry so far
        await other.postItem({ id: 'y', n: 2 }, C)
        proxy.release(held, 10_000) // the first attempt's bytes arrive now, on the old connection
        await eventually(() => watch.answers(M).length === 2, 'the late attempt was answered')
        const late = watch.answers(M)[1]!
        expect(late[0], 'the late attempt').toMatchObject({ code: 'NOT_FOUND' })
        expect(await commitsOf(store, C, M)).toEqual([])
        expect(await store.get(C, 'y')).toEqual({ id: 'y', _version: 1, n: 2 })
      } finally {
        await proxy.close()
      }
    })
  })

  describe.runIf(c.up)('14.3 remembered results and event ids stay with their origin', () => {
    let authServer: LivecrudServer
    beforeAll(async () => {
      authServer = await createServer({
        host: '127.0.0.1',
        port: 0,
        store,
        authenticate: (handshake) => {
          const token = (handshake.auth as { token?: unknown }).token
          return typeof token === 'string' ? { id: token } : null
        },
      })
    })
    afterAll(() => authServer.close())
    const connectAs = async (auth: Record<string, unknown>) => {
      const socket = await rawSocket(authServer.url, auth)
      sockets.push(socket)
      return socket
    }

    it("bob with alice's clientId and mutationId gets his own item written, never alice's", async () => {
      const C = fresh()
      const alice = await connectAs({ clientId: 'shared-client', token: 'alice' })
      const bob = await connectAs({ clientId: 'shared-client', token: 'bob' })
      const a = await send(
        alice,
        'POST',
        C,
        { id: 'a1', text: 'alice private' },
        { mutationId: 'm-1' },
      )
      expect(a.err).toBeNull()
      const b = await send(bob, 'POST', C, { id: 'b1' }, { mutationId: 'm-1' })
      expect(JSON.stringify(b)).not.toContain('alice private')
      expect(b.err).toBeNull()
      expect(b.result).toEqual({ id: 'b1', _version: 1 })
      expect(b.meta).not.toHaveProperty('duplicate')
      expect(await store.get(C, 'b1')).toEqual({ id: 'b1', _version: 1 })
      // Alice's retry still gets her own result.
      const again = await send(
        alice,
        'POST',
        C,
        { id: 'a1', text: 'alice private' },
        { mutationId: 'm-1' },
      )
      expect(again.err).toBeNull()
      expect(again.meta).toMatchObject({ duplicate: true })
      expect(again.result).toEqual({ id: 'a1', _version: 1, text: 'alice private' })
    })

    it('connections without a clientId never share results, even of one user', async () => {
      const C = fresh()
      const one = await connectAs({ token: 'carol' })
      const two = await connectAs({ token: 'carol' })
      const anonymousOne = await rawSocket(server.url, {})
      const anonymousTwo = await rawSocket(server.url, {})
      sockets.push(anonymousOne, anonymousTwo)
      const answers = [
        await send(one, 'POST', C, { id: 'n1' }, { mutationId: 'm-2' }),
        await send(two, 'POST', C, { id: 'n2' }, { mutationId: 'm-2' }),
        await send(anonymousOne, 'POST', C, { id: 'n3' }, { mutationId: 'm-2' }),
        await send(anonymousTwo, 'POST', C, { id: 'n4' }, { mutationId: 'm-2' }),
      ]
      expect(answers.map((r) => [r.err, r.result])).toEqual([
        [null, { id: 'n1', _version: 1 }],
        [null, { id: 'n2', _version: 1 }],
        [null, { id: 'n3', _version: 1 }],
        [null, { id: 'n4', _version: 1 }],
      ])
      for (const id of ['n1', 'n2', 'n3', 'n4'])
        expect(await store.get(C, id)).toEqual({ id, _version: 1 })
    })

    it("event meta carries clientId and mutationId only to the writer's own connections", async () => {
      const C = fresh()
      const alice = await connectAs({ clientId: 'meta-client', token: 'alice' })
      const aliceTab = await connectAs({ clientId: 'meta-client', token: 'alice' })
      const bob = await connectAs({ clientId: 'meta-client', token: 'bob' })
      const dave = await connectAs({ clientId: 'dave-client', token: 'dave' })
      const metas = new Map<Socket, Record<string, unknown>[]>()
      for (const s of [alice, aliceTab, bob, dave]) {
        metas.set(s, [])
        s.on('ADDED', (_c: string, _item: unknown, meta: Record<string, unknown>) =>
          metas.get(s)!.push(meta),
        )
        expect((await send(s, 'SUBSCRIBE', C, {})).err).toBeNull()
      }
      expect((await send(alice, 'POST', C, { id: 'e1' }, { mutationId: 'm-3' })).err).toBeNull()
      await eventually(() => [...metas.values()].every((m) => m.length === 1), 'every ADDED')
      for (const s of [alice, aliceTab])
        expect(metas.get(s)![0]).toMatchObject({ clientId: 'meta-client', mutationId: 'm-3' })
      for (const s of [bob, dave]) {
        expect(metas.get(s)![0]).not.toHaveProperty('clientId')
        expect(metas.get(s)![0]).not.toHaveProperty('mutationId')
      }
    })
  })
})
