import { describe, expect, it } from 'vitest'
import { request, wm } from './helpers.js'
import { deep, hostileSuite, raw, type HostileCase } from './hostileHarness.js'

const p = (...ops: unknown[]) => ops

const CASES: HostileCase[] = [
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
]

const h = hostileSuite('hostile JSON Patch', CASES)

describe('hostile JSON Patch: atomicity', () => {
  it('has at least 30 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30)
  })

  it('names the failing op of an atomic patch', async () => {
    const r = await request(
      h.attacker,
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
})
