import { request as httpRequest } from 'node:http'
import { io as connectClient } from 'socket.io-client'
import { afterEach, describe, expect, it } from 'vitest'
import type { LivecrudServer } from 'livecrud/server'
import {
  closeAll,
  connect,
  ok,
  recordEvents,
  settle,
  sleep,
  startServer,
  until,
  wm,
  type Client,
} from './helpers.js'
import { TOKEN, securityOptions } from './securityFixture.js'

let server: LivecrudServer | undefined
const clients: Client[] = []
afterEach(async () => {
  server = await closeAll(server, clients)
})
async function client(auth: Record<string, unknown>, extra: Parameters<typeof connect>[1] = {}) {
  const c = await connect(server!, { auth, ...extra })
  clients.push(c)
  return c
}
async function refusal(auth: Record<string, unknown>, extra: Parameters<typeof connect>[1] = {}) {
  try {
    clients.push(await connect(server!, { auth, ...extra }))
  } catch (err) {
    return err as Error & { data?: { code: string } }
  }
  throw new Error('connection was accepted')
}

describe('handshake authentication', () => {
  it('accepts a valid token and refuses missing, unknown, malformed, failing and hanging ones', async () => {
    server = await startServer({ ...securityOptions(), limits: { authTimeout: 200 } })
    const alice = await client({ token: TOKEN.alice })
    expect((await ok(alice, 'LIST', 'todos')).result.total).toBe(0)
    for (const auth of [
      {},
      { token: 'nope' },
      { token: 42 },
      { token: 'throws' },
      { token: 'rejects' },
      { token: 'hangs' },
    ]) {
      const err = await refusal(auth)
      expect(err.message).toBe('authentication failed')
      expect(err.data?.code).toBe('UNAUTHORIZED')
    }
  })
})

describe('revocation', () => {
  it('cuts a connected user off within the revalidation interval', async () => {
    const revoked = new Set<string>()
    server = await startServer({ ...securityOptions(revoked), revalidateInterval: 100 })
    const alice = await client({ token: TOKEN.alice })
    const admin = await client({ token: TOKEN.admin })
    await ok(alice, 'SUBSCRIBE', 'todos')
    const events = recordEvents(alice)
    await ok(admin, 'POST', 'todos', { tenant: 'A' }, wm())
    await settle(alice)
    expect(events).toHaveLength(1)
    const gone = new Promise<string>((r) => alice.once('disconnect', r))
    const t0 = Date.now()
    revoked.add(TOKEN.alice)
    expect(await gone).toBe('io server disconnect')
    const cutOffMs = Date.now() - t0
    expect(cutOffMs).toBeLessThan(1000)
    await ok(admin, 'POST', 'todos', { tenant: 'A' }, wm())
    await sleep(50)
    expect(events).toHaveLength(1)
  })

  it('a revoked user cannot come back through a reconnect', async () => {
    const revoked = new Set<string>()
    server = await startServer({ ...securityOptions(revoked), revalidateInterval: 0 })
    const socket = connectClient(server.url, {
      transports: ['websocket'],
      auth: { token: TOKEN.alice },
      reconnectionDelay: 20,
      reconnectionDelayMax: 20,
    })
    clients.push(socket)
    await new Promise<void>((r) => socket.once('connect', () => r()))
    await ok(socket, 'SUBSCRIBE', 'todos')
    const events = recordEvents(socket)
    revoked.add(TOKEN.alice)
    // Drop the transport as a network failure would; the client reconnects on its own.
    const refused = new Promise<Error & { data?: { code: string } }>((r) =>
      socket.once('connect_error', r),
    )
    for (const s of server.io.of('/').sockets.values()) s.conn.close()
    const err = await refused
    expect(err.data?.code).toBe('UNAUTHORIZED')
    const admin = await client({ token: TOKEN.admin })
    await ok(admin, 'POST', 'todos', { tenant: 'A' }, wm())
    await sleep(100)
    expect(socket.connected).toBe(false)
    expect(events).toEqual([])
    // Un-revoked, the same client gets back in: every connection runs authenticate.
    revoked.delete(TOKEN.alice)
    socket.connect()
    await until(() => socket.connected, 3000)
  })
})

describe('origin check (cross-site WebSocket hijacking)', () => {
  const good = 'http://app.example'
  const evil = 'http://evil.example'

  for (const transport of ['websocket', 'polling'] as const) {
    it(`refuses a foreign origin and accepts the allowed one with the same token (${transport})`, async () => {
      server = await startServer({ ...securityOptions(), allowedOrigins: [good] })
      const auth = { token: TOKEN.alice }
      const err = await refusal(auth, { transports: [transport], extraHeaders: { origin: evil } })
      expect(err.message).toMatch(/websocket error|xhr poll error/)
      const c = await client(auth, { transports: [transport], extraHeaders: { origin: good } })
      expect((await ok(c, 'LIST', 'todos')).result.total).toBe(0)
    })
  }

  it('answers a foreign-origin handshake with 403 before any socket.io session exists', async () => {
    server = await startServer({ allowedOrigins: [good] })
    const status = (origin: string, upgrade: boolean) =>
      new Promise<number>((resolve, reject) => {
        const headers: Record<string, string> = { origin }
        if (upgrade)
          Object.assign(headers, {
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-version': '13',
            'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
          })
        const transport = upgrade ? 'websocket' : 'polling'
        const req = httpRequest(`${server!.url}/socket.io/?EIO=4&transport=${transport}`, {
          headers,
        })
        req.on('upgrade', (res, socket) => {
          socket.destroy()
          resolve(res.statusCode ?? 0)
        })
        req.on('response', (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
        req.on('error', reject)
        req.end()
      })
    // engine.io refuses upgrades with 400 and polling handshakes with 403; never 101.
    expect(await status(evil, true)).toBe(400)
    expect(await status(evil, false)).toBe(403)
    expect(await status(good, true)).toBe(101)
    expect(await status(good, false)).toBe(200)
    expect(server.io.of('/').sockets.size).toBe(0)
  })

  it('defaults to same-origin; clients without Origin follow allowNoOrigin', async () => {
    server = await startServer()
    await client({}, { extraHeaders: { origin: server.url } })
    await refusal({}, { extraHeaders: { origin: evil } })
    await client({})
    await server.close()
    server = await startServer({ allowNoOrigin: false, allowedOrigins: '*' })
    await refusal({})
    await client({}, { extraHeaders: { origin: evil } })
  })
})
