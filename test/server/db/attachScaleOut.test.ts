import { afterAll, describe, expect, it } from 'vitest'
import type { LivecrudClient } from 'livecrud'
import { io, type Socket } from 'socket.io-client'
import { spawnListening, type ListeningProcess } from '../../../scripts/spawnListening.js'
import { connectedClient, sixFunctionsAndEvents } from '../attachHarness.js'
import { PG_URL, dropSchema, pgUp, uniqueName } from './services.js'

const schema = uniqueName('attach')
afterAll(async () => {
  if (pgUp) await dropSchema(schema)
}, 30_000)

/** The Express example (examples/express.ts) as its own process, on PostgreSQL. */
function startExpressApp(): Promise<ListeningProcess> {
  return spawnListening(['--import', 'tsx', 'examples/express.ts'], {
    timeoutMs: 30_000,
    env: { ...process.env, PORT: '0', LIVECRUD_DB: `${PG_URL}?schema=${schema}` },
  })
}

async function login(url: string, name: string): Promise<string> {
  const res = await fetch(`${url}/login/${name}`, { method: 'POST' })
  const sid = /(sid=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1]
  if (!sid) throw new Error(`no session cookie from ${url}`)
  return sid
}

describe('two Express apps with livecrud attached, in two processes, on one PostgreSQL', () => {
  it.runIf(pgUp)(
    'a write through either app reaches the other’s clients',
    async () => {
      const apps: ListeningProcess[] = []
      const sockets: Socket[] = []
      const clients: LivecrudClient[] = []
      const over = async (url: string, cookie: string) => {
        const socket = io(url, { extraHeaders: { cookie } })
        sockets.push(socket)
        const client = await connectedClient({ socket })
        clients.push(client)
        return client
      }
      try {
        apps.push(...(await Promise.all([startExpressApp(), startExpressApp()])))
        const [a, b] = apps.map((p) => p.url) as [string, string]
        expect(a).not.toBe(b)
        const onA = await over(a, await login(a, 'ann'))
        const onB = await over(b, await login(b, 'bob'))
        await sixFunctionsAndEvents(onA, onB, 'todos')
        await sixFunctionsAndEvents(onB, onA, 'notes')
      } finally {
        for (const c of clients) c.close()
        for (const s of sockets) s.close()
        await Promise.all(apps.map((p) => p.stop()))
      }
    },
    60_000,
  )
})
