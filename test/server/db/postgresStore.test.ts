import { afterAll, describe } from 'vitest'
import { PostgresStore } from '../../../src/server/stores/postgres/PostgresStore.js'
import { storeConformance } from './storeConformance.js'
import { PG_URL, dropSchema, pgUp, uniqueName } from './services.js'

const schema = uniqueName('pgconf')
afterAll(() => (pgUp ? dropSchema(schema) : undefined))

describe.runIf(pgUp)('PostgreSQL', () => {
  storeConformance('PostgreSQL', {
    shared: true,
    open: (options) => PostgresStore.connect(PG_URL, { schema, pollMs: 0, max: 4, ...options }),
  })
})
