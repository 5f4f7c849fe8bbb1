import { afterEach, describe, expect, it } from 'vitest'
import { MemoryStore, type LivecrudServer, type Store } from 'livecrud/server'
import type { ChangeEvent } from 'livecrud'
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
})
async function client(clientId: string): Promise<Client> {
  const c = await connect(server!, { auth: { clientId } })
  clients.push(c)
  return c
}

/**
 * A memory store that commits other writes right before and right after every baseline read of
 * SUBSCRIBE (as another process sharing the database would), so both race windows are always hit.
 */
function racingStore(): { store: Store; inner: MemoryStore } {
  const inner = new MemoryStore({ changeRetention: 50 })
  let k = 0
  const interfere = async (c: string) => {
    for (let i = 0; i < 2; i++)
      await inner.write({
        collection: c,
        id: `r${++k}`,
        mutationId: `race-${k}`,
        decide: () => ({ action: 'put', item: {} }),
      })
  }
  const around =
    <A extends unknown[], R>(read: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await interfere(args[0] as string)
      const r = await read(...args)
      await interfere(args[0] as string)
      return r
    }
  const store = Object.assign(Object.create(inner) as Store, {
    seq: around((c: string) => inner.seq(c)),
    changesSince: around((c: string, since: number) => inner.changesSince(c, since)),
  })
  return { store, inner }
}

/** The seqs a client learned, from a SUBSCRIBE answer plus the live events after it. */
function stream(answer: { seq: number; changes?: ChangeEvent[] }, live: ChangeEvent[]): number[] {
  return [...(answer.changes ?? []), ...live].map((e) => e.meta.seq)
}

describe('idempotent writes', () => {
  it('a repeated mutationId creates one item, one event, and answers duplicate', async () => {
    server = await startServer()
    const a = await client('a')
    const events = recordEvents(a)
    await ok(a, 'SUBSCRIBE', 'todos')
    const meta = wm()
    const first = await ok(a, 'POST', 'todos', { title: 'once' }, meta)
    const again = await ok(a, 'POST', 'todos', { title: 'once' }, meta)
    expect(again.result).toEqual(first.result)
    expect(again.meta).toEqual({ ...first.meta, duplicate: true })
    expect(first.meta.duplicate).toBeUndefined()
    await settle(a)
    expect(events).toHaveLength(1)
    expect((await ok(a, 'LIST', 'todos')).result.total).toBe(1)
    // A PATCH retried after it applied is not re-applied nor refused by its own ifVersion.
    const id = first.result.id
    const pm = wm({ ifVersion: 1 })
    const ops = [{ op: 'add', path: `/${id}/n`, value: 1 }]
    const p1 = await ok(a, 'PATCH', 'todos', ops, pm)
    const p2 = await ok(a, 'PATCH', 'todos', ops, pm)
    expect(p2.result).toEqual(p1.result)
    expect(p2.meta.duplicate).toBe(true)
    const d = wm()
    expect((await ok(a, 'DELETE', 'todos', id, d)).result).toBe(true)
    expect((await ok(a, 'DELETE', 'todos', id, d)).result).toBe(true)
    await settle(a)
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'CHANGED', 'REMOVED'])
  })
})

describe('conditional writes', () => {
  it('two writers from the same version: exactly one wins, the other gets CONFLICT + current', async () => {
    server = await startServer()
    const a = await client('a')
    const b = await client('b')
    await ok(a, 'POST', 'todos', { id: 'r', n: 0 }, wm())
    const [ra, rb] = await Promise.all([
      request(a, 'PATCH', 'todos', { id: 'r', n: 1 }, wm({ ifVersion: 1 })),
      request(b, 'PUT', 'todos', { id: 'r', n: 2 }, wm({ ifVersion: 1 })),
    ])
    const winners = [ra, rb].filter((r) => !r.err)
    const losers = [ra, rb].filter((r) => r.err)
    expect(winners).toHaveLength(1)
    expect(losers[0]!.err!.code).toBe('CONFLICT')
    expect((losers[0]!.err!.details as any).current).toEqual(winners[0]!.result)
    const del = await request(a, 'DELETE', 'todos', 'r', wm({ ifVersion: 1 }))
    expect(del.err?.code).toBe('CONFLICT')
    expect((await ok(a, 'DELETE', 'todos', 'r', wm({ ifVersion: 2 }))).result).toBe(true)
    const gone = await request(a, 'PUT', 'todos', { id: 'r' }, wm({ ifVersion: 2 }))
    expect(gone.err).toMatchObject({ code: 'CONFLICT', details: { current: null } })
  })
})

describe('SUBSCRIBE since', () => {
  it('replays the missed changes in order, then continues live from there', async () => {
    server = await startServer()
    const a = await client('a')
    const b = await client('b')
    await ok(b, 'POST', 'todos', { id: 'x', n: 0 }, wm())
    await ok(b, 'PATCH', 'todos', { id: 'x', n: 1 }, wm())
    await ok(b, 'POST', 'todos', { id: 'y' }, wm())
    await ok(b, 'DELETE', 'todos', 'x', wm())
    const live = recordEvents(a)
    const sub = await ok(a, 'SUBSCRIBE', 'todos', { since: 1 })
    expect(sub.result.seq).toBe(4)
    expect(sub.result.reset).toBeUndefined()
    expect(
      sub.result.changes.map((e: ChangeEvent) => [e.type, e.id, e.meta.seq, e.meta.prevSeq]),
    ).toEqual([
      ['CHANGED', 'x', 2, 1],
      ['ADDED', 'y', 3, 2],
      ['REMOVED', 'x', 4, 3],
    ])
    expect(sub.result.changes[0].ops).toEqual([{ op: 'replace', path: '/n', value: 1 }])
    await ok(b, 'POST', 'todos', { id: 'z' }, wm())
    await settle(a)
    expect(live.map((e) => [e.meta.seq, e.meta.prevSeq])).toEqual([[5, 4]])
    const caughtUp = await ok(a, 'SUBSCRIBE', 'todos', { since: 5 })
    expect(caughtUp.result).toEqual({ seq: 5, changes: [] })
  })

  it('answers reset when since is older than the retention or ahead of the server', async () => {
    server = await startServer({ changeRetention: 3 })
    const a = await client('a')
    for (let i = 0; i < 6; i++) await ok(a, 'POST', 'todos', { id: `i${i}` }, wm())
    expect((await ok(a, 'SUBSCRIBE', 'todos', { since: 1 })).result).toEqual({
      seq: 6,
      reset: true,
    })
    expect((await ok(a, 'SUBSCRIBE', 'todos', { since: 99 })).result).toEqual({
      seq: 6,
      reset: true,
    })
    const live = recordEvents(a)
    await ok(a, 'POST', 'todos', { id: 'next' }, wm())
    await settle(a)
    expect(live.map((e) => e.meta.prevSeq)).toEqual([6])
  })

  it('loses and duplicates nothing when writes land while SUBSCRIBE reads its baseline', async () => {
    const { store, inner } = racingStore()
    server = await startServer({ store })
    const a = await client('a')
    const b = await client('b')
    for (const since of [undefined, 0, 3, 6]) {
      await ok(b, 'POST', 'todos', {}, wm())
      const live = recordEvents(a)
      const sub = await ok(a, 'SUBSCRIBE', 'todos', since === undefined ? {} : { since })
      await ok(b, 'POST', 'todos', {}, wm())
      await settle(a)
      const total = await inner.seq('todos')
      const start = since ?? sub.result.seq
      expect(stream(sub.result, live)).toEqual(
        Array.from({ length: total - start }, (_, k) => start + 1 + k),
      )
      // The two writes committed after the baseline read arrived live, before b's own write.
      expect(live.map((e) => e.meta.seq)).toEqual([total - 2, total - 1, total])
      expect(live[0]!.meta.prevSeq).toBe(sub.result.seq)
      a.removeAllListeners('ADDED')
      await ok(a, 'UNSUBSCRIBE', 'todos')
    }
    await inner.close()
  })
})
