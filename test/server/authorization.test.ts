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
import { TOKEN, securityOptions, type TestUser } from './securityFixture.js'

let server: LivecrudServer
const as: Record<string, Client> = {}
let watch: ReturnType<typeof recordEvents>
let n = 0

beforeAll(async () => {
  server = await startServer({
    ...securityOptions(),
    limits: { maxRequestsPerSecond: 100_000 },
  })
  for (const [name, token] of Object.entries(TOKEN))
    as[name] = await connect(server, { auth: { token, clientId: `c-${name}` } })
  for (const coll of ['todos', 'public', 'secrets']) await ok(as.admin!, 'SUBSCRIBE', coll)
  watch = recordEvents(as.admin!)
})
afterAll(async () => {
  for (const c of Object.values(as)) c.close()
  await server.close()
})

type Action = 'GET' | 'LIST' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'SUBSCRIBE'
const ACTIONS: Action[] = ['GET', 'LIST', 'POST', 'PUT', 'PATCH', 'DELETE', 'SUBSCRIBE']
const COLLECTIONS = ['todos', 'public', 'secrets'] as const
const TENANT: Record<TestUser['name'], 'A' | 'B'> = {
  alice: 'A',
  bob: 'B',
  admin: 'A',
  viewer: 'A',
}

/** Expected answer, written out from the rules in securityFixture.ts. */
function expected(user: TestUser['name'], collection: string, action: Action): 'ok' | 'FORBIDDEN' {
  if (user === 'admin') return 'ok'
  if (collection === 'secrets') return 'FORBIDDEN'
  const write = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(action)
  if (!write) return 'ok'
  if (user === 'viewer' || collection === 'public') return 'FORBIDDEN'
  return 'ok'
}

/** A fresh item in the user's own tenant, created by the admin, for the action to target. */
async function target(collection: string, user: TestUser['name']) {
  const id = `it${++n}`
  await ok(as.admin!, 'POST', collection, { id, tenant: TENANT[user], title: 't' }, wm())
  return id
}

async function perform(user: TestUser['name'], collection: string, action: Action, id: string) {
  const c = as[user]!
  const tenant = TENANT[user]
  switch (action) {
    case 'GET':
      return request(c, 'GET', collection, id)
    case 'LIST':
      return request(c, 'LIST', collection, {})
    case 'POST':
      return request(c, 'POST', collection, { id: `new${++n}`, tenant }, wm())
    case 'PUT':
      return request(c, 'PUT', collection, { id, tenant, title: 'put' }, wm())
    case 'PATCH':
      return request(c, 'PATCH', collection, [{ op: 'add', path: `/${id}/x`, value: 1 }], wm())
    case 'DELETE':
      return request(c, 'DELETE', collection, id, wm())
    case 'SUBSCRIBE':
      return request(c, 'SUBSCRIBE', collection, {})
  }
}

const cells = (['alice', 'bob', 'admin', 'viewer'] as const).flatMap((user) =>
  COLLECTIONS.flatMap((collection) =>
    ACTIONS.map(
      (action) => [user, collection, action, expected(user, collection, action)] as const,
    ),
  ),
)

describe('authorization matrix (user × collection × action)', () => {
  it.each(cells)('%s %s %s → %s', async (user, collection, action, outcome) => {
    const id = await target(collection, user)
    await settle(as.admin!)
    watch.length = 0
    const seqBefore = (await ok(as.admin!, 'LIST', collection, { pageSize: 1 })).result.seq
    const answer = await perform(user, collection, action, id)
    await settle(as.admin!)
    const seqAfter = (await ok(as.admin!, 'LIST', collection, { pageSize: 1 })).result.seq
    if (outcome === 'ok') {
      expect(answer.err).toBeNull()
      if (action === 'GET') expect(answer.result).toMatchObject({ id })
      if (action === 'DELETE') expect(answer.result).toBe(true)
    } else {
      expect(answer.err?.code).toBe(outcome)
      expect(answer.result).toBeUndefined()
      expect(seqAfter).toBe(seqBefore)
      expect(watch).toEqual([])
    }
    if (action === 'SUBSCRIBE' || action === 'LIST' || action === 'GET')
      expect(seqAfter).toBe(seqBefore)
  })
})

describe('per-item authorization (IDOR)', () => {
  it('a member cannot read, list, change or delete another tenant’s item', async () => {
    const { result: b } = await ok(
      as.admin!,
      'POST',
      'todos',
      { tenant: 'B', title: 'bob’s' },
      wm(),
    )
    await settle(as.admin!)
    watch.length = 0
    const alice = as.alice!
    expect((await ok(alice, 'GET', 'todos', b.id)).result).toBeNull()
    const listed = await ok(alice, 'LIST', 'todos', { filters: { tenant: 'B' } })
    expect(listed.result).toMatchObject({ items: [], total: 0 })
    const widened = await ok(alice, 'LIST', 'todos', { filters: { tenant: { $in: ['A', 'B'] } } })
    expect(widened.result.items.every((i: any) => i.tenant === 'A')).toBe(true)
    expect((await request(alice, 'PUT', 'todos', { id: b.id, tenant: 'A' }, wm())).err?.code).toBe(
      'NOT_FOUND',
    )
    const patch = [{ op: 'replace', path: `/${b.id}/title`, value: 'mine' }]
    expect((await request(alice, 'PATCH', 'todos', patch, wm())).err?.code).toBe('NOT_FOUND')
    expect((await ok(alice, 'DELETE', 'todos', b.id, wm())).result).toBe(false)
    const taken = await request(alice, 'POST', 'todos', { id: b.id, tenant: 'A' }, wm())
    expect(taken.err).toMatchObject({ code: 'CONFLICT', details: { current: null } })
    const guess = await request(alice, 'PUT', 'todos', { id: b.id }, wm({ ifVersion: 1 }))
    expect(guess.err).toMatchObject({ code: 'CONFLICT', details: { current: null } })
    await settle(as.admin!)
    expect(watch).toEqual([])
    expect((await ok(as.admin!, 'GET', 'todos', b.id)).result).toMatchObject({ title: 'bob’s' })
  })

  it('a PATCH cannot move an item out of the writer’s scope, nor a POST create one there', async () => {
    const { result: a } = await ok(as.alice!, 'POST', 'todos', { tenant: 'A', title: 'x' }, wm())
    const move = await request(as.alice!, 'PATCH', 'todos', { id: a.id, tenant: 'B' }, wm())
    expect(move.err?.code).toBe('FORBIDDEN')
    const other = await request(as.alice!, 'POST', 'todos', { tenant: 'B' }, wm())
    expect(other.err?.code).toBe('FORBIDDEN')
    expect((await ok(as.admin!, 'GET', 'todos', a.id)).result.tenant).toBe('A')
  })

  it('server fields are never written by clients, never sent, never queryable', async () => {
    const { result: a } = await ok(
      as.alice!,
      'POST',
      'todos',
      { tenant: 'A', secretHash: 'x' },
      wm(),
    )
    expect(a.secretHash).toBeUndefined()
    const forbidden = await request(as.admin!, 'LIST', 'todos', { filters: { secretHash: 'x' } })
    expect(forbidden.err?.code).toBe('FORBIDDEN')
    const sorted = await request(as.alice!, 'LIST', 'todos', { sort: '-secretHash' })
    expect(sorted.err?.code).toBe('FORBIDDEN')
  })

  it('hidden fields survive a PUT and a PATCH by a user who cannot see them', async () => {
    const { result: a } = await ok(
      as.admin!,
      'POST',
      'todos',
      { tenant: 'A', title: 'x', internalNote: 'keep me' },
      wm(),
    )
    const seen = (await ok(as.alice!, 'GET', 'todos', a.id)).result
    expect(seen).toEqual({ id: a.id, _version: 1, tenant: 'A', title: 'x' })
    await ok(as.alice!, 'PUT', 'todos', { ...seen, title: 'y', internalNote: 'overwrite' }, wm())
    // A test op against the hidden field fails as if it did not exist: no probing through PATCH.
    const probe = [{ op: 'test', path: `/${a.id}/internalNote`, value: 'keep me' }]
    expect((await request(as.alice!, 'PATCH', 'todos', probe, wm())).err?.code).toBe('BAD_REQUEST')
    await ok(
      as.alice!,
      'PATCH',
      'todos',
      [{ op: 'replace', path: `/${a.id}/title`, value: 'z' }],
      wm(),
    )
    const full = (await ok(as.admin!, 'GET', 'todos', a.id)).result
    expect(full).toMatchObject({ title: 'z', internalNote: 'keep me' })
    // Nor can the hidden field be probed through LIST filters or sort.
    const probeList = { filters: { internalNote: 'keep me' } }
    expect((await request(as.alice!, 'LIST', 'todos', probeList)).err?.code).toBe('FORBIDDEN')
    expect((await request(as.alice!, 'LIST', 'todos', { sort: 'internalNote' })).err?.code).toBe(
      'FORBIDDEN',
    )
    expect((await ok(as.admin!, 'LIST', 'todos', probeList)).result.total).toBe(1)
  })

  it('a mutationId is answered per user: the same clientId and mutationId of another user is judged on its own', async () => {
    const shared = { clientId: 'shared-client' }
    const alice = await connect(server, { auth: { token: TOKEN.alice, ...shared } })
    const bob = await connect(server, { auth: { token: TOKEN.bob, ...shared } })
    try {
      const a = await ok(
        alice,
        'POST',
        'todos',
        { id: 'xa1', tenant: 'A', title: 'private' },
        {
          mutationId: 'same-m',
        },
      )
      const b = await request(
        bob,
        'POST',
        'todos',
        { id: 'xb1', tenant: 'B', title: 'bob' },
        {
          mutationId: 'same-m',
        },
      )
      expect(b.err).toBeNull()
      expect(b.result).toMatchObject({ id: 'xb1', title: 'bob' })
      expect(b.meta.duplicate).toBeUndefined()
      expect(JSON.stringify(b)).not.toContain('private')
      // Alice's retry still gets her own answer.
      const again = await ok(
        alice,
        'POST',
        'todos',
        { id: 'xa1', tenant: 'A', title: 'private' },
        {
          mutationId: 'same-m',
        },
      )
      expect(again.result).toEqual(a.result)
      expect(again.meta.duplicate).toBe(true)
    } finally {
      alice.close()
      bob.close()
    }
  })

  it("connections without a clientId never share answers, and nobody sees another client's ids", async () => {
    const one = await connect(server, { auth: { token: TOKEN.alice } })
    const two = await connect(server, { auth: { token: TOKEN.alice } })
    const watcher = await connect(server, { auth: { token: TOKEN.alice, clientId: 'c-watch' } })
    try {
      await ok(watcher, 'SUBSCRIBE', 'todos')
      const events = recordEvents(watcher)
      await ok(
        one,
        'POST',
        'todos',
        { id: 'nc1', tenant: 'A', title: 'one' },
        { mutationId: 'nc-m' },
      )
      const second = await ok(
        two,
        'POST',
        'todos',
        { id: 'nc2', tenant: 'A', title: 'two' },
        {
          mutationId: 'nc-m',
        },
      )
      expect(second.result).toMatchObject({ id: 'nc2' })
      expect(second.meta.duplicate).toBeUndefined()
      await settle(watcher)
      const mine = events.filter((e) => e.id === 'nc1' || e.id === 'nc2')
      expect(mine).toHaveLength(2)
      for (const e of mine) {
        expect(e.meta).not.toHaveProperty('mutationId')
        expect(e.meta).not.toHaveProperty('clientId')
      }
    } finally {
      one.close()
      two.close()
      watcher.close()
    }
  })
})
