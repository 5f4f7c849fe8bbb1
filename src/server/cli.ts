import { parseArgs } from 'node:util'
import { createServer } from './createServer.js'
import { createStoreFromUrl } from './stores/fromUrl.js'
import { parseTableFlags } from './stores/postgres/tables/config.js'

const USAGE = `usage: livecrud-server [--port 3000] [--host 127.0.0.1] [--db memory]
                       [--allow-origin https://app.example]... [--allow-any-origin]
  --port          port to listen on (0 = a free port; default 3000)
  --host          interface to bind (default 127.0.0.1)
  --db            store URL (default memory)
  --allow-origin  a browser origin allowed to connect (repeatable; default same-origin only)
  --allow-any-origin  accept every browser origin (development only)
  --table         collection=schema.table: a collection backed by an existing table (repeatable;
                  PostgreSQL / PGlite); its change-capture triggers are installed at start-up
  --install-triggers-only  install or update the triggers of the --table mappings, then exit
  --uninstall-triggers     drop the triggers and functions of the --table mappings, then exit
  --no-install-triggers    never run DDL at start-up: fail unless the triggers are installed and current`

/** Runs the server until SIGINT/SIGTERM; prints `livecrud-server listening on <url>` when ready. */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '3000' },
      host: { type: 'string', default: '127.0.0.1' },
      db: { type: 'string', default: 'memory' },
      'allow-origin': { type: 'string', multiple: true },
      'allow-any-origin': { type: 'boolean', default: false },
      table: { type: 'string', multiple: true },
      'install-triggers-only': { type: 'boolean', default: false },
      'uninstall-triggers': { type: 'boolean', default: false },
      'no-install-triggers': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    console.log(USAGE)
    return
  }
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid --port ${values.port}`)
  const tables = parseTableFlags(values.table)
  if (values['uninstall-triggers']) {
    const store = await createStoreFromUrl(values.db)
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
    return
  }
  const store = await createStoreFromUrl(values.db, {
    tables,
    installTriggers: !values['no-install-triggers'],
  })
  if (values['install-triggers-only']) {
    await store.close()
    console.log('livecrud-server: triggers installed; exiting (--install-triggers-only)')
    return
  }
  const server = await createServer({
    port,
    host: values.host,
    store,
    allowedOrigins: values['allow-any-origin'] ? '*' : values['allow-origin'],
  })
  console.log(`livecrud-server listening on ${server.url} (store: ${store.kind})`)
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    server
      .close()
      .then(() => store.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(err)
          process.exit(1)
        },
      )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`livecrud-server: ${err instanceof Error ? err.message : String(err)}`)
  console.error(USAGE)
  process.exit(1)
})
