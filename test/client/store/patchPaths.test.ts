import { describe, expect, it } from 'vitest'
import {
  mergePatchToOps,
  splitWireOps,
  toItemOps,
  toWireOps,
} from '../../../src/client/store/index.js'

describe('patchPaths', () => {
  it('turns a partial item into add ops, skipping id, _version and undefined', () => {
    expect(
      mergePatchToOps({ id: 'a', _version: 3, title: 't', 'a/b~c': 1, gone: undefined, n: null }),
    ).toEqual([
      { op: 'add', path: '/title', value: 't' },
      { op: 'add', path: '/a~1b~0c', value: 1 },
      { op: 'add', path: '/n', value: null },
    ])
  })

  it('strips and adds the escaped id prefix, from included', () => {
    const wire = [
      { op: 'replace' as const, path: '/x~1y/title', value: 1 },
      { op: 'move' as const, from: '/x~1y/a', path: '/x~1y/b' },
    ]
    const ops = toItemOps(wire, 'x/y')
    expect(ops).toEqual([
      { op: 'replace', path: '/title', value: 1 },
      { op: 'move', from: '/a', path: '/b' },
    ])
    expect(toWireOps(ops!, 'x/y')).toEqual(wire)
  })

  it('refuses paths outside the item', () => {
    expect(toItemOps([{ op: 'remove', path: '/ab/x' }], 'a')).toBeNull()
    expect(toItemOps([{ op: 'copy', from: '/b/x', path: '/a/x' }], 'a')).toBeNull()
    expect(toItemOps([{ op: 'remove', path: '/a' }], 'a')).toEqual([{ op: 'remove', path: '' }])
  })

  it('splits wire ops into the target id and relative ops', () => {
    expect(splitWireOps([{ op: 'add', path: '/42/tags/-', value: 'x' }])).toEqual({
      id: '42',
      ops: [{ op: 'add', path: '/tags/-', value: 'x' }],
    })
    expect(
      splitWireOps([
        { op: 'add', path: '/1/a', value: 1 },
        { op: 'add', path: '/2/a', value: 1 },
      ]),
    ).toBeNull()
    for (const bad of [[], null, 'x', [null], [{ op: 'add' }], [{ op: 'add', path: '/' }]]) {
      expect(splitWireOps(bad)).toBeNull()
    }
  })
})
