import { freeze } from 'immer'
import { describe, expect, it } from 'vitest'
import { applyItemOps, CollectionStore } from '../../../src/client/store/index.js'
import type { Item } from '../../../src/protocol/index.js'
import { added, changed } from './helpers.js'

const base = (): Item =>
  freeze({ id: 'a', _version: 1, title: 't', tags: ['x'], meta: { n: 1 } }, true)

describe('applyItemOps', () => {
  it('patches frozen items without touching them (replace, remove, array add)', () => {
    const item = base()
    const result = applyItemOps(
      item,
      [
        { op: 'replace', path: '/title', value: 'u' },
        { op: 'remove', path: '/meta/n' },
        { op: 'add', path: '/tags/-', value: 'y' },
      ],
      'a',
      2,
    )
    expect(result).toEqual({
      ok: true,
      item: { id: 'a', _version: 2, title: 'u', tags: ['x', 'y'], meta: {} },
    })
    expect(item).toEqual(base())
    expect(result.ok && Object.isFrozen(result.item) && Object.isFrozen(result.item.tags)).toBe(
      true,
    )
  })

  it('shares untouched subtrees', () => {
    const item = base()
    const result = applyItemOps(item, [{ op: 'replace', path: '/title', value: 'u' }], 'a', 2)
    expect(result.ok && result.item.tags).toBe(item.tags)
  })

  it('fails whole, never half-applied, on a failing test or missing path', () => {
    const item = base()
    for (const ops of [
      [
        { op: 'replace' as const, path: '/title', value: 'u' },
        { op: 'test' as const, path: '/title', value: 'nope' },
      ],
      [{ op: 'replace' as const, path: '/missing/x', value: 1 }],
      [{ op: 'remove' as const, path: '' }],
      [{ op: 'bogus', path: '/x' } as never],
      [{ op: 'add' as const, path: '/__proto__/polluted', value: 1 }],
    ]) {
      const result = applyItemOps(item, ops, 'a', 2)
      expect(result.ok).toBe(false)
    }
    expect(item).toEqual(base())
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('handles a root replace and keeps id and _version the store says', () => {
    const result = applyItemOps(
      base(),
      [
        { op: 'replace', path: '', value: { id: 'other', _version: 9, title: 'z' } },
        { op: 'add', path: '/done', value: true },
      ],
      'a',
      2,
    )
    expect(result).toEqual({ ok: true, item: { id: 'a', _version: 2, title: 'z', done: true } })
  })

  it('the store applies CHANGED over frozen state (the CJS build would silently skip it)', () => {
    const store = new CollectionStore()
    store.dispatch(added(base()))
    store.dispatch(changed('a', 2, [{ op: 'replace', path: '/meta/n', value: 2 }]))
    store.dispatch(changed('a', 3, [{ op: 'remove', path: '/title' }]))
    expect(store.peek('a')).toEqual({ id: 'a', _version: 3, tags: ['x'], meta: { n: 2 } })
  })
})
