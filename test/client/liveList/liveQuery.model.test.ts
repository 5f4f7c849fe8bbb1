import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ListQuery } from '../../../src/protocol/index.js'
import type { LiveQuery } from '../../../src/client/types.js'
import { flushMicrotasks, Harness } from './harness.js'

const IDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l']
const fieldsArb = fc.record({
  score: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(null)),
  group: fc.constantFrom('x', 'y', 'z'),
})

type ServerWrite = {
  kind: 'POST' | 'PATCH' | 'DELETE'
  id: string
  fields: Record<string, unknown>
}

type Action =
  | ({ t: 'server' } & ServerWrite)
  | { t: 'local'; kind: 'POST' | 'PATCH' | 'DELETE'; id: string; fields: Record<string, unknown> }
  | { t: 'process' }
  | { t: 'deliver' }
  | { t: 'overtake' }
  /** The client could not replay missed changes: every list refetches. */
  | { t: 'reset' }
  | { t: 'burst'; n: number }
  | { t: 'refetch'; which: number }
  /**
   * A refetch of one list whose answer overtakes events: `during` are heard while the LIST is in
   * flight, `ahead` are committed before it reads and reach the client only after its answer.
   */
  | { t: 'race'; which: number; during: ServerWrite[]; ahead: ServerWrite[] }

const serverWriteArb: fc.Arbitrary<ServerWrite> = fc.record({
  kind: fc.constantFrom('POST' as const, 'PATCH' as const, 'DELETE' as const),
  id: fc.constantFrom(...IDS),
  fields: fieldsArb,
})

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    t: fc.constant('server' as const),
    kind: fc.constantFrom('POST' as const, 'PATCH' as const, 'DELETE' as const),
    id: fc.constantFrom(...IDS),
    fields: fieldsArb,
  }),
  fc.record({
    t: fc.constant('local' as const),
    kind: fc.constantFrom('POST' as const, 'PATCH' as const, 'DELETE' as const),
    id: fc.constantFrom(...IDS),
    fields: fieldsArb,
  }),
  fc.constant({ t: 'process' as const }),
  fc.constant({ t: 'deliver' as const }),
  fc.constant({ t: 'overtake' as const }),
  fc.constant({ t: 'reset' as const }),
  fc.record({ t: fc.constant('burst' as const), n: fc.integer({ min: 2, max: 4 }) }),
  fc.record({ t: fc.constant('refetch' as const), which: fc.nat(20) }),
  fc.record({
    t: fc.constant('race' as const),
    which: fc.nat(20),
    during: fc.array(serverWriteArb, { maxLength: 3 }),
    ahead: fc.array(serverWriteArb, { minLength: 1, maxLength: 3 }),
  }),
)

const QUERIES: ListQuery[] = [
  { pageSize: 100 },
  { sort: 'score', pageSize: 3, page: 1 },
  { sort: 'score', pageSize: 3, page: 2 },
  { sort: 'score', pageSize: 3, page: 3 },
  { sort: ['-score', 'group'], filters: { group: { $in: ['x', 'y'] } }, pageSize: 2, page: 1 },
  { sort: ['-score', 'group'], filters: { group: { $in: ['x', 'y'] } }, pageSize: 2, page: 2 },
  { sort: ['-score', 'group'], filters: { group: { $in: ['x', 'y'] } }, pageSize: 2, page: 3 },
  { sort: '-group', filters: { score: { $gte: 2 } }, pageSize: 4, page: 2 },
  { sort: 'score', filters: { group: 'z' }, pageSize: 50 },
]

async function race(
  h: Harness,
  live: LiveQuery,
  during: ServerWrite[],
  ahead: ServerWrite[],
): Promise<void> {
  void live.refetch()
  await flushMicrotasks()
  for (const w of during) {
    h.serverWrite(w.kind, w.id, w.fields)
    while (h.deliver()) await flushMicrotasks()
  }
  for (const w of ahead) h.serverWrite(w.kind, w.id, w.fields)
  // Every LIST is answered now (before the writes still queued), its answer delivered first.
  const lists = h.requests.filter((r) => r.type === 'LIST')
  h.requests.splice(0, h.requests.length, ...lists, ...h.requests.filter((r) => r.type !== 'LIST'))
  for (let i = 0; i < lists.length; i++) h.processRequest()
  while (h.outbox.some((m) => m.type === 'list')) {
    h.deliverAhead()
    await flushMicrotasks()
  }
}

async function runScenario(steps: Action[][]): Promise<void> {
  const h = new Harness()
  const lives = QUERIES.map((q) => h.query(q))
  const offs = lives.map((l) => l.subscribe(() => {}))
  try {
    await h.settle()
    for (const [n, step] of steps.entries()) {
      for (const a of step) {
        if (a.t === 'server') h.serverWrite(a.kind, a.id, a.fields)
        else if (a.t === 'local') {
          // A local POST of an id the client shows would be a client bug; other clients may race it.
          if (a.kind === 'POST' && h.store.peek(a.id)) continue
          if (a.kind !== 'POST' && !h.store.peek(a.id)) continue
          h.localWrite(a.kind, a.id, a.fields)
        } else if (a.t === 'process') h.processRequest()
        else if (a.t === 'deliver') h.deliver()
        // A LIST answer or an ack overtakes events it includes (answered by another process).
        else if (a.t === 'overtake') h.deliverAhead()
        else if (a.t === 'reset') h.reset()
        // Several messages in one task (one transport read): a LIST answer is installed after them.
        else if (a.t === 'burst') for (let k = 0; k < a.n; k++) h.deliver()
        else if (a.t === 'refetch') void lives[a.which % lives.length]!.refetch()
        else await race(h, lives[a.which % lives.length]!, a.during, a.ahead)
        await flushMicrotasks()
      }
      await h.settle()
      for (const [i, q] of QUERIES.entries()) {
        const snap = lives[i]!.getSnapshot()
        const want = h.expected(q)
        const where = `step ${n}, query ${JSON.stringify(q)}`
        expect(snap.ids, where).toEqual(want.ids)
        expect(snap.total, where).toBe(want.total)
        expect(snap.status, where).toBe('success')
        expect(snap.isFetching, where).toBe(false)
        expect(
          snap.items.map((it) => it.id),
          where,
        ).toEqual(want.ids)
        for (const it of snap.items) expect(it, where).toEqual(h.server.get(it.id))
      }
    }
    expect(h.errors).toEqual([])
  } finally {
    offs.forEach((off) => off())
    h.dispose()
  }
}

describe('live lists (model-based)', () => {
  it('every live list equals a fresh LIST after each step', async () => {
    const seed = Number(process.env.LIVELIST_SEED ?? Date.now() % 2 ** 31)
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(actionArb, { minLength: 1, maxLength: 5 }), {
            minLength: 1,
            maxLength: 20,
          }),
          (steps) => runScenario(steps),
        ),
        {
          numRuns: Number(process.env.LIVELIST_RUNS ?? 40),
          seed,
          ...(process.env.LIVELIST_PATH
            ? { path: process.env.LIVELIST_PATH, endOnFailure: true }
            : {}),
        },
      )
    } catch (error) {
      console.error(`live list model test failed with seed ${seed} (rerun: LIVELIST_SEED=${seed})`)
      throw error
    }
  }, 120_000)
})
