import { describe, expect, it } from 'vitest'
import { deepFreeze, frozenCopy } from '../../src/protocol/frozen.js'

describe('deepFreeze / frozenCopy', () => {
  it('deepFreeze freezes plain objects and arrays in place, and leaves other objects alone', () => {
    const date = new Date(0)
    const value = { a: { b: [1, { c: 2 }] }, when: date }
    expect(deepFreeze(value)).toBe(value)
    expect(Object.isFrozen(value)).toBe(true)
    expect(Object.isFrozen(value.a)).toBe(true)
    expect(Object.isFrozen(value.a.b)).toBe(true)
    expect(Object.isFrozen(value.a.b[1])).toBe(true)
    expect(Object.isFrozen(date)).toBe(false)
  })

  it('frozenCopy is an equal, deeply frozen copy sharing nothing with its source', () => {
    const source = {
      id: 'x',
      tags: ['a', 'b'],
      nested: { n: 1, list: [{ k: null }] },
      u: undefined,
    }
    const copy = frozenCopy(source)
    expect(copy).toEqual(source)
    expect(copy).not.toBe(source)
    expect(copy.tags).not.toBe(source.tags)
    expect(copy.nested.list[0]).not.toBe(source.nested.list[0])
    expect(Object.isFrozen(copy.nested.list[0])).toBe(true)
    expect(Object.isFrozen(source)).toBe(false)
    expect('u' in copy).toBe(true)
  })

  it('frozenCopy keeps an own __proto__ key a key, copies dates, and refuses what cannot be stored', () => {
    const source = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Record<
      string,
      unknown
    >
    const copy = frozenCopy(source)
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
    expect(Object.keys(copy)).toEqual(['__proto__', 'ok'])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    const date = new Date(5)
    const withDate = frozenCopy({ date })
    expect(withDate.date).toEqual(date)
    expect(withDate.date).not.toBe(date)
    expect(() => frozenCopy({ f: () => 1 })).toThrow()
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(() => frozenCopy(cyclic)).toThrow()
  })
})
