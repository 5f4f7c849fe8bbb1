import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { createServer } from './createServer.js'
import { openCliStore, TABLE_OPTIONS, TABLE_USAGE } from './cliTables.js'
import { loadCollections } from './loadCollections.js'

const USAGE = `usage: livecrud-server [--port 3000] [--host 127.0.0.1] [--db memory]
                       [--allow-origin https://app.example]... [--allow-any-origin]
                       [--tls-cert cert.pem --tls-key key.pem]
                       [--collections ./collections.js]
  --port          port to listen on (0 = a free port; default 3000)
  --host          interface to bind (default 127.0.0.1)
  --db            store URL (default memory)
  --allow-origin  a browser origin allowed to connect (repeatable; default same-origin only)
  --allow-any-origin  accept every browser origin (development only)
  --tls-cert      PEM certificate (chain) file: serve https:// and wss:// (needs --tls-key)
  --tls-key       PEM private key file of --tls-cert
  --collections   a module exporting \`collections\` (one Standard Schema per collection): writes
                  to them are validated and stored as the schema's output${TABLE_USAGE}`

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
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      collections: { type: 'string' },
      ...TABLE_OPTIONS,
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
  const certFile = values['tls-cert']
  const keyFile = values['tls-key']
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new Error('--tls-cert and --tls-key go together')
  const tls =
    certFile !== undefined && keyFile !== undefined
      ? { cert: readPem(certFile, '--tls-cert'), key: readPem(keyFile, '--tls-key') }
      : undefined
  const collections = values.collections ? await loadCollections(values.collections) : undefined
  const store = await openCliStore(values)
  if (!store) return
  const server = await createServer({
    port,
    host: values.host,
    store,
    allowedOrigins: values['allow-any-origin'] ? '*' : values['allow-origin'],
    tls,
    collections,
  })
  const schemas = collections ? `, schemas: ${Object.keys(collections).join(', ')}` : ''
  console.log(`livecrud-server listening on ${server.url} (store: ${store.kind}${schemas})`)
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

function readPem(file: string, flag: string): Buffer {
  try {
    return readFileSync(file)
  } catch (err) {
    throw new Error(`${flag}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? err})`)
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`livecrud-server: ${err instanceof Error ? err.message : String(err)}`)
  console.error(USAGE)
  process.exit(1)
})
