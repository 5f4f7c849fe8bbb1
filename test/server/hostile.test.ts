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

let server: LivecrudServer
let attacker: Client
let observer: Client
let events: ReturnType<typeof recordEvents>
const SEED = { id: 't1', title: 'keep', tags: ['a', 'b'], nested: { x: 1 } }

beforeAll(async () => {
  server = await startServer({
    limits: { maxItemBytes: 2000, maxPatchOps: 5, maxDepth: 8, maxRequestsPerSecond: 100_000 },
  })
  attacker = await connect(server)
  observer = await connect(server)
  await ok(observer, 'POST', 'todos', SEED, wm())
  await ok(observer, 'SUBSCRIBE', 'todos')
  events = recordEvents(observer)
})
afterAll(async () => {
  attacker.close()
  observer.close()
  await server.close()
})

const raw = (json: string) => JSON.parse(json) as Record<string, unknown>
const deep = (n: number): unknown => (n === 0 ? 1 : { d: deep(n - 1) })
const p = (...ops: unknown[]) => ops
type Case = [name: string, event: string, args: unknown[], code: string | null]

const CASES: Case[] = [
  ['GET without arguments', 'GET', [], 'BAD_REQUEST'],
  ['GET with a number collection', 'GET', [1, 't1'], 'BAD_REQUEST'],
  ['GET with a prototype collection', 'GET', ['__proto__', 't1'], 'BAD_REQUEST'],
  ['GET with an id containing /', 'GET', ['todos', 'a/b'], 'BAD_REQUEST'],
  ['GET with a 200-char id', 'GET', ['todos', 'x'.repeat(200)], 'BAD_REQUEST'],
  ['GET with an object id', 'GET', ['todos', { id: 't1' }], 'BAD_REQUEST'],
  ['GET with an extra argument', 'GET', ['todos', 't1', 'extra'], 'BAD_REQUEST'],
  ['LIST with an array query', 'LIST', ['todos', []], 'BAD_REQUEST'],
  ['LIST with pageSize above the max', 'LIST', ['todos', { pageSize: 5000 }], 'BAD_REQUEST'],
  ['LIST with page 0', 'LIST', ['todos', { page: 0 }], 'BAD_REQUEST'],
  [
    'LIST filtering on __proto__',
    'LIST',
    ['todos', { filters: raw('{"__proto__":{"$ne":1}}') }],
    'BAD_REQUEST',
  ],
  [
    'LIST filtering on constructor',
    'LIST',
    ['todos', { filters: { constructor: 1 } }],
    'BAD_REQUEST',
  ],
  [
    'LIST with an unknown operator',
    'LIST',
    ['todos', { filters: { title: { $where: 'x' } } }],
    'BAD_REQUEST',
  ],
  ['LIST sorting on a 5-deep path', 'LIST', ['todos', { sort: 'a.b.c.d.e' }], 'BAD_REQUEST'],
  ['POST a null item', 'POST', ['todos', null, wm()], 'BAD_REQUEST'],
  ['POST an array item', 'POST', ['todos', [1], wm()], 'BAD_REQUEST'],
  ['POST a string item', 'POST', ['todos', 'item', wm()], 'BAD_REQUEST'],
  [
    'POST with a __proto__ key',
    'POST',
    ['todos', raw('{"__proto__":{"polluted":1}}'), wm()],
    'BAD_REQUEST',
  ],
  [
    'POST with constructor.prototype',
    'POST',
    ['todos', { constructor: { prototype: { polluted: 1 } } }, wm()],
    'BAD_REQUEST',
  ],
  [
    'POST with a nested __proto__',
    'POST',
    ['todos', { a: [raw('{"__proto__":{"polluted":1}}')] }, wm()],
    'BAD_REQUEST',
  ],
  ['POST with an invalid id', 'POST', ['todos', { id: 'a b' }, wm()], 'BAD_REQUEST'],
  ['POST with a string _version', 'POST', ['todos', { _version: 'x' }, wm()], 'BAD_REQUEST'],
  ['POST without meta', 'POST', ['todos', { a: 1 }], 'BAD_REQUEST'],
  ['POST with meta lacking mutationId', 'POST', ['todos', { a: 1 }, {}], 'BAD_REQUEST'],
  [
    'POST with a 500-char mutationId',
    'POST',
    ['todos', { a: 1 }, { mutationId: 'm'.repeat(500) }],
    'BAD_REQUEST',
  ],
  [
    'POST with a negative ifVersion',
    'POST',
    ['todos', { a: 1 }, wm({ ifVersion: -1 })],
    'BAD_REQUEST',
  ],
  ['POST nested deeper than the limit', 'POST', ['todos', { a: deep(20) }, wm()], 'BAD_REQUEST'],
  [
    'POST larger than maxItemBytes',
    'POST',
    ['todos', { a: 'x'.repeat(5000) }, wm()],
    'PAYLOAD_TOO_LARGE',
  ],
  [
    'POST with a binary attachment',
    'POST',
    ['todos', { a: Buffer.from('hi') }, wm()],
    'BAD_REQUEST',
  ],
  ['POST with a string meta', 'POST', ['todos', { a: [1, null] }, 'meta'], 'BAD_REQUEST'],
  ['PUT without id', 'PUT', ['todos', { title: 'x' }, wm()], 'BAD_REQUEST'],
  ['PUT of a missing item', 'PUT', ['todos', { id: 'ghost' }, wm()], 'NOT_FOUND'],
  ['PUT with ifVersion mismatch', 'PUT', ['todos', { id: 't1' }, wm({ ifVersion: 7 })], 'CONFLICT'],
  ['PATCH with no ops', 'PATCH', ['todos', [], wm()], 'BAD_REQUEST'],
  [
    'PATCH op toString',
    'PATCH',
    ['todos', p({ op: 'toString', path: '/t1/title' }), wm()],
    'BAD_REQUEST',
  ],
  ['PATCH op _get', 'PATCH', ['todos', p({ op: '_get', path: '/t1/title' }), wm()], 'BAD_REQUEST'],
  [
    'PATCH op constructor',
    'PATCH',
    ['todos', p({ op: 'constructor', path: '/t1/title' }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH with path ""',
    'PATCH',
    ['todos', p({ op: 'replace', path: '', value: {} }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH with path without /',
    'PATCH',
    ['todos', p({ op: 'replace', path: 't1/title', value: 1 }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH replacing the whole item',
    'PATCH',
    ['todos', p({ op: 'replace', path: '/t1', value: {} }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH into __proto__',
    'PATCH',
    ['todos', p({ op: 'add', path: '/t1/__proto__/polluted', value: 1 }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH into constructor/prototype',
    'PATCH',
    ['todos', p({ op: 'add', path: '/t1/constructor/prototype/polluted', value: 1 }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH with nested prototype segment',
    'PATCH',
    ['todos', p({ op: 'add', path: '/t1/nested/prototype', value: 1 }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH with an invalid escape ~2',
    'PATCH',
    ['todos', p({ op: 'add', path: '/t1/a~2b', value: 1 }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH from a __proto__ path',
    'PATCH',
    ['todos', p({ op: 'copy', from: '/t1/__proto__', path: '/t1/x' }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH moving into its own child',
    'PATCH',
    ['todos', p({ op: 'move', from: '/t1/nested', path: '/t1/nested/x' }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH replacing id',
    'PATCH',
    ['todos', p({ op: 'replace', path: '/t1/id', value: 'zz' }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH replacing _version',
    'PATCH',
    ['todos', p({ op: 'replace', path: '/t1/_version', value: 99 }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH moving _version away',
    'PATCH',
    ['todos', p({ op: 'move', from: '/t1/_version', path: '/t1/v' }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH mixing two item ids',
    'PATCH',
    [
      'todos',
      p({ op: 'add', path: '/t1/a', value: 1 }, { op: 'add', path: '/t2/a', value: 1 }),
      wm(),
    ],
    'BAD_REQUEST',
  ],
  [
    'PATCH above the op cap',
    'PATCH',
    [
      'todos',
      Array.from({ length: 6 }, () => ({ op: 'test', path: '/t1/title', value: 'keep' })),
      wm(),
    ],
    'PAYLOAD_TOO_LARGE',
  ],
  [
    'PATCH whose last test fails (atomic)',
    'PATCH',
    [
      'todos',
      p(
        { op: 'replace', path: '/t1/title', value: 'new' },
        { op: 'test', path: '/t1/title', value: 'wrong' },
      ),
      wm(),
    ],
    'BAD_REQUEST',
  ],
  [
    'PATCH with index 01',
    'PATCH',
    ['todos', p({ op: 'add', path: '/t1/tags/01', value: 'x' }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH with index beyond length',
    'PATCH',
    ['todos', p({ op: 'add', path: '/t1/tags/5', value: 'x' }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH replace at -',
    'PATCH',
    ['todos', p({ op: 'replace', path: '/t1/tags/-', value: 'x' }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH removing a missing member',
    'PATCH',
    ['todos', p({ op: 'remove', path: '/t1/nope' }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH add without value',
    'PATCH',
    ['todos', p({ op: 'add', path: '/t1/a' }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH copy without from',
    'PATCH',
    ['todos', p({ op: 'copy', path: '/t1/a' }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH value carrying __proto__',
    'PATCH',
    ['todos', p({ op: 'add', path: '/t1/a', value: raw('{"__proto__":{"polluted":1}}') }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH value nested too deep',
    'PATCH',
    ['todos', p({ op: 'add', path: '/t1/a', value: deep(20) }), wm()],
    'BAD_REQUEST',
  ],
  [
    'PATCH growing the item past the limit',
    'PATCH',
    ['todos', p({ op: 'add', path: '/t1/a', value: 'x'.repeat(1990) }), wm()],
    'PAYLOAD_TOO_LARGE',
  ],
  [
    'PATCH merge with __proto__',
    'PATCH',
    ['todos', raw('{"id":"t1","__proto__":{"polluted":1}}'), wm()],
    'BAD_REQUEST',
  ],
  ['PATCH merge without id', 'PATCH', ['todos', { title: 'x' }, wm()], 'BAD_REQUEST'],
  ['PATCH as a string', 'PATCH', ['todos', 'replace', wm()], 'BAD_REQUEST'],
  [
    'PATCH of a missing item',
    'PATCH',
    ['todos', p({ op: 'add', path: '/ghost/a', value: 1 }), wm()],
    'NOT_FOUND',
  ],
  ['DELETE with a number id', 'DELETE', ['todos', 5, wm()], 'BAD_REQUEST'],
  ['DELETE with a null meta', 'DELETE', ['todos', 't1', null], 'BAD_REQUEST'],
  ['DELETE with ifVersion mismatch', 'DELETE', ['todos', 't1', wm({ ifVersion: 3 })], 'CONFLICT'],
  ['SUBSCRIBE with since -1', 'SUBSCRIBE', ['todos', { since: -1 }], 'BAD_REQUEST'],
  ['SUBSCRIBE with since "abc"', 'SUBSCRIBE', ['todos', { since: 'abc' }], 'BAD_REQUEST'],
  ['SUBSCRIBE with array options', 'SUBSCRIBE', ['todos', [1]], 'BAD_REQUEST'],
  ['UNSUBSCRIBE without arguments', 'UNSUBSCRIBE', [], 'BAD_REQUEST'],
  ['an unknown event', 'DROP_TABLES', ['todos'], 'BAD_REQUEST'],
  ['an event named constructor', 'constructor', [], 'BAD_REQUEST'],
  ['an event named __proto__', '__proto__', [], 'BAD_REQUEST'],
  ['an event named hasOwnProperty', 'hasOwnProperty', ['x'], 'BAD_REQUEST'],
  ['POST without ack callback', 'POST', ['todos', null, wm()], null],
  [
    'PATCH without ack callback',
    'PATCH',
    ['todos', p({ op: 'add', path: '/t1/__proto__/x', value: 1 }), wm()],
    null,
  ],
]

async function snapshot() {
  return (await ok(observer, 'LIST', 'todos', { pageSize: 1000 })).result
}

describe('hostile input', () => {
  it('has at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40)
  })

  it.each(CASES)('%s', async (_name, event, args, code) => {
    const before = await snapshot()
    if (code === null) {
      attacker.emit(event, ...args)
    } else {
      const answer = await request(attacker, event, ...args)
      expect(answer.err?.code).toBe(code)
      expect(typeof answer.err?.message).toBe('string')
      expect(answer.result).toBeUndefined()
    }
    await settle(attacker)
    await settle(observer)
    expect(await snapshot()).toEqual(before)
    expect(events).toEqual([])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect((await ok(observer, 'GET', 'todos', 't1')).result).toMatchObject(SEED)
    // The attacking connection itself keeps working too.
    expect((await ok(attacker, 'GET', 'todos', 't1')).result.title).toBe('keep')
  })

  it('names the failing op of an atomic patch', async () => {
    const r = await request(
      attacker,
      'PATCH',
      'todos',
      [
        { op: 'replace', path: '/t1/title', value: 'new' },
        { op: 'add', path: '/t1/x', value: 1 },
        { op: 'test', path: '/t1/title', value: 'wrong' },
      ],
      wm(),
    )
    expect(r.err).toMatchObject({ code: 'BAD_REQUEST', details: { index: 2 } })
    expect(r.err!.message).toContain('op 2')
  })

  it('closes a connection whose message exceeds maxHttpBufferSize, others unaffected', async () => {
    const small = await startServer({ limits: { maxHttpBufferSize: 10_000 } })
    const big = await connect(small)
    const other = await connect(small)
    const closed = new Promise<string>((r) => big.once('disconnect', r))
    big.emit('POST', 'todos', { a: 'x'.repeat(20_000) }, wm(), () => {})
    expect(await closed).toBe('transport close')
    expect((await ok(other, 'LIST', 'todos')).result.total).toBe(0)
    other.close()
    await small.close()
  })
})
