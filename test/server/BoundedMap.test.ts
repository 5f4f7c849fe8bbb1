import { describe, expect, it } from 'vitest'
import { BoundedMap } from '../../src/server/stores/BoundedMap.js'

describe('BoundedMap', () => {
  it('keeps the newest `limit` keys, forgetting the oldest inserted first', () => {
    const m = new BoundedMap<string, number>(3)
    for (let i = 1; i <= 5; i++) m.set(`k${i}`, i)
    expect(m.size).toBe(3)
    expect([1, 2, 3, 4, 5].map((i) => m.get(`k${i}`))).toEqual([undefined, undefined, 3, 4, 5])
    // Setting a key again keeps its place in line.
    m.set('k3', 30)
    m.set('k6', 6)
    expect(m.has('k3')).toBe(false)
    expect([4, 5, 6].map((i) => m.get(`k${i}`))).toEqual([4, 5, 6])
  })

  it('stays exact across many evictions (its key list is compacted on the way)', () => {
    const m = new BoundedMap<number, number>(10)
    for (let i = 0; i < 50_000; i++) m.set(i, i)
    expect(m.size).toBe(10)
    expect(m.get(49_989)).toBeUndefined()
    expect(m.get(49_990)).toBe(49_990)
    expect(m.get(49_999)).toBe(49_999)
  })
})
