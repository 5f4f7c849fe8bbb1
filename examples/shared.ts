import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'

/** One cookie's value from a Cookie header (what `authenticate` reads of the app's session). */
export function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=')
    if (key === name) return decodeURIComponent(value.join('='))
  }
  return undefined
}

/** Listens on 127.0.0.1:`port` (0 = a free port); resolves the URL. */
export function listen(
  server: Pick<Server, 'listen' | 'address' | 'once' | 'off'>,
  port: number,
  scheme = 'http',
): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve(`${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`)
    })
  })
}

/** Closes an HTTP server, idle keep-alive connections included. */
export function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()))
    server.closeAllConnections()
  })
}

/**
 * Run as a script (`npx tsx examples/express.ts`): start on $PORT (default 3000), print the URL,
 * stop on SIGINT/SIGTERM.
 */
export async function runIfMain(
  moduleUrl: string,
  start: (port: number) => Promise<{ url: string; close(): Promise<void> }>,
): Promise<void> {
  if (process.argv[1] !== fileURLToPath(moduleUrl)) return
  const app = await start(Number(process.env.PORT ?? 3000))
  console.log(`example listening on ${app.url}`)
  const stop = () => void app.close().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
