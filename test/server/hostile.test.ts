import { describe, expect, it } from 'vitest'
import { connect, ok, startServer, wm } from './helpers.js'
import { deep, hostileSuite, raw, type HostileCase } from './hostileHarness.js'

const CASES: HostileCase[] = [
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
    ['todos', [{ op: 'add', path: '/t1/__proto__/x', value: 1 }], wm()],
    null,
  ],
]

hostileSuite('hostile requests', CASES)

describe('hostile requests: size', () => {
  it('has at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40)
  })

  it.each(['websocket', 'polling'] as const)(
    'closes a connection whose message exceeds maxHttpBufferSize, others unaffected (%s)',
    async (transport) => {
      const small = await startServer({ limits: { maxHttpBufferSize: 10_000 } })
      const big = await connect(small, { transports: [transport] })
      const other = await connect(small)
      const closed = new Promise<string>((r) => big.once('disconnect', r))
      let answered = false
      big.emit('POST', 'todos', { a: 'x'.repeat(20_000) }, wm(), () => (answered = true))
      expect(await closed).toMatch(/transport (close|error)/)
      expect(answered).toBe(false)
      expect((await ok(other, 'LIST', 'todos')).result.total).toBe(0)
      big.close()
      other.close()
      await small.close()
    },
  )
})
