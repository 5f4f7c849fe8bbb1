import fc from 'fast-check'
import jsonpatch from 'fast-json-patch'
import { describe, expect, it } from 'vitest'
import { applyPatch, jsonEqual } from '../../src/server/applyPatch.js'
import { DEFAULT_LIMITS } from 'livecrud/server'
import { validatePatch } from '../../src/server/validatePatch.js'

/** Runs wire ops (paths prefixed with /x) through validation and the applier. */
function run(doc: Record<string, unknown>, ops: unknown[]) {
  const prefixed = ops.map((o: any) => ({
    ...o,
    path: '/x' + o.path,
    ...(o.from !== undefined ? { from: '/x' + o.from } : {}),
  }))
  return applyPatch(doc, validatePatch(prefixed, DEFAULT_LIMITS).steps)
}

describe('applyPatch (RFC 6902 appendix A)', () => {
  const cases: [string, unknown, unknown[], unknown][] = [
    [
      'A.1 add member',
      { foo: 'bar' },
      [{ op: 'add', path: '/baz', value: 'qux' }],
      { baz: 'qux', foo: 'bar' },
    ],
    [
      'A.2 add array element',
      { foo: ['bar', 'baz'] },
      [{ op: 'add', path: '/foo/1', value: 'qux' }],
      { foo: ['bar', 'qux', 'baz'] },
    ],
    [
      'A.3 remove member',
      { baz: 'qux', foo: 'bar' },
      [{ op: 'remove', path: '/baz' }],
      { foo: 'bar' },
    ],
    [
      'A.4 remove element',
      { foo: ['bar', 'qux', 'baz'] },
      [{ op: 'remove', path: '/foo/1' }],
      { foo: ['bar', 'baz'] },
    ],
    [
      'A.5 replace',
      { baz: 'qux', foo: 'bar' },
      [{ op: 'replace', path: '/baz', value: 'boo' }],
      { baz: 'boo', foo: 'bar' },
    ],
    [
      'A.6 move member',
      { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
      [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
      { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
    ],
    [
      'A.7 move element',
      { foo: ['all', 'grass', 'cows', 'eat'] },
      [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
      { foo: ['all', 'cows', 'eat', 'grass'] },
    ],
    [
      'A.8 test success',
      { baz: 'qux', foo: ['a', 2, 'c'] },
      [
        { op: 'test', path: '/baz', value: 'qux' },
        { op: 'test', path: '/foo/1', value: 2 },
      ],
      { baz: 'qux', foo: ['a', 2, 'c'] },
    ],
    [
      'A.10 add nested member',
      { foo: 'bar' },
      [{ op: 'add', path: '/child', value: { grandchild: {} } }],
      { foo: 'bar', child: { grandchild: {} } },
    ],
    [
      'A.14 ~ escape ordering',
      { '/': 9, '~1': 10 },
      [{ op: 'test', path: '/~01', value: 10 }],
      { '/': 9, '~1': 10 },
    ],
    [
      'A.16 add array value',
      { foo: ['bar'] },
      [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }],
      { foo: ['bar', ['abc', 'def']] },
    ],
    [
      'copy',
      { a: { b: 1 } },
      [{ op: 'copy', from: '/a', path: '/c' }],
      { a: { b: 1 }, c: { b: 1 } },
    ],
  ]
  it.each(cases)('%s', (_name, doc, ops, expected) => {
    const before = structuredClone(doc)
    expect(run(doc as Record<string, unknown>, ops)).toEqual(expected)
    expect(doc).toEqual(before)
  })

  it.each([
    ['A.9 test failure', { baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }]],
    [
      'A.12 add to a nonexistent target',
      { foo: 'bar' },
      [{ op: 'add', path: '/baz/bat', value: 'qux' }],
    ],
    [
      'A.15 comparing strings and numbers',
      { '/': 9, '~1': 10 },
      [{ op: 'test', path: '/~01', value: '10' }],
    ],
    ['remove a missing member', { a: 1 }, [{ op: 'remove', path: '/b' }]],
    ['replace a missing member', { a: 1 }, [{ op: 'replace', path: '/b', value: 1 }]],
  ])('%s fails', (_name, doc, ops) => {
    expect(() => run(doc as Record<string, unknown>, ops)).toThrow(/patch op 0 failed/)
  })

  it('compares JSON values regardless of key order', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true)
    expect(jsonEqual([1], { 0: 1 })).toBe(false)
    expect(jsonEqual({ a: undefined }, {})).toBe(false)
  })
})

/**
 * fast-json-patch as the oracle, each op validated against the document it applies to (its
 * `applyPatch` validates ops without the document, so it skips bounds and `from` checks), on copies
 * of the ops (it inserts `value` objects by reference). `move` and `copy` are spelled as the
 * remove/add they are defined as (RFC 6902 §4.4, §4.5), so their targets get the `add` checks.
 */
/** A strict RFC 6901 lookup (fast-json-patch's would index into strings). */
function lookup(doc: unknown, pointer: string): unknown {
  let cur = doc
  for (const seg of pointer.slice(1).split('/')) {
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(seg) || Number(seg) >= cur.length) return undefined
      cur = cur[Number(seg)]
    } else if (cur !== null && typeof cur === 'object' && Object.hasOwn(cur, seg)) {
      cur = (cur as Record<string, unknown>)[seg]
    } else return undefined
  }
  return cur
}

function oracle(doc: Record<string, unknown>, ops: any[]): unknown {
  let cur: unknown = structuredClone(doc)
  const step = (op: any) => {
    const error = jsonpatch.validate([op], cur)
    if (error) throw error
    cur = jsonpatch.applyOperation(cur, op, false, true).newDocument
  }
  for (const raw of ops) {
    const op = structuredClone(raw)
    if (op.op !== 'move' && op.op !== 'copy') {
      step(op)
      continue
    }
    const value = structuredClone(lookup(cur, op.from))
    if (value === undefined) throw new Error('from does not exist')
    if (op.op === 'move') step({ op: 'remove', path: op.from })
    step({ op: 'add', path: op.path, value })
  }
  return cur
}

describe('applyPatch agrees with fast-json-patch on valid input', () => {
  const key = fc.constantFrom('a', 'b', 'c')
  const leaf = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('s', null, true))
  const doc = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      leaf,
      fc.array(tie('v'), { maxLength: 3 }),
      fc.dictionary(key, tie('v'), { maxKeys: 3 }),
    ),
  })).v
  const deepPath = fc
    .array(fc.oneof(key, fc.constantFrom('0', '1', '2', '-')), { minLength: 2, maxLength: 3 })
    .map((s) => '/' + s.join('/'))
  const path = fc.oneof({ arbitrary: key.map((k) => '/' + k), weight: 3 }, deepPath)
  const op = fc.oneof(
    fc.record({ op: fc.constantFrom('add', 'replace', 'test'), path, value: doc }),
    fc.record({ op: fc.constant('remove'), path }),
    fc.record({ op: fc.constantFrom('move', 'copy'), from: path, path }),
  )

  let applied = 0
  it('same result or both refuse (1 000 random patches)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(key, doc, { minKeys: 2, maxKeys: 3 }),
        fc.array(op, { minLength: 1, maxLength: 3 }),
        (d, ops) => {
          let theirs: unknown
          try {
            theirs = oracle(d, ops)
          } catch {
            theirs = 'error'
          }
          let ours: unknown
          try {
            ours = run(d, ops)
          } catch {
            ours = 'error'
          }
          expect(ours).toEqual(theirs)
          if (ours !== 'error') applied++
        },
      ),
      { numRuns: 1000 },
    )
    // Both outcomes are compared, not only refusals.
    expect(applied).toBeGreaterThan(100)
  })
})
