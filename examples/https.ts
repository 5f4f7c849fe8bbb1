/**
 * A plain `https.createServer` with a certificate, and livecrud on it (wss:// and long-polling over
 * https://). `TLS_KEY=key.pem TLS_CERT=cert.pem npx tsx examples/https.ts`
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:https'
import { attach } from 'livecrud/server'
import { closeHttp, listen, runIfMain } from './shared.js'

export async function start(
  port = 3443,
  tls: { key: string | Buffer; cert: string | Buffer } = fromEnv(),
) {
  const https = createServer(tls, (req, res) => {
    res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/plain' })
    res.end(req.url === '/' ? 'hello over https' : 'not found')
  })
  const livecrud = attach(https)
  const url = await listen(https, port, 'https')
  return {
    url,
    livecrud,
    async close() {
      await livecrud.close()
      await closeHttp(https)
    },
  }
}

function fromEnv() {
  const { TLS_KEY, TLS_CERT } = process.env
  if (!TLS_KEY || !TLS_CERT) throw new Error('set TLS_KEY and TLS_CERT to PEM files')
  return { key: readFileSync(TLS_KEY), cert: readFileSync(TLS_CERT) }
}

await runIfMain(import.meta.url, (port) => start(port))
