import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { PostgresStore } from '../../../../src/server/stores/postgres/PostgresStore.js'
import {
  BACKENDS,
  drainedHead,
  eventually,
  mid,
  openBackend,
  put,
  recordChanges,
  type Backend,
} from './tableHarness.js'

/** Start-up (introspection, install, checks), removal, and tables changing under a running server. */
describe.each(BACKENDS)(
  'mapped tables: set-up and schema changes on %s',
  { timeout: 60_000 },
  (name) => {
    let b: Backend
    const open: PostgresStore[] = []
    const table = (t: string) => `"${b.app}".${t}`

    beforeAll(async () => {
      b = await openBackend(name, 'setup')
    })
    afterEach(async () => {
      vi.restoreAllMocks()
      for (const s of open.splice(0)) await s.close()
    })
    afterAll(async () => {
      await b?.close()
    })

    async function openStore(options: Parameters<Backend['openStore']>[0]): Promise<PostgresStore> {
      const s = await b.openStore(options)
      open.push(s)
      return s
    }

    it('reports an unsupported column type, a missing key and a missing table at start-up, by name', async () => {
      await b.sql(`CREATE TABLE ${table('shapes')} (id text PRIMARY KEY, at point, ok text)`)
      await expect(openStore({ tables: { shapes: { table: `${b.app}.shapes` } } })).rejects.toThrow(
        /collection shapes: table .*\.shapes: column at has unsupported type point \(supported: text, .*leave a column out with the columns option\)/,
      )
      // Leaving it out works.
      const s = await openStore({
        tables: { shapes: { table: `${b.app}.shapes`, columns: ['ok'] } },
      })
      await b.sql(`INSERT INTO ${table('shapes')} VALUES ('s', '(1,2)', 'yes')`)
      expect(await s.get('shapes', 's')).toEqual({ id: 's', _version: 1, ok: 'yes' })
      await b.sql(`CREATE TABLE ${table('pairs')} (a int, b int, PRIMARY KEY (a, b))`)
      await expect(openStore({ tables: { pairs: { table: `${b.app}.pairs` } } })).rejects.toThrow(
        'collection pairs: table pairs has a composite primary key (a, b); name one unique column with primaryKey',
      )
      await expect(openStore({ tables: { nope: { table: `${b.app}.nope` } } })).rejects.toThrow(
        `collection nope: table ${b.app}.nope does not exist`,
      )
      await expect(openStore({ tables: { bad: { table: 'a.b.c' } } })).rejects.toThrow(
        'invalid table name',
      )
    })

    it('installs once (a log line), finds it up to date next time, refuses to start unchecked, and uninstalls', async () => {
      await b.sql(`CREATE TABLE ${table('notes')} (id text PRIMARY KEY, body text)`)
      await b.sql(`INSERT INTO ${table('notes')} VALUES ('old', 'before the triggers')`)
      const tables = { notes: { table: `${b.app}.notes` } }
      const logged: string[] = []
      vi.spyOn(console, 'log').mockImplementation((line: string) => void logged.push(line))
      const first = await openStore({ tables })
      expect(logged.filter((l) => l.includes('notes'))).toEqual([
        `livecrud: installed change-capture triggers on ${b.app}.notes (collection notes, schema ${b.schema})`,
      ])
      await openStore({ tables, installTriggers: false })
      expect(logged.at(-1)).toBe(
        `livecrud: change-capture triggers on ${b.app}.notes (collection notes, schema ${b.schema}) are up to date`,
      )
      const triggers = async () =>
        (
          await b.sql(
            `SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal`,
            [`${b.app}.notes`],
          )
        )[0]!.n
      expect(await triggers()).toBe(3)

      // With its triggers disabled, a livecrud write would go unheard: refused, nothing written.
      await b.sql(`ALTER TABLE ${table('notes')} DISABLE TRIGGER USER`)
      await expect(
        first.write({
          collection: 'notes',
          id: 'n2',
          mutationId: mid(),
          decide: put({ body: 'x' }),
        }),
      ).rejects.toMatchObject({
        code: 'INTERNAL',
        message: expect.stringMatching(/^no change was captured/),
      })
      expect(
        await b.sql(`SELECT count(*)::int AS n FROM ${table('notes')} WHERE id = 'n2'`),
      ).toEqual([{ n: 0 }])
      await b.sql(`ALTER TABLE ${table('notes')} ENABLE TRIGGER USER`)
      const sql = await first.uninstallTriggers(tables)
      expect(sql).toContain(
        `DROP TRIGGER IF EXISTS "livecrud_${b.schema}_row" ON "${b.app}"."notes"`,
      )
      expect(await triggers()).toBe(0)
      await expect(openStore({ tables, installTriggers: false })).rejects.toThrow(
        `livecrud: change-capture triggers on ${b.app}.notes (collection notes, schema ${b.schema}) are missing; run livecrud-server --install-triggers-only`,
      )
      // Reinstalled; the rows from before have versions, so a TRUNCATE + re-insert moves them on.
      const again = await openStore({ tables })
      expect(await triggers()).toBe(3)
      expect(await again.get('notes', 'old')).toMatchObject({ _version: 1 })
      await b.sql(`TRUNCATE ${table('notes')}`)
      await b.sql(`INSERT INTO ${table('notes')} VALUES ('old', 'after')`)
      expect(await again.get('notes', 'old')).toMatchObject({ _version: 2, body: 'after' })
    })

    it('picks up a column added and a column dropped under a running server; outside writes never fail', async () => {
      await b.sql(`CREATE TABLE ${table('items')} (id text PRIMARY KEY, title text, priority int)`)
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
      vi.spyOn(console, 'log').mockImplementation(() => {})
      const s = await openStore({ tables: { items: { table: `${b.app}.items` } }, pollMs: 100 })
      const seen = recordChanges(s)
      await s.write({
        collection: 'items',
        id: 'a',
        mutationId: mid(),
        decide: put({ title: 'a', priority: 1 }),
      })

      await b.sql(`ALTER TABLE ${table('items')} ADD COLUMN due date DEFAULT '2026-12-24'`)
      await b.sql(`INSERT INTO ${table('items')} (id, title) VALUES ('b', 'b')`) // at once, before any refresh
      await eventually(async () => (await s.get('items', 'b'))?.due === '2026-12-24')
      await s.write({
        collection: 'items',
        id: 'c',
        mutationId: mid(),
        decide: put({ title: 'c', due: '2027-01-01' }),
      })
      expect(await b.sql(`SELECT due::text FROM ${table('items')} WHERE id = 'c'`)).toEqual([
        { due: '2027-01-01' },
      ])

      await b.sql(`ALTER TABLE ${table('items')} DROP COLUMN priority`)
      await b.sql(`UPDATE ${table('items')} SET title = 'a2' WHERE id = 'a'`) // the trigger keeps working
      await eventually(async () => {
        const item = await s.get('items', 'a')
        return item?.title === 'a2' && !('priority' in item)
      })
      await expect(
        s.write({
          collection: 'items',
          id: 'a',
          mutationId: mid(),
          decide: put({ title: 'x', priority: 3 }),
        }),
      ).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringMatching(/^unknown field priority/),
      })

      // A column of a type livecrud cannot map is reported, and the rest keeps working.
      await b.sql(`ALTER TABLE ${table('items')} ADD COLUMN spot point`)
      await eventually(() =>
        warn.mock.calls.some((c) =>
          String(c[0]).includes('column spot has unsupported type point'),
        ),
      )
      await s.write({
        collection: 'items',
        id: 'd',
        mutationId: mid(),
        decide: put({ title: 'd' }),
      })
      const head = await drainedHead(b, s, 'items')
      await eventually(() => seen.some((c) => c.seq === head))
      expect(seen.filter((c) => c.collection === 'items').map((c) => [c.type, c.id])).toEqual([
        ['ADDED', 'a'],
        ['ADDED', 'b'],
        ['ADDED', 'c'],
        ['CHANGED', 'a'],
        ['ADDED', 'd'],
      ])
    })
  },
)
