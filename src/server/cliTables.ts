import { createStoreFromUrl } from './stores/fromUrl.js'
import type { Store } from './stores/Store.js'
import { parseTableFlags } from './stores/postgres/tables/config.js'

/** The CLI's table-backed collection flags (README: "Your own tables"). */
export const TABLE_USAGE = `
  --table         collection=schema.table: a collection backed by an existing table (repeatable;
                  PostgreSQL / PGlite); its change-capture triggers are installed at start-up
  --install-triggers-only  install or update the triggers of the --table mappings, then exit
  --uninstall-triggers     drop the triggers and functions of the --table mappings, then exit
  --no-install-triggers    run no DDL at start-up: fail unless the triggers are installed and current`

export const TABLE_OPTIONS = {
  table: { type: 'string', multiple: true },
  'install-triggers-only': { type: 'boolean', default: false },
  'uninstall-triggers': { type: 'boolean', default: false },
  'no-install-triggers': { type: 'boolean', default: false },
} as const

export interface TableFlags {
  db: string
  table?: string[]
  'install-triggers-only'?: boolean
  'uninstall-triggers'?: boolean
  'no-install-triggers'?: boolean
}

/**
 * Opens the `--db` store with its `--table` mappings; or, for `--install-triggers-only` and
 * `--uninstall-triggers`, does that and returns null (the CLI then exits).
 */
export async function openCliStore(flags: TableFlags): Promise<Store | null> {
  const tables = parseTableFlags(flags.table)
  if (flags['uninstall-triggers']) {
    const store = await createStoreFromUrl(flags.db)
    try {
      const { PostgresStore } = await import('./stores/postgres/PostgresStore.js')
      if (!(store instanceof PostgresStore))
        throw new Error('--uninstall-triggers needs a PostgreSQL or PGlite --db')
      console.log(await store.uninstallTriggers(tables))
      console.log(
        `livecrud-server: dropped the triggers of ${Object.keys(tables).join(', ') || 'no table'}`,
      )
    } finally {
      await store.close()
    }
    return null
  }
  const store = await createStoreFromUrl(flags.db, {
    tables,
    installTriggers: !flags['no-install-triggers'],
  })
  if (flags['install-triggers-only']) {
    await store.close()
    console.log('livecrud-server: triggers installed; exiting (--install-triggers-only)')
    return null
  }
  return store
}
