import { io, type Socket } from 'socket.io-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, TlsError, type LivecrudClient } from 'livecrud'
import { createServer, type LivecrudServer } from 'livecrud/server'
import { connectedClient, sixFunctionsAndEvents } from './attachHarness.js'
import { makeTestCert, type TestCert } from './tlsCert.js'

let cert: TestCert
let server: LivecrudServer
const clients: LivecrudClient[] = []
const sockets: Socket[] = []

beforeAll(async () => {
  cert = makeTestCert()
  server = await createServer({ tls: { key: cert.key, cert: cert.cert } })
})

afterAll(async () => {
  for (const c of clients) c.close()
  for (const s of sockets) s.close()
  await server?.close()
  cert?.remove()
})

/** A client trusting the test's CA, on the given transports. */
async function trusting(transports: ('websocket' | 'polling')[]): Promise<LivecrudClient> {
  const socket = io(server.url, { ca: cert.cert, transports, upgrade: false })
  sockets.push(socket)
  const client = await connectedClient({ socket })
  clients.push(client)
  expect(socket.io.engine.transport.name).toBe(transports[0])
  return client
}

describe('createServer({ tls })', () => {
  it('serves https://', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
  })

  it('a Node client trusting the CA does the six functions over wss://', async () => {
    await sixFunctionsAndEvents(await trusting(['websocket']), await trusting(['websocket']))
  })

  it('and over long-polling on https://', async () => {
    await sixFunctionsAndEvents(await trusting(['polling']), await trusting(['polling']))
  })

  it.each([
    ['the default transports (polling first)', undefined],
    ['WebSocket only', ['websocket'] as const],
  ])(
    'a client that does not trust the certificate fails with TlsError: %s',
    async (_name, transports) => {
      const socket = io(server.url, transports ? { transports: [...transports] } : {})
      sockets.push(socket)
      const client = createClient({ socket, timeout: 15_000 })
      clients.push(client)
      const failure = await client.getItem('x', 'todos').catch((e: unknown) => e)
      expect(failure).toBeInstanceOf(TlsError)
      expect(failure).toMatchObject({
        code: 'TLS',
        details: { reason: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
      })
      expect((failure as Error).message).toMatch(/certificate was not accepted/)
      // Later requests fail at once with the same cause, not after a timeout.
      await expect(client.getItems({}, 'todos')).rejects.toBeInstanceOf(TlsError)
      expect(client.getConnectionState()).toBe('disconnected')
    },
  )
})
