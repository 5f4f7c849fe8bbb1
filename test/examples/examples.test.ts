import { get } from 'node:https'
import { io, type Socket } from 'socket.io-client'
import { afterEach, describe, expect, it } from 'vitest'
import type { LivecrudClient } from 'livecrud'
import * as expressExample from '../../examples/express.js'
import * as fastifyExample from '../../examples/fastify.js'
import * as httpsExample from '../../examples/https.js'
import { connectedClient, sixFunctionsAndEvents } from '../server/attachHarness.js'
import { makeTestCert } from '../server/tlsCert.js'

type Started = Awaited<ReturnType<typeof expressExample.start>>

const clients: LivecrudClient[] = []
const sockets: Socket[] = []
const cleanups: Array<() => Promise<void> | void> = []

afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  for (const s of sockets.splice(0)) s.close()
  for (const f of cleanups.splice(0).reverse()) await f()
})

async function clientOver(url: string, options: Parameters<typeof io>[1]): Promise<LivecrudClient> {
  const socket = io(url, options)
  sockets.push(socket)
  const client = await connectedClient({ socket })
  clients.push(client)
  return client
}

/** Logs in through the app's own route; returns the session cookie it set. */
async function login(url: string, name: string): Promise<string> {
  const res = await fetch(`${url}/login/${name}`, { method: 'POST' })
  expect(res.status).toBe(200)
  const sid = /(?:^|,\s*)(sid=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1]
  expect(sid).toBeDefined()
  return sid!
}

describe.each([
  ['Express 5', expressExample.start, 'express'],
  ['Fastify 5', fastifyExample.start as typeof expressExample.start, 'fastify'],
])('examples: %s and livecrud on one port', (_name, start, framework) => {
  it('the app’s route, its cookie login and livecrud answer on the same port; close() leaves the app listening', async () => {
    const app: Started = await start(0)
    cleanups.push(() => app.close())
    const hello = await fetch(`${app.url}/api/hello`)
    expect(await hello.json()).toEqual({ hello: framework })

    const [ann, bob] = [await login(app.url, 'ann'), await login(app.url, 'bob')]
    const writer = await clientOver(app.url, { extraHeaders: { cookie: ann } })
    const watcher = await clientOver(app.url, { extraHeaders: { cookie: bob } })
    await sixFunctionsAndEvents(writer, watcher)
    // Without the app's session cookie, livecrud refuses the connection.
    const stranger = io(app.url, { reconnection: false, transports: ['websocket'] })
    sockets.push(stranger)
    const refused = await new Promise<Error & { data?: unknown }>((r) =>
      stranger.once('connect_error', r),
    )
    expect(refused.data).toMatchObject({ code: 'UNAUTHORIZED' })

    await app.livecrud.close()
    expect(await (await fetch(`${app.url}/api/hello`)).json()).toEqual({ hello: framework })
  })
})

/** GET over https trusting `ca` (fetch has no per-request CA). */
function httpsGet(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve(body))
    }).on('error', reject)
  })
}

describe('examples: plain https.createServer', () => {
  it('serves its page and livecrud over wss:// with a certificate', async () => {
    const cert = makeTestCert()
    cleanups.push(() => cert.remove())
    const app = await httpsExample.start(0, { key: cert.key, cert: cert.cert })
    cleanups.push(() => app.close())
    expect(app.url).toMatch(/^https:\/\//)
    expect(await httpsGet(`${app.url}/`, cert.cert)).toBe('hello over https')
    const options = { ca: cert.cert, transports: ['websocket' as const] }
    await sixFunctionsAndEvents(
      await clientOver(app.url, options),
      await clientOver(app.url, options),
    )
    await app.livecrud.close()
    expect(await httpsGet(`${app.url}/`, cert.cert)).toBe('hello over https')
  })
})
