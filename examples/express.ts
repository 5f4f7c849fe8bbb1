/**
 * Express 5 and livecrud on one port: the app's routes and its cookie login, livecrud on
 * /socket.io/ authenticating from the app's session cookie. `npx tsx examples/express.ts`
 * (LIVECRUD_DB=postgres://… for a shared database, as in `livecrud-server --db`).
 */
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import express from 'express'
import { attach, createStoreFromUrl } from 'livecrud/server'
import { closeHttp, cookie, listen, runIfMain } from './shared.js'

export async function start(port = 3000, db = process.env.LIVECRUD_DB ?? 'memory') {
  const sessions = new Map<string, { name: string }>()
  const app = express()
  app.get('/api/hello', (_req, res) => {
    res.json({ hello: 'express' })
  })
  app.post('/login/:name', (req, res) => {
    const sid = randomUUID()
    sessions.set(sid, { name: req.params.name })
    res.cookie('sid', sid, { httpOnly: true, sameSite: 'lax' }).json({ name: req.params.name })
  })

  const http = createServer(app)
  const store = await createStoreFromUrl(db)
  const livecrud = attach(http, {
    store,
    authenticate: (handshake) => sessions.get(cookie(handshake.headers.cookie, 'sid') ?? ''),
  })
  const url = await listen(http, port)
  return {
    url,
    livecrud,
    async close() {
      await livecrud.close()
      await closeHttp(http)
      await store.close()
    },
  }
}

await runIfMain(import.meta.url, start)
