/**
 * Fastify 5 and livecrud on one port: livecrud mounts on `app.server` (after `ready()`), the app's
 * routes answer every other path. `npx tsx examples/fastify.ts`
 */
import { randomUUID } from 'node:crypto'
import Fastify from 'fastify'
import { attach } from 'livecrud/server'
import { cookie, runIfMain } from './shared.js'

export async function start(port = 3000) {
  const sessions = new Map<string, { name: string }>()
  const app = Fastify()
  app.get('/api/hello', async () => ({ hello: 'fastify' }))
  app.post<{ Params: { name: string } }>('/login/:name', async (req, reply) => {
    const sid = randomUUID()
    sessions.set(sid, { name: req.params.name })
    reply.header('set-cookie', `sid=${sid}; Path=/; HttpOnly; SameSite=Lax`)
    return { name: req.params.name }
  })

  await app.ready()
  const livecrud = attach(app.server, {
    authenticate: (handshake) => sessions.get(cookie(handshake.headers.cookie, 'sid') ?? ''),
  })
  const url = await app.listen({ port, host: '127.0.0.1' })
  return {
    url,
    livecrud,
    async close() {
      await livecrud.close()
      await app.close()
    },
  }
}

await runIfMain(import.meta.url, start)
