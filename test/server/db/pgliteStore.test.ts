import { PGlite } from '@electric-sql/pglite'
import { afterAll, beforeAll } from 'vitest'
import { PostgresStore } from '../../../src/server/stores/postgres/PostgresStore.js'
import { storeConformance } from './storeConformance.js'

// initdb costs ~2 s: one instance for the file, every store on it (shared session, one schema).
let db: PGlite
// Under a loaded machine initdb alone can pass vitest's default 10 s hook timeout.
beforeAll(async () => {
  db = await PGlite.create()
}, 60_000)
afterAll(async () => {
  await db.close()
})

storeConformance('PGlite', {
  shared: true,
  open: (options) => PostgresStore.pglite(db, { schema: 'conformance', pollMs: 0, ...options }),
})
