import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LivecrudServer } from 'livecrud/server'
import type { ChangeEvent } from 'livecrud'
import { connect, ok, recordEvents, settle, startServer, wm, type Client } from './helpers.js'
import { TOKEN } from './securityFixture.js'
import { securityOptions } from './securityFixture.js'

let server: LivecrudServer
const as: Record<string, Client> = {}
const seen: Record<string, ChangeEvent[]> = {}
/** Every payload a client received, events and acks, for the deep scans. */
const inbox: Record<string, unknown[]> = {}

beforeAll(async () => {
  server = await startServer({ ...securityOptions(), limits: { maxRequestsPerSecond: 100_000 } })
  for (const [name, token] of Object.entries(TOKEN)) {
    const c = await connect(server, { auth: { token, clientId: `c-${name}` } })
    as[name] = c
    inbox[name] = []
    c.onAny((...args) => inbox[name]!.push(args))
    await ok(c, 'SUBSCRIBE', 'todos')
    seen[name] = recordEvents(c)
  }
})
afterAll(async () => {
  for (const c of Object.values(as)) c.close()
  await server.close()
})

async function settleAll() {
  for (const c of Object.values(as)) await settle(c)
}
const brief = (events: ChangeEvent[]) =>
  events.map((e) => {
    const base = `${e.type} ${e.id} ${e.meta.prevSeq}→${e.meta.seq} v${e.meta.version}`
    return e.type === 'ADDED'
      ? `${base} ${JSON.stringify(e.item)}`
      : e.type === 'CHANGED'
        ? `${base} ${JSON.stringify(e.ops)}`
        : base
  })

describe('event visibility matrix', () => {
  it('sends each user exactly the events for items it may read, moves included', async () => {
    const admin = as.admin!
    const w = (event: string, ...args: unknown[]) => ok(admin, event, ...args)
    await w(
      'POST',
      'todos',
      { id: 'a', tenant: 'A', title: 'x', internalNote: 'n1', secretHash: 's' },
      wm(),
    ) // 1
    await w('POST', 'todos', { id: 'b', tenant: 'B', title: 'y' }, wm()) // 2
    await w('PATCH', 'todos', { id: 'a', tenant: 'B' }, wm()) // 3: a moves A → B
    await w('PATCH', 'todos', { id: 'b', title: 'y2' }, wm()) // 4
    await w('PATCH', 'todos', { id: 'a', tenant: 'A' }, wm()) // 5: a moves back
    await w('PATCH', 'todos', { id: 'a', internalNote: 'n2' }, wm()) // 6: hidden field only
    await w('DELETE', 'todos', 'b', wm()) // 7
    await w('DELETE', 'todos', 'a', wm()) // 8
    await settleAll()
    const aItem = '{"id":"a","_version":1,"tenant":"A","title":"x"}'
    const tenantA = [
      `ADDED a 0→1 v1 ${aItem}`,
      'REMOVED a 1→3 v2',
      `ADDED a 3→5 v3 {"id":"a","_version":3,"tenant":"A","title":"x"}`,
      'CHANGED a 5→6 v4 []',
      'REMOVED a 6→8 v5',
    ]
    expect(brief(seen.alice!)).toEqual(tenantA)
    expect(brief(seen.viewer!)).toEqual(tenantA)
    expect(brief(seen.bob!)).toEqual([
      'ADDED b 0→2 v1 {"id":"b","_version":1,"tenant":"B","title":"y"}',
      `ADDED a 2→3 v2 {"id":"a","_version":2,"tenant":"B","title":"x"}`,
      'CHANGED b 3→4 v2 [{"op":"replace","path":"/title","value":"y2"}]',
      'REMOVED a 4→5 v3',
      'REMOVED b 5→7 v3',
    ])
    expect(brief(seen.admin!)).toEqual([
      'ADDED a 0→1 v1 {"id":"a","_version":1,"tenant":"A","title":"x","internalNote":"n1"}',
      'ADDED b 1→2 v1 {"id":"b","_version":1,"tenant":"B","title":"y"}',
      'CHANGED a 2→3 v2 [{"op":"replace","path":"/tenant","value":"B"}]',
      'CHANGED b 3→4 v2 [{"op":"replace","path":"/title","value":"y2"}]',
      'CHANGED a 4→5 v3 [{"op":"replace","path":"/tenant","value":"A"}]',
      'CHANGED a 5→6 v4 [{"op":"replace","path":"/internalNote","value":"n2"}]',
      'REMOVED b 6→7 v3',
      'REMOVED a 7→8 v5',
    ])
  })

  it('a SUBSCRIBE since replay is filtered the same way', async () => {
    const replay = (await ok(as.bob!, 'SUBSCRIBE', 'todos', { since: 0 })).result
    expect(brief(replay.changes)).toEqual(brief(seen.bob!))
    expect(replay.seq).toBe(8)
  })

  it('never sends hidden or server fields to a non-admin, in events or acks (property)', async () => {
    const secret = fc.string({ minLength: 6, maxLength: 12 }).map((s) => `SECRET<${s}>`)
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            tenant: fc.constantFrom('A', 'B'),
            title: fc.string({ maxLength: 5 }),
            internalNote: secret,
            secretHash: secret,
            nested: fc.dictionary(fc.constantFrom('k', 'j'), fc.integer(), { maxKeys: 2 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.constantFrom('PUT', 'PATCH', 'DELETE'),
        async (docs, then) => {
          for (const doc of docs) {
            const { result } = await ok(as.admin!, 'POST', 'todos', doc, wm())
            const patched = { ...doc, id: result.id, tenant: doc.tenant === 'A' ? 'B' : 'A' }
            if (then === 'DELETE') await ok(as.admin!, 'DELETE', 'todos', result.id, wm())
            else await ok(as.admin!, then, 'todos', patched, wm())
            // Members read it through every request kind too.
            for (const user of ['alice', 'bob', 'viewer']) {
              inbox[user]!.push((await ok(as[user]!, 'GET', 'todos', result.id)).result)
              inbox[user]!.push((await ok(as[user]!, 'LIST', 'todos', { pageSize: 1000 })).result)
            }
          }
          await settleAll()
          for (const user of ['alice', 'bob', 'viewer']) {
            const text = JSON.stringify(inbox[user])
            expect(text).not.toContain('SECRET<')
            expect(text).not.toContain('secretHash')
            expect(text).not.toContain('internalNote')
          }
          expect(JSON.stringify(inbox.admin)).not.toContain('secretHash')
        },
      ),
      { numRuns: 40 },
    )
    expect(JSON.stringify(inbox.admin)).toContain('internalNote')
  })
})
