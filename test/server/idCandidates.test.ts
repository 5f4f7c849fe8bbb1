import { describe, expect, it } from 'vitest'
import { idCandidates } from '../../src/server/stores/idCandidates.js'

describe('idCandidates', () => {
  it('narrows to the ids an id condition can match', () => {
    expect(idCandidates({ id: 'a' })).toEqual(['a'])
    expect(idCandidates({ id: { $in: ['a', 'b', 'a'] } })).toEqual(['a', 'b'])
    expect(idCandidates({ id: { $eq: 'a' } })).toEqual(['a'])
    expect(idCandidates({ id: { $eq: 'a', $in: ['a', 'b'] } })).toEqual(['a'])
    expect(idCandidates({ id: { $eq: 'c', $in: ['a', 'b'] } })).toEqual([])
  })

  it('matches nothing for non-string operands: ids are strings', () => {
    expect(idCandidates({ id: 5 })).toEqual([])
    expect(idCandidates({ id: null })).toEqual([])
    expect(idCandidates({ id: { $in: [1, 'a', null] } })).toEqual(['a'])
    expect(idCandidates({ id: { $eq: true } })).toEqual([])
  })

  it('does not narrow without an id filter or with only ranges and negations', () => {
    expect(idCandidates({})).toBeUndefined()
    expect(idCandidates({ n: { $in: [1] } })).toBeUndefined()
    expect(idCandidates({ id: { $gt: 'a' } })).toBeUndefined()
    expect(idCandidates({ id: { $ne: 'a', $nin: ['b'] } })).toBeUndefined()
  })
})
