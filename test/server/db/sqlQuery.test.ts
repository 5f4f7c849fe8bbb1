import { describe, expect, it } from 'vitest'
import { listSql } from '../../../src/server/stores/postgres/sqlQuery.js'
import { checkSchemaName } from '../../../src/server/stores/postgres/postgresSchema.js'
import { query } from './storeConformance.js'

describe('sqlQuery', () => {
  it('passes every path and operand as a parameter, never as SQL text', () => {
    const q = query({
      filters: { title: { $gt: "x' OR 1=1 --" }, 'meta.owner': 'u1', tags: { $in: ['a', null] } },
      sort: ['-meta.rank', 'id'],
      page: 3,
      pageSize: 7,
    })
    const { text, values } = listSql('s', 'todos', q, { tenant: 't1' })
    for (const word of ['title', 'meta', 'owner', 'rank', 'tenant', 'u1', 't1', 'OR 1=1', 'todos'])
      expect(text).not.toContain(word)
    expect(values).toContainEqual(['meta', 'owner'])
    expect(values).toContainEqual(['meta', 'rank'])
    expect(values).toContain("x' OR 1=1 --")
    expect(values).toContain('14') // offset (page - 1) * pageSize, as a bigint string
  })

  it('accepts only plain schema names', () => {
    expect(checkSchemaName('livecrud_1')).toBe('livecrud_1')
    for (const bad of ['', 'A', '1x', 'x"; DROP SCHEMA public; --', 'a'.repeat(41), 'pg-x'])
      expect(() => checkSchemaName(bad)).toThrow(/invalid schema name/)
  })
})
