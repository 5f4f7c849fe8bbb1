import { describe, expect, it } from 'vitest'
import { frozenCopy } from '../../src/protocol/frozen.js'

describe('frozenCopy, as the memory store uses it', () => {
  it('is an equal, deeply frozen copy sharing nothing with its source', () => {
    const source = { t: 'x', tags: ['a'], nested: { list: [{ k: 1 }] } }
    const copy = frozenCopy(source)
    expect(copy).toEqual(source)
    expect(copy.nested.list[0]).not.toBe(source.nested.list[0])
    expect(Object.isFrozen(copy.nested.list[0])).toBe(true)
    expect(Object.isFrozen(copy.tags)).toBe(true)
    expect(Object.isFrozen(source.nested)).toBe(false)
  })

  it('keeps an own __proto__ key a key and copies other objects as structuredClone does', () => {
    const copy = frozenCopy(JSON.parse('{"__proto__": {"x": 1}}') as Record<string, unknown>)
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
    expect(Object.keys(copy)).toEqual(['__proto__'])
    const date = new Date(3)
    const withDate = frozenCopy({ date })
    expect(withDate.date).toEqual(date)
    expect(withDate.date).not.toBe(date)
  })
})
