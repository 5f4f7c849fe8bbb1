import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LivecrudError, type Item } from '../../../../src/protocol/index.js'
import type { PostgresStore } from '../../../../src/server/stores/postgres/PostgresStore.js'
import {
  after,
  BACKENDS,
  drainedHead,
  eventually,
  mid,
  openBackend,
  put,
  recordChanges,
  type Backend,
} from './tableHarness.js'

/**
 * Changes made by any writer of a mapped table — outside livecrud or through it — reach the change
 * feed once, in seq order, with versions, images and the writer's mutation; and livecrud's own
 * writes land as real column values, refused (nothing left behind) when the table says no.
 */
describe.each(BACKENDS)('table-backed collections on %s', { timeout: 60_000 }, (name) => {
  let b: Backend
  let store: PostgresStore
  let other: PostgresStore
  let tasks: string
  let owners: string
  const lines: string[] = []

  beforeAll(async () => {
    b = await openBackend(name, 'cap')
    owners = `"${b.app}".owners`
    tasks = `"${b.app}".tasks`
    await b.sql(`CREATE TABLE ${owners} (id int PRIMARY KEY, name text NOT NULL, secret text)`)
    await b.sql(`CREATE TABLE ${tasks} (
      id text PRIMARY KEY,
      title text NOT NULL CHECK (title <> ''),
      done boolean NOT NULL DEFAULT false,
      priority int,
      owner_id int REFERENCES ${owners} (id),
      code text UNIQUE,
      created timestamptz NOT NULL DEFAULT '2026-01-01T00:00:00Z')`)
    await b.sql(`INSERT INTO ${owners} VALUES (1, 'ann', 's1'), (2, 'bob', 's2')`)
    const tables = {
      tasks: { table: `${b.app}.tasks` },
      owners: {
        table: `${b.app}.owners`,
        columns: ['displayName'],
        rename: { displayName: 'name' },
      },
    }
    store = await b.openStore({ tables, installTriggers: true })
    // A second store on the same schema: another server process as far as the feed is concerned.
    other = await b.openStore({ tables })
    lines.push('opened')
  })

  afterAll(async () => {
    await other?.close()
    await store?.close()
    await b?.close()
  })

  it('maps the table: rename, allow-list, pre-existing rows at version 1', async () => {
    expect(await store.get('owners', '1')).toEqual({ id: '1', _version: 1, displayName: 'ann' })
    expect(await store.get('owners', '01')).toBeNull()
    expect(await store.get('owners', 'x')).toBeNull()
    const page = await store.list('owners', { page: 1, pageSize: 10, sort: [], filters: {} })
    expect(page.items.map((i) => i.id)).toEqual(['1', '2'])
  })

  it('an outside INSERT, UPDATE and DELETE reach both stores once, in order, with versions and images', async () => {
    const seen = recordChanges(store)
    const seenOther = recordChanges(other)
    const start = await drainedHead(b, store, 'tasks')
    await b.sql(`INSERT INTO ${tasks} (id, title, priority) VALUES ('a', 'one', 1)`)
    await b.sql(`UPDATE ${tasks} SET title = 'two' WHERE id = 'a'`)
    await b.sql(`UPDATE ${tasks} SET title = 'two' WHERE id = 'a'`) // changes nothing: no event
    await b.sql(`DELETE FROM ${tasks} WHERE id = 'a'`)
    const mine = () => after(seen, 'tasks', start)
    await eventually(() => mine().length >= 3 && after(seenOther, 'tasks', start).length >= 3)
    await new Promise((r) => setTimeout(r, 200)) // a duplicate would arrive by now
    for (const list of [mine(), after(seenOther, 'tasks', start)])
      expect(list.map((c) => [c.seq - start, c.type, c.id, c.version])).toEqual([
        [1, 'ADDED', 'a', 1],
        [2, 'CHANGED', 'a', 2],
        [3, 'REMOVED', 'a', 3],
      ])
    const [added, changed, removed] = mine()
    expect(added!.item).toEqual({
      id: 'a',
      _version: 1,
      title: 'one',
      done: false,
      priority: 1,
      owner_id: null,
      code: null,
      created: '2026-01-01T00:00:00Z',
    })
    expect(added!.prev).toBeNull()
    expect(added!.mutationId).toBeUndefined()
    expect(changed!.prev).toEqual(added!.item)
    expect(changed!.item).toMatchObject({ title: 'two', _version: 2 })
    expect(removed!.item).toBeNull()
    expect(removed!.prev).toMatchObject({ title: 'two', _version: 2 })
    // Re-created: the version line continues.
    await b.sql(`INSERT INTO ${tasks} (id, title) VALUES ('a', 'again')`)
    expect((await store.get('tasks', 'a'))?._version).toBe(4)
  })

  it('a 10,000-row UPDATE in one statement gives 10,000 changes, in order, none lost', async () => {
    await b.sql(
      `INSERT INTO ${tasks} (id, title, priority) SELECT 'bulk' || i, 't' || i, i FROM generate_series(1, 10000) i`,
    )
    const recorded = recordChanges(other)
    const start = await drainedHead(b, store, 'tasks')
    await b.sql(`UPDATE ${tasks} SET priority = priority + 1 WHERE id LIKE 'bulk%'`)
    await eventually(() => after(recorded, 'tasks', start).length >= 10_000, 60_000)
    await new Promise((r) => setTimeout(r, 200))
    const seen = after(recorded, 'tasks', start)
    expect(seen.length).toBe(10_000)
    expect(
      seen.every((c, i) => c.seq === start + 1 + i && c.type === 'CHANGED' && c.version === 2),
    ).toBe(true)
    expect(new Set(seen.map((c) => c.id)).size).toBe(10_000)
    const one = seen.find((c) => c.id === 'bulk7')!
    expect([one.prev!.priority, one.item!.priority]).toEqual([7, 8])
    await b.sql(`DELETE FROM ${tasks} WHERE id LIKE 'bulk%'`)
  })

  it('a transaction writing two tables reaches both collections; a rolled-back one reaches none', async () => {
    const recorded = recordChanges(store)
    const heads: Record<string, number> & { tasks: number; owners: number } = {
      tasks: await drainedHead(b, store, 'tasks'),
      owners: await drainedHead(b, store, 'owners'),
    }
    const news = () => recorded.filter((c) => c.seq > heads[c.collection]!)
    await b.tx(async (q) => {
      await q.query(`INSERT INTO ${owners} VALUES (3, 'cy', 's3')`)
      await q.query(`INSERT INTO ${tasks} (id, title, owner_id) VALUES ('t3', 'for cy', 3)`)
    })
    await expect(
      b.tx(async (q) => {
        await q.query(`INSERT INTO ${tasks} (id, title) VALUES ('ghost', 'never')`)
        await q.query(`UPDATE ${owners} SET name = 'nobody' WHERE id = 1`)
        throw new Error('roll back')
      }),
    ).rejects.toThrow('roll back')
    await b.sql(`UPDATE ${owners} SET name = 'cyd' WHERE id = 3`) // a marker after the rollback
    await eventually(() => news().length >= 3)
    await new Promise((r) => setTimeout(r, 200))
    const seen = news()
    // In seq order per collection (collections are numbered and delivered independently).
    const of = (collection: string) =>
      seen.filter((c) => c.collection === collection).map((c) => [c.seq, c.type, c.id])
    expect(of('owners')).toEqual([
      [heads.owners + 1, 'ADDED', '3'],
      [heads.owners + 2, 'CHANGED', '3'],
    ])
    expect(of('tasks')).toEqual([[heads.tasks + 1, 'ADDED', 't3']])
    const added = seen.find((c) => c.collection === 'owners')!
    expect(added.item).toEqual({ id: '3', _version: 1, displayName: 'cy' }) // secret is not mapped
    expect(await store.get('tasks', 'ghost')).toBeNull()
  })

  it("livecrud's writes land as real column values and carry their mutation to the change", async () => {
    const seen = recordChanges(other)
    const m = mid()
    const out = await store.write({
      collection: 'tasks',
      id: 'w1',
      mutationId: m,
      clientId: 'c1',
      decide: put({ title: 'written', priority: 5, owner_id: 2 }),
    })
    expect(out.item).toEqual({
      id: 'w1',
      _version: 1,
      title: 'written',
      done: false, // the column default
      priority: 5,
      owner_id: 2,
      code: null,
      created: '2026-01-01T00:00:00Z',
    })
    const rows = await b.sql(`SELECT title, done, priority, owner_id FROM ${tasks} WHERE id = 'w1'`)
    expect(rows).toEqual([{ title: 'written', done: false, priority: 5, owner_id: 2 }])
    await eventually(() => seen.some((c) => c.id === 'w1'))
    const change = seen.find((c) => c.id === 'w1')!
    expect([change.seq, change.mutationId, change.clientId]).toEqual([out.seq, m, 'c1'])
    // A patch-like put (the whole item) and a delete.
    const patched = await store.write({
      collection: 'tasks',
      id: 'w1',
      mutationId: mid(),
      decide: (current) => ({ action: 'put', item: { ...current!, done: true } }),
    })
    expect(patched).toMatchObject({ version: 2, item: { done: true, title: 'written' } })
    expect(await b.sql(`SELECT done FROM ${tasks} WHERE id = 'w1'`)).toEqual([{ done: true }])
    // A PUT that leaves a nullable field out sets it NULL.
    await store.write({
      collection: 'tasks',
      id: 'w1',
      mutationId: mid(),
      decide: put({ title: 'put', done: true, created: '2026-02-01T00:00:00.5Z' }),
    })
    expect(await store.get('tasks', 'w1')).toMatchObject({ created: '2026-02-01T00:00:00.5Z' })
    expect(await b.sql(`SELECT title, priority, owner_id FROM ${tasks} WHERE id = 'w1'`)).toEqual([
      { title: 'put', priority: null, owner_id: null },
    ])
    const removed = await store.write({
      collection: 'tasks',
      id: 'w1',
      mutationId: mid(),
      decide: () => ({ action: 'delete' }),
    })
    expect(removed).toMatchObject({ result: true, version: 4 })
    expect(await b.sql(`SELECT count(*)::int AS n FROM ${tasks} WHERE id = 'w1'`)).toEqual([
      { n: 0 },
    ])
    // The rename map works for writes too.
    await store.write({
      collection: 'owners',
      id: '9',
      mutationId: mid(),
      decide: put({ displayName: 'nine' }),
    })
    expect(await b.sql(`SELECT name, secret FROM ${owners} WHERE id = 9`)).toEqual([
      { name: 'nine', secret: null },
    ])
  })

  it('constraint violations answer BAD_REQUEST / CONFLICT naming the column or constraint, and leave nothing', async () => {
    await b.sql(`INSERT INTO ${tasks} (id, title, code) VALUES ('u1', 'has code', 'C1')`)
    const seq = await drainedHead(b, store, 'tasks')
    const attempt = async (id: string, item: Record<string, unknown>) => {
      try {
        await store.write({ collection: 'tasks', id, mutationId: mid(), decide: put(item) })
      } catch (err) {
        expect(err).toBeInstanceOf(LivecrudError)
        return [(err as LivecrudError).code, (err as LivecrudError).message]
      }
      return ['no error']
    }
    expect(await attempt('v1', { priority: 1 })).toEqual([
      'BAD_REQUEST',
      'field title is required (column title is NOT NULL)',
    ])
    expect(await attempt('v2', { title: '' })).toEqual([
      'BAD_REQUEST',
      'the item violates check constraint tasks_title_check',
    ])
    expect((await attempt('v3', { title: 'x', owner_id: 77 }))[1]).toMatch(
      /^the item violates foreign key tasks_owner_id_fkey/,
    )
    expect(await attempt('v3', { title: 'x', owner_id: 77 })).toContain('BAD_REQUEST')
    expect(await attempt('v4', { title: 'x', code: 'C1' })).toEqual([
      'CONFLICT',
      'the item violates unique constraint tasks_code_key: Key (code)=(C1) already exists.',
    ])
    expect(await attempt('v5', { title: 'x', priority: 2 ** 40 })).toEqual([
      'BAD_REQUEST',
      expect.stringMatching(/^the item cannot be stored: value "1099511627776" is out of range/),
    ])
    expect(await attempt('v6', { title: 'x', priority: 'high' })).toEqual([
      'BAD_REQUEST',
      'field priority must be an integer (got string)',
    ])
    expect(await attempt('v7', { title: 'x', nope: 1 })).toEqual([
      'BAD_REQUEST',
      expect.stringMatching(/^unknown field nope: table .* maps no column to it$/),
    ])
    // A PUT that leaves out a NOT NULL column (with a default) is refused, naming it.
    expect(await attempt('u1', { title: 'new' })).toEqual([
      'BAD_REQUEST',
      'field done is required (column done is NOT NULL)',
    ])
    await expect(
      store.write({
        collection: 'tasks',
        id: 'u1',
        mutationId: mid(),
        decide: (current) => ({ action: 'put', item: { ...current!, title: '' } }),
      }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'the item violates check constraint tasks_title_check',
    })
    expect(await b.sql(`SELECT count(*)::int AS n FROM ${tasks} WHERE id LIKE 'v%'`)).toEqual([
      { n: 0 },
    ])
    expect(await b.sql(`SELECT title FROM ${tasks} WHERE id = 'u1'`)).toEqual([
      { title: 'has code' },
    ])
    expect(await drainedHead(b, store, 'tasks')).toBe(seq)
    expect(
      await b.sql(
        `SELECT count(*)::int AS n FROM "${b.schema}".changes WHERE collection = 'tasks' AND seq IS NULL`,
      ),
    ).toEqual([{ n: 0 }])
  })

  it('ifVersion-style decisions see the versions outside writers made', async () => {
    await b.sql(`INSERT INTO ${tasks} (id, title) VALUES ('iv', 'one')`)
    await b.sql(`UPDATE ${tasks} SET title = 'two' WHERE id = 'iv'`)
    const ifVersion = (v: number) => (current: Item | null) => {
      if ((current?._version ?? 0) !== v)
        throw new LivecrudError('CONFLICT', `not at version ${v}`, { current })
      return { action: 'put' as const, item: { ...current!, title: `after ${v}` } }
    }
    await expect(
      store.write({ collection: 'tasks', id: 'iv', mutationId: mid(), decide: ifVersion(1) }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    })
    const ok = await store.write({
      collection: 'tasks',
      id: 'iv',
      mutationId: mid(),
      decide: ifVersion(2),
    })
    expect(ok).toMatchObject({ version: 3, item: { title: 'after 2' } })
  })

  it('an outside writer and livecrud writing one row concurrently converge on its final value', async () => {
    await b.sql(`INSERT INTO ${tasks} (id, title, priority) VALUES ('race', 'r', 0)`)
    const recorded = recordChanges(other)
    const start = await drainedHead(b, store, 'tasks')
    const outside = (async () => {
      for (let i = 0; i < 20; i++)
        await b.sql(`UPDATE ${tasks} SET priority = priority + 1 WHERE id = 'race'`)
    })()
    const inside = (async () => {
      for (let i = 0; i < 20; i++)
        await store.write({
          collection: 'tasks',
          id: 'race',
          mutationId: mid(),
          decide: (current) => ({
            action: 'put',
            item: { ...current!, priority: (current!.priority as number) + 100 },
          }),
        })
    })()
    await Promise.all([outside, inside])
    const final = await store.get('tasks', 'race')
    expect(final).toMatchObject({ priority: 2020, _version: 41 })
    const race = () => after(recorded, 'tasks', start).filter((c) => c.id === 'race')
    await eventually(() => race().length >= 40)
    const mine = race()
    expect(mine.map((c) => c.version)).toEqual(Array.from({ length: 40 }, (_, i) => i + 2))
    expect(mine.at(-1)!.item).toEqual(final)
    expect(mine.every((c, i) => i === 0 || c.prev!.priority === mine[i - 1]!.item!.priority)).toBe(
      true,
    )
  })

  it('TRUNCATE is one RESET change; SUBSCRIBE-style catch-up across it must refetch', async () => {
    const seen = recordChanges(other)
    const before = await drainedHead(b, store, 'owners')
    await drainedHead(b, store, 'tasks')
    await b.sql(`TRUNCATE ${tasks}, ${owners}`)
    await eventually(() => seen.filter((c) => c.type === 'RESET').length >= 2)
    const resets = seen.filter((c) => c.type === 'RESET')
    expect(resets.map((c) => [c.collection, c.id, c.item, c.prev]).sort()).toEqual([
      ['owners', '', null, null],
      ['tasks', '', null, null],
    ])
    const log = await store.changesSince('owners', before)
    expect(log.tooOld ? 'tooOld' : log.changes.map((c) => c.type)).toEqual(['RESET'])
  })
})
