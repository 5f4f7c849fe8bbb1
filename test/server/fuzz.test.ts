import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LivecrudServer } from 'livecrud/server'
import { SERVER_ERROR_CODES } from '../../src/protocol/index.js'
import { connect, ok, request, settle, startServer, wm, type Client } from './helpers.js'

const RUNS_PER_EVENT = 1250
const EVENTS = ['GET', 'LIST', 'POST', 'PUT', 'PATCH', 'DELETE', 'SUBSCRIBE', 'UNSUBSCRIBE', 'NOPE']

let server: LivecrudServer
let client: Client
let uncaught = 0
const onUncaught = () => {
  uncaught++
}

beforeAll(async () => {
  process.on('uncaughtException', onUncaught)
  process.on('unhandledRejection', onUncaught)
  server = await startServer({
    limits: { maxRequestsPerSecond: 1e6, maxInFlight: 1e6, maxItemBytes: 20_000 },
  })
  client = await connect(server, { auth: { clientId: 'fuzzer' } })
  await ok(client, 'POST', 'todos', { id: 't1', title: 'x', tags: ['a'], nested: { a: 1 } }, wm())
})
afterAll(async () => {
  process.off('uncaughtException', onUncaught)
  process.off('unhandledRejection', onUncaught)
  client.close()
  await server.close()
})

const weirdKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'id',
  '_version',
  'toString',
  '',
)
const key = fc.oneof(fc.string({ maxLength: 8 }), weirdKey)
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, '', 'x'),
    fc.string({ maxLength: 12 }),
    fc.integer(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
})).value
const collection = fc.oneof(
  { arbitrary: fc.constant('todos'), weight: 6 },
  fc.constantFrom('todos', 'other', '__proto__', 'constructor', '', 'a'.repeat(80), '1abc'),
  json,
)
const id = fc.oneof(
  { arbitrary: fc.constant('t1'), weight: 4 },
  fc.constantFrom('t1', 't2', 'x'.repeat(129), 'a/b', '', '__proto__'),
  json,
)
const segment = fc.oneof(
  { arbitrary: fc.constantFrom('t1', 'title', 'tags', 'nested', 'a', '0', '-'), weight: 4 },
  fc.constantFrom(
    't1',
    't2',
    'title',
    'tags',
    'nested',
    '-',
    '0',
    '01',
    '9',
    '~2',
    '~1',
    '~0',
    'id',
  ),
  fc.constantFrom('_version', '__proto__', 'constructor', 'prototype', 'a'),
)
const pointer = fc.oneof(
  fc.array(segment, { maxLength: 4 }).map((s) => s.map((x) => '/' + x).join('')),
  fc.string({ maxLength: 10 }),
)
const op = fc.record(
  {
    op: fc.constantFrom(
      'add',
      'remove',
      'replace',
      'move',
      'copy',
      'test',
      '_get',
      'toString',
      'x',
    ),
    path: fc.oneof(pointer, json),
    from: fc.oneof(pointer, json),
    value: json,
  },
  { requiredKeys: [] },
)
const meta = fc.oneof(
  { arbitrary: fc.uuid().map((mutationId) => ({ mutationId })), weight: 4 },
  fc.record(
    { mutationId: fc.uuid(), ifVersion: fc.oneof(fc.nat(5), json) },
    { requiredKeys: ['mutationId'] },
  ),
  json,
)
const item = fc.oneof(
  fc.record({ id, title: json, tags: json, _version: json }, { requiredKeys: [] }),
  json,
)
const query = fc.oneof(
  fc.record(
    {
      page: fc.oneof(fc.nat(3), json),
      pageSize: fc.oneof(fc.nat(2000), json),
      sort: fc.oneof(fc.constantFrom('title', '-title', '__proto__', 'a.b'), json),
      filters: fc.oneof(fc.dictionary(key, json, { maxKeys: 3 }), json),
    },
    { requiredKeys: [] },
  ),
  json,
)
const argsFor: Record<string, fc.Arbitrary<unknown[]>> = {
  GET: fc.tuple(collection, id),
  LIST: fc.tuple(collection, query),
  POST: fc.tuple(collection, item, meta),
  PUT: fc.tuple(collection, item, meta),
  PATCH: fc.tuple(collection, fc.oneof(fc.array(op, { maxLength: 6 }), item), meta),
  DELETE: fc.tuple(collection, id, meta),
  SUBSCRIBE: fc.tuple(collection, fc.oneof(fc.record({ since: fc.oneof(fc.nat(10), json) }), json)),
  UNSUBSCRIBE: fc.tuple(collection),
  NOPE: fc.array(json, { maxLength: 3 }),
}
// Wrong argument counts: truncate or extend the generated tuple.
const shaped = (event: string) =>
  fc
    .tuple(
      argsFor[event]!,
      fc.oneof({ arbitrary: fc.constant(0), weight: 5 }, fc.integer({ min: -3, max: 2 })),
      fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, fc.boolean()),
    )
    .map(([args, cut, withAck]) => ({
      args:
        cut < 0
          ? args.slice(0, Math.max(0, args.length + cut))
          : [...args, ...Array(cut).fill('extra')],
      withAck,
    }))

describe('fuzzing every event', () => {
  it(`answers ${RUNS_PER_EVENT * EVENTS.length} random requests without crashing`, async () => {
    const codes = new Map<string, number>()
    let successes = 0
    for (const event of EVENTS) {
      await fc.assert(
        fc.asyncProperty(shaped(event), async ({ args, withAck }) => {
          if (!withAck) {
            client.emit(event, ...args)
            return
          }
          const answer = await request(client, event, ...args)
          if (answer.err === null) {
            successes++
            return
          }
          expect(SERVER_ERROR_CODES).toContain(answer.err.code)
          expect(answer.err.code).not.toBe('INTERNAL')
          codes.set(answer.err.code, (codes.get(answer.err.code) ?? 0) + 1)
        }),
        { numRuns: RUNS_PER_EVENT },
      )
    }
    await settle(client)
    if (process.env.FUZZ_STATS) console.log({ successes, codes })
    expect(uncaught).toBe(0)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(client.connected).toBe(true)
    const other = await connect(server)
    expect((await ok(other, 'GET', 'todos', 't1')).result).not.toBeUndefined()
    other.close()
    // Both paths were exercised: some requests succeeded, many were refused.
    expect(successes).toBeGreaterThan(50)
    expect(codes.get('BAD_REQUEST')).toBeGreaterThan(1000)
  }, 60_000)
})
