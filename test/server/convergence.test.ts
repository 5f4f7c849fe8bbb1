import fc from 'fast-check'
import jsonpatch from 'fast-json-patch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LivecrudServer } from 'livecrud/server'
import type { ChangeEvent, Item } from 'livecrud'
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
import { TOKEN, securityOptions } from './securityFixture.js'

/**
 * Property: whatever the admin writes, every subscriber that rebuilds the collection from its events
 * (and from a SUBSCRIBE since replay) ends equal to what LIST shows it, and its prevSeq chain has no
 * hole.
 */
let server: LivecrudServer
const as: Record<string, Client> = {}
const READERS = ['alice', 'bob', 'admin'] as const
let collectionNo = 0
let delivered = 0

beforeAll(async () => {
  server = await startServer({ ...securityOptions(), limits: { maxRequestsPerSecond: 1e6 } })
  for (const name of ['alice', 'bob', 'admin'])
    as[name] = await connect(server, { auth: { token: TOKEN[name as 'alice'], clientId: name } })
})
afterAll(async () => {
  for (const c of Object.values(as)) c.close()
  await server.close()
})

/** Applies events in order; returns the rebuilt items and whether the prevSeq chain held. */
function rebuild(events: ChangeEvent[], startSeq: number, into = new Map<string, Item>()) {
  let last = startSeq
  let chained = true
  for (const e of events) {
    if (e.meta.prevSeq !== last) chained = false
    last = e.meta.seq
    if (e.type === 'ADDED') into.set(e.id, e.item)
    else if (e.type === 'REMOVED') into.delete(e.id)
    else {
      const cur = into.get(e.id)
      if (!cur) chained = false
      else {
        const next = jsonpatch.applyPatch(
          structuredClone(cur),
          e.ops as any,
          true,
          false,
        ).newDocument
        into.set(e.id, { ...next, _version: e.meta.version })
      }
    }
  }
  return { items: into, chained, last }
}

const byId = (items: Item[]) => new Map(items.map((i) => [i.id, i]))

const id = fc.constantFrom('i1', 'i2', 'i3', 'i4')
const tenant = fc.constantFrom('A', 'B')
const write = fc.oneof(
  fc.record({
    kind: fc.constant('POST' as const),
    id,
    tenant,
    n: fc.nat(9),
    note: fc.string({ maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('PUT' as const), id, tenant, n: fc.nat(9) }),
  fc.record({ kind: fc.constant('MERGE' as const), id, tenant }),
  fc.record({ kind: fc.constant('OPS' as const), id, n: fc.nat(9) }),
  fc.record({ kind: fc.constant('DELETE' as const), id }),
)
type Write = typeof write extends fc.Arbitrary<infer T> ? T : never

async function apply(collection: string, w: Write) {
  const admin = as.admin!
  switch (w.kind) {
    case 'POST':
      return request(
        admin,
        'POST',
        collection,
        { id: w.id, tenant: w.tenant, n: w.n, internalNote: w.note },
        wm(),
      )
    case 'PUT':
      return request(
        admin,
        'PUT',
        collection,
        { id: w.id, tenant: w.tenant, n: w.n, tags: [w.n] },
        wm(),
      )
    case 'MERGE':
      return request(admin, 'PATCH', collection, { id: w.id, tenant: w.tenant }, wm())
    case 'OPS':
      return request(
        admin,
        'PATCH',
        collection,
        [
          { op: 'add', path: `/${w.id}/n`, value: w.n },
          { op: 'remove', path: `/${w.id}/tenant` },
          { op: 'add', path: `/${w.id}/tenant`, value: w.n % 2 ? 'A' : 'B' },
        ],
        wm(),
      )
    case 'DELETE':
      return request(admin, 'DELETE', collection, w.id, wm())
  }
}

describe('event streams converge with LIST (property)', () => {
  it('for every reader, events and replays rebuild exactly what it may list', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(write, { minLength: 1, maxLength: 25 }),
        fc.nat(25),
        async (writes, cut) => {
          const collection = `todos`
          // A fresh collection per run keeps runs independent on one server.
          const coll = `${collection}${++collectionNo}`
          void coll
          const live: Record<string, ChangeEvent[]> = {}
          const base: Record<string, number> = {}
          for (const r of READERS) {
            const c = as[r]!
            c.removeAllListeners('ADDED')
              .removeAllListeners('CHANGED')
              .removeAllListeners('REMOVED')
            base[r] = (await ok(c, 'SUBSCRIBE', coll)).result.seq
            live[r] = recordEvents(c)
          }
          let midSeq = 0
          for (let i = 0; i < writes.length; i++) {
            await apply(coll, writes[i]!)
            if (i === Math.min(cut, writes.length - 1))
              midSeq = (await ok(as.admin!, 'LIST', coll, { pageSize: 1 })).result.seq
          }
          for (const r of READERS) {
            const c = as[r]!
            await settle(c)
            const listed = byId((await ok(c, 'LIST', coll, { pageSize: 1000 })).result.items)
            const fromLive = rebuild(live[r]!, base[r]!)
            expect(fromLive.chained).toBe(true)
            expect(fromLive.items).toEqual(listed)
            delivered += live[r]!.length
            // Catching up from the middle: the state at midSeq (rebuilt from live events up to it)
            // plus the replay equals the same thing.
            const head = live[r]!.filter((e) => e.meta.seq <= midSeq)
            const atMid = rebuild(head, base[r]!)
            const replay = (await ok(c, 'SUBSCRIBE', coll, { since: atMid.last })).result
            const caught = rebuild(replay.changes, atMid.last, atMid.items)
            expect(caught.chained).toBe(true)
            expect(caught.items).toEqual(listed)
            await ok(c, 'UNSUBSCRIBE', coll)
          }
        },
      ),
      { numRuns: 60 },
    )
    // Writes mostly succeed and move items across scopes, so there is plenty to compare.
    expect(delivered).toBeGreaterThan(120)
  }, 60_000)
})
