import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { attach } from './attach.js'
import type { LivecrudServer, ServerOptions } from './types.js'

/** socket.io answers its own path; this is everything else. */
function respond(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
    return
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
}

/**
 * Starts the reference server: `attach` on a fresh HTTP server (HTTPS with `tls`), the livecrud
 * protocol on namespace `/`, plus `/health`.
 */
export async function createServer<U = unknown>(
  options: ServerOptions<U> = {},
): Promise<LivecrudServer> {
  const tls = options.tls
  const http = tls
    ? createHttpsServer({ key: tls.key, cert: tls.cert, ca: tls.ca }, respond)
    : createHttpServer(respond)
  const attached = attach<U>(http, options)
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject)
      http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        http.off('error', reject)
        resolve()
      })
    })
  } catch (err) {
    await attached.close()
    throw err
  }
  const address = http.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  let closing: Promise<void> | undefined

  return {
    url: `${tls ? 'https' : 'http'}://${host}:${address.port}`,
    port: address.port,
    ...attached,
    close() {
      closing ??= (async () => {
        await attached.close()
        // After socket.io let its clients go: idle keep-alive sockets (a browser's spare
        // connection, say) would otherwise hold `close` until their timeout.
        const closed = new Promise<void>((resolve) => http.close(() => resolve()))
        http.closeAllConnections()
        await closed
      })()
      return closing
    },
  }
}
