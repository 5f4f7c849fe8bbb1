import { io } from 'socket.io-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, type LivecrudClient } from '../../../../src/index.js'
import type { ChangeEvent } from '../../../../src/protocol/index.js'
import { createServer, type LivecrudServer } from '../../../../src/server/index.js'
import type { PostgresStore } from '../../../../src/server/stores/postgres/PostgresStore.js'
import { connect, ok, recordEvents, request, wm, type Client } from '../../helpers.js'
import { PG_URL } from '../services.js'
import { startServerProcess, type ServerProcess } from '../serverProcess.js'
import { BACKENDS, eventually, openBackend, type Backend } from './tableHarness.js'

/** Two servers on one database: two CLI processes on PostgreSQL, two in-process servers on PGlite. */
interface Servers {
  urls: string[]
  close(): Promise<void>
}

async function startServers(b: Backend, tables: string[]): Promise<Servers> {
  if (b.name === 'postgres') {
    const args = tables.flatMap((t) => ['--table', t])
    const db = `${PG_URL}?schema=${b.schema}`
    const procs: ServerProcess[] = await Promise.all([
      startServerProcess(db, 30_000, args),
      startServerProcess(db, 30_000, args),
    ])
    return {
      urls: procs.map((p) => p.url),
      close: async () => void (await Promise.all(procs.map((p) => p.stop()))),
    }
  }
  const mapping = Object.fromEntries(
    tables.map((t) => t.split('=')).map(([c, t]) => [c!, { table: t! }]),
  )
  const stores: PostgresStore[] = [
    await b.openStore({ tables: mapping }),
    await b.openStore({ tables: mapping }),
  ]
  const servers: LivecrudServer[] = await Promise.all(
    stores.map((store) => createServer({ host: '127.0.0.1', port: 0, store })),
  )
  return {
    urls: servers.map((s) => s.url),
    close: async () => {
      await Promise.all(servers.map((s) => s.close()))
      await Promise.all(stores.map((s) => s.close()))
    },
  }
}

function chain(events: ChangeEvent[], start: number): [number, number][] {
  return events.map((e) => [e.meta.seq - start, e.meta.prevSeq - start])
}

describe.each(BACKENDS)('mapped tables through two servers on %s', { timeout: 90_000 }, (name) => {
  let b: Backend
  let servers: Servers
  let tasks: string
  const clients: Client[] = []

  beforeAll(async () => {
    b = await openBackend(name, 'srv')
    tasks = `"${b.app}".tasks`
    await b.sql(
      `CREATE TABLE ${tasks} (id text PRIMARY KEY, title text NOT NULL, n int NOT NULL DEFAULT 0)`,
    )
    // --install-triggers-only first, as a team whose migrations own the DDL would run it.
    if (name === 'postgres') {
      const installer = await startInstaller(b)
      expect(installer).toContain('installed change-capture triggers')
    }
    servers = await startServers(b, [`tasks=${b.app}.tasks`])
  })

  afterAll(async () => {
    for (const c of clients.splice(0)) c.close()
    await servers?.close()
    await b?.close()
  })

  async function subscribed(
    url: string,
    clientId: string,
  ): Promise<{ socket: Client; events: ChangeEvent[]; start: number }> {
    const socket = await connect({ url }, { auth: { clientId } })
    clients.push(socket)
    const events = recordEvents(socket)
    const { result } = await ok(socket, 'SUBSCRIBE', 'tasks', {})
    return { socket, events, start: result.seq }
  }

  it('outside writes reach a client on each server once, in seq order, with versions; a 10,000-row UPDATE too', async () => {
    const [a, c] = await Promise.all([
      subscribed(servers.urls[0]!, 'a'),
      subscribed(servers.urls[1]!, 'c'),
    ])
    await b.sql(`INSERT INTO ${tasks} (id, title) VALUES ('x', 'one')`)
    await b.sql(`UPDATE ${tasks} SET title = 'two' WHERE id = 'x'`)
    await b.sql(`DELETE FROM ${tasks} WHERE id = 'x'`)
    await eventually(() => a.events.length >= 3 && c.events.length >= 3)
    await new Promise((r) => setTimeout(r, 300)) // a duplicate would arrive by now
    for (const sub of [a, c]) {
      expect(sub.events.map((e) => [e.type, e.id, e.meta.version])).toEqual([
        ['ADDED', 'x', 1],
        ['CHANGED', 'x', 2],
        ['REMOVED', 'x', 3],
      ])
      expect(sub.events[1]).toMatchObject({
        ops: [{ op: 'replace', path: '/title', value: 'two' }],
      })
    }
    // The two clients' streams agree on the seqs.
    expect(a.events.map((e) => e.meta.seq)).toEqual(c.events.map((e) => e.meta.seq))
    expect(chain(a.events, a.start)).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
    ])

    await b.sql(
      `INSERT INTO ${tasks} (id, title) SELECT 'r' || i, 'row' FROM generate_series(1, 10000) i`,
    )
    await eventually(() => a.events.length >= 10_003 && c.events.length >= 10_003, 60_000)
    const mark = a.events.at(-1)!.meta.seq
    await b.sql(`UPDATE ${tasks} SET n = n + 1 WHERE id LIKE 'r%'`)
    await eventually(() => a.events.length >= 20_003 && c.events.length >= 20_003, 60_000)
    await new Promise((r) => setTimeout(r, 300))
    for (const sub of [a, c]) {
      expect(sub.events.length).toBe(20_003)
      const updates = sub.events.slice(10_003)
      expect(updates.length).toBe(10_000)
      expect(
        updates.every(
          (e, i) =>
            e.type === 'CHANGED' &&
            e.meta.seq === mark + 1 + i &&
            e.meta.prevSeq === mark + i &&
            e.meta.version === 2,
        ),
      ).toBe(true)
    }
  })

  it("a client's writes land as real columns and echo to the writer with its mutationId", async () => {
    const writer = await subscribed(servers.urls[0]!, 'writer')
    const reader = await subscribed(servers.urls[1]!, 'reader')
    const post = wm()
    const posted = await ok(writer.socket, 'POST', 'tasks', { id: 'p1', title: 'posted' }, post)
    expect(posted.result).toEqual({ id: 'p1', _version: 1, title: 'posted', n: 0 })
    await ok(writer.socket, 'PATCH', 'tasks', { id: 'p1', n: 7 }, wm())
    await ok(writer.socket, 'PUT', 'tasks', { id: 'p1', title: 'put', n: 8 }, wm())
    expect(await b.sql(`SELECT title, n FROM ${tasks} WHERE id = 'p1'`)).toEqual([
      { title: 'put', n: 8 },
    ])
    const refused = await request(writer.socket, 'POST', 'tasks', { id: 'p2', n: 1 }, wm())
    expect(refused.err).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'field title is required (column title is NOT NULL)',
    })
    const badType = await request(writer.socket, 'PATCH', 'tasks', { id: 'p1', n: 'many' }, wm())
    expect(badType.err).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'field n must be an integer (got string)',
    })
    // ifVersion against a version an outside writer made.
    await b.sql(`UPDATE ${tasks} SET n = 9 WHERE id = 'p1'`)
    const stale = await request(
      writer.socket,
      'PATCH',
      'tasks',
      { id: 'p1', n: 10 },
      wm({ ifVersion: 3 }),
    )
    expect(stale.err).toMatchObject({
      code: 'CONFLICT',
      details: { current: { n: 9, _version: 4 } },
    })
    await ok(writer.socket, 'PATCH', 'tasks', { id: 'p1', n: 10 }, wm({ ifVersion: 4 }))
    await ok(writer.socket, 'DELETE', 'tasks', 'p1', wm())
    expect(await b.sql(`SELECT count(*)::int AS n FROM ${tasks} WHERE id IN ('p1', 'p2')`)).toEqual(
      [{ n: 0 }],
    )
    for (const sub of [writer, reader]) {
      await eventually(() => sub.events.length >= 6)
      expect(sub.events.map((e) => [e.type, e.id, e.meta.version])).toEqual([
        ['ADDED', 'p1', 1],
        ['CHANGED', 'p1', 2],
        ['CHANGED', 'p1', 3],
        ['CHANGED', 'p1', 4],
        ['CHANGED', 'p1', 5],
        ['REMOVED', 'p1', 6],
      ])
    }
    expect(writer.events[0]!.meta).toMatchObject({
      mutationId: post.mutationId,
      clientId: 'writer',
    })
    // Sent only to the writer's own connections (the trigger recorded its origin).
    expect(reader.events[0]!.meta.mutationId).toBeUndefined()
    expect(reader.events[0]!.meta.clientId).toBeUndefined()
  })

  it("TRUNCATE breaks every subscriber's prevSeq chain and their catch-up answers reset", async () => {
    const sub = await subscribed(servers.urls[1]!, 'trunc')
    await b.sql(`INSERT INTO ${tasks} (id, title) VALUES ('before', 'b')`)
    await eventually(() => sub.events.length >= 1)
    const last = sub.events.at(-1)!.meta.seq
    await b.sql(`TRUNCATE ${tasks}`)
    await b.sql(`INSERT INTO ${tasks} (id, title) VALUES ('after', 'a')`)
    await eventually(() => sub.events.length >= 2)
    const next = sub.events.at(-1)!
    expect(next).toMatchObject({ type: 'ADDED', id: 'after' })
    expect(next.meta.prevSeq).toBe(last + 1) // the RESET's seq, which no event carried: a break
    const again = await ok(sub.socket, 'SUBSCRIBE', 'tasks', { since: last })
    expect(again.result).toEqual({ seq: next.meta.seq, reset: true })
    const list = await ok(sub.socket, 'LIST', 'tasks', {})
    expect(list.result.items.map((i: { id: string }) => i.id)).toEqual(['after'])
  })

  it('livecrud clients and an outside writer on the same rows converge, across a TRUNCATE too', async () => {
    await b.sql(
      `INSERT INTO ${tasks} (id, title, n) SELECT 'cv' || i, 'c', 0 FROM generate_series(1, 5) i`,
    )
    const made: LivecrudClient[] = []
    const client = (url: string) => {
      const c = createClient({ socket: io(url, { transports: ['websocket'] }) })
      made.push(c)
      return c
    }
    try {
      const [one, two] = [client(servers.urls[0]!), client(servers.urls[1]!)]
      const lists = [one, two].map((c) =>
        c
          .collection('tasks')
          .query({ filters: { title: { $in: ['c', 'client'] } }, sort: 'id', pageSize: 100 }),
      )
      lists.forEach((l) => l.subscribe(() => {}))
      const rows = async () =>
        (await b.sql(
          `SELECT id, title, n FROM ${tasks} WHERE title IN ('c', 'client') ORDER BY id COLLATE "C"`,
        )) as {
          id: string
          title: string
          n: number
        }[]
      const converged = async () => {
        const want = JSON.stringify((await rows()).map((r) => [r.id, r.title, r.n]))
        return lists.every(
          (l) =>
            !l.getSnapshot().isFetching &&
            JSON.stringify(l.getSnapshot().items.map((i) => [i.id, i.title, i.n])) === want,
        )
      }
      await eventually(converged)
      const outside = (async () => {
        for (let i = 0; i < 30; i++)
          await b.sql(`UPDATE ${tasks} SET n = n + 1 WHERE id = $1`, [`cv${(i % 5) + 1}`])
      })()
      const inside = (async () => {
        for (let i = 0; i < 30; i++)
          await one
            .patchItem({ id: `cv${(i % 5) + 1}`, title: 'client' }, 'tasks')
            .catch(() => undefined) // a CONFLICT with the outside writer is fine: convergence is the point
      })()
      await Promise.all([outside, inside])
      await eventually(converged)
      // A TRUNCATE and new rows: both clients see the break, refetch, and converge again.
      await b.sql(`TRUNCATE ${tasks}`)
      await b.sql(`INSERT INTO ${tasks} (id, title, n) VALUES ('cvz', 'c', 9)`)
      await eventually(converged)
      expect(lists[1]!.getSnapshot().items.map((i) => i.id)).toEqual(['cvz'])
    } finally {
      for (const c of made) c.close()
    }
  })
})

/** `livecrud-server --install-triggers-only --table …`: installs, prints, exits 0. */
async function startInstaller(b: Backend): Promise<string> {
  const { spawn } = await import('node:child_process')
  const { ROOT } = await import('../../../../scripts/spawnListening.js')
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/server/cli.ts',
      '--db',
      `${PG_URL}?schema=${b.schema}`,
      '--table',
      `tasks=${b.app}.tasks`,
      '--install-triggers-only',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const code = await new Promise<number | null>((r) => child.once('exit', r))
  expect({ code, out }).toMatchObject({ code: 0 })
  return out
}
