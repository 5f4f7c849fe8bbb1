import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server } from 'socket.io'
import { io as connectRaw, type Socket as RawSocket } from 'socket.io-client'
import { afterEach, describe, expect, it } from 'vitest'
import { createClient, type LivecrudClient } from 'livecrud'
import { attach, type Attached } from 'livecrud/server'
import { connectedClient, sixFunctionsAndEvents } from './attachHarness.js'

/** An app's HTTP server: its own route, /app. */
function appServer(): HttpServer {
  return createServer((req, res) => {
    res.writeHead(req.url === '/app' ? 200 : 404, { 'content-type': 'text/plain' })
    res.end(req.url === '/app' ? 'app route' : 'app 404')
  })
}

function listen(http: HttpServer): Promise<string> {
  return new Promise((resolve) =>
    http.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(http.address() as AddressInfo).port}`),
    ),
  )
}

/** A raw socket.io client on `url` (a namespace URL), connected. */
function raw(url: string, options: Parameters<typeof connectRaw>[1] = {}): Promise<RawSocket> {
  const socket = connectRaw(url, { transports: ['websocket'], reconnection: false, ...options })
  sockets.push(socket)
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket))
    socket.once('connect_error', reject)
  })
}

/** The app's own echo event on a namespace, answered through its ack. */
function echo(socket: RawSocket, value: string): Promise<string> {
  return socket.timeout(5000).emitWithAck('echo', value)
}

let http: HttpServer | undefined
let io: Server | undefined
let attached: Attached | undefined
const clients: LivecrudClient[] = []
const sockets: RawSocket[] = []

afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  for (const s of sockets.splice(0)) s.close()
  await attached?.close()
  if (io)
    await io.close() // closes `http` too
  else if (http?.listening) await new Promise((r) => http!.close(r))
  http = io = attached = undefined
})

/** A real client over a socket of our own making (path, headers), closed after the test. */
async function clientOver(url: string, options: Parameters<typeof connectRaw>[1]) {
  const socket = connectRaw(url, options)
  sockets.push(socket)
  const client = await connectedClient({ socket })
  clients.push(client)
  return client
}

async function livecrudClients(url: string, n = 2): Promise<LivecrudClient[]> {
  const made = await Promise.all(Array.from({ length: n }, () => connectedClient({ url })))
  clients.push(...made)
  return made
}

describe('attach on an http.Server', () => {
  it('serves livecrud beside the app’s routes and an app namespace; close() leaves the app listening', async () => {
    http = appServer()
    attached = attach(http)
    attached.io
      .of('/chat')
      .on('connection', (s) => s.on('echo', (v: string, ack) => ack(`chat:${v}`)))
    const url = await listen(http)

    const [writer, watcher] = await livecrudClients(url)
    await sixFunctionsAndEvents(writer!, watcher!)
    expect(await (await fetch(`${url}/app`)).text()).toBe('app route')
    const chat = await raw(`${url}/chat`)
    expect(await echo(chat, 'hi')).toBe('chat:hi')

    await attached.close()
    expect(http.listening).toBe(true)
    expect(await (await fetch(`${url}/app`)).text()).toBe('app route')
    // socket.io's path is the app's again.
    const polled = await fetch(`${url}/socket.io/?EIO=4&transport=polling`)
    expect([polled.status, await polled.text()]).toEqual([404, 'app 404'])
    await expect(writer!.getItem('x', 'todos')).rejects.toMatchObject({ code: 'DISCONNECTED' })
  })

  it('mounts at options.path and options.namespace', async () => {
    http = appServer()
    attached = attach(http, { path: '/live/', namespace: '/crud' })
    const url = await listen(http)
    expect(attached.namespace.name).toBe('/crud')
    const [writer, watcher] = await Promise.all([
      clientOver(`${url}/crud`, { path: '/live/' }),
      clientOver(`${url}/crud`, { path: '/live/' }),
    ])
    await sixFunctionsAndEvents(writer, watcher)
    const wrongPath = await fetch(`${url}/socket.io/?EIO=4&transport=polling`)
    expect(wrongPath.status).toBe(404)
  })
})

describe('attach on a socket.io Server', () => {
  it('runs after the app’s io.use, beside its own events and namespaces; authenticate reads what the app stored', async () => {
    http = appServer()
    io = new Server(http)
    // The app's middleware: a "session" from a header, kept on socket.data.
    io.use((socket, next) => {
      const name = socket.handshake.headers['x-user']
      if (name === 'mallory') return next(new Error('banned by the app'))
      socket.data.session = typeof name === 'string' ? { name } : undefined
      next()
    })
    // And an engine-level middleware (where express-session goes): it decorates the request.
    io.engine.use((req: { tag?: string }, _res: unknown, next: () => void) => {
      req.tag = 'from io.engine.use'
      next()
    })
    io.on('connection', (s) => s.on('echo', (v: string, ack) => ack(`app:${v}`)))
    io.of('/chat').on('connection', (s) => s.on('echo', (v: string, ack) => ack(`chat:${v}`)))
    const seen: unknown[] = []
    attached = attach(io, {
      authenticate: (_handshake, { data, request }) => {
        seen.push(data.session, (request as { tag?: string }).tag)
        return (data.session as { name: string } | undefined) ?? null
      },
    })
    expect(attached.io).toBe(io)
    expect(attached.namespace).toBe(io.of('/'))
    const url = await listen(http)
    const as = (name: string) => clientOver(url, { extraHeaders: { 'x-user': name } })
    const [writer, watcher] = await Promise.all([as('ann'), as('bob')])
    await sixFunctionsAndEvents(writer, watcher)
    expect(seen).toEqual(
      expect.arrayContaining([{ name: 'ann' }, { name: 'bob' }, 'from io.engine.use']),
    )

    // The app's own event on livecrud's namespace is the app's to answer (no BAD_REQUEST from livecrud).
    const plain = await raw(url, { extraHeaders: { 'x-user': 'cy' } })
    expect(await echo(plain, 'hi')).toBe('app:hi')
    const chat = await raw(`${url}/chat`)
    expect(await echo(chat, 'hi')).toBe('chat:hi')
    // No session from the app: livecrud refuses, UNAUTHORIZED.
    await expect(raw(url)).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } })
    await expect(raw(url, { extraHeaders: { 'x-user': 'mallory' } })).rejects.toThrow(
      'banned by the app',
    )

    await attached.close()
    expect(http.listening).toBe(true)
    expect(await (await fetch(`${url}/app`)).text()).toBe('app route')
    expect(await echo(chat, 'again')).toBe('chat:again')
    // The app still serves `/` after livecrud left it: its middleware and handler, no livecrud.
    const after = await raw(url, { extraHeaders: { 'x-user': 'dee' } })
    expect(await echo(after, 'x')).toBe('app:x')
    await expect(after.timeout(300).emitWithAck('GET', 'todos', 'x')).rejects.toThrow(/timed out/)
  })

  it('checks Origin in its namespace middleware, since the app owns allowRequest', async () => {
    http = appServer()
    io = new Server(http)
    attached = attach(io, { namespace: '/live', allowedOrigins: ['https://app.example'] })
    io.on('connection', (s) => s.on('echo', (v: string, ack) => ack(`app:${v}`)))
    const url = await listen(http)
    const evil = { extraHeaders: { origin: 'https://evil.example' } }
    await expect(raw(`${url}/live`, evil)).rejects.toMatchObject({
      message: 'origin not allowed',
      data: { code: 'FORBIDDEN' },
    })
    // Origin is livecrud's rule for its own namespace only.
    expect(await echo(await raw(url, evil), 'hi')).toBe('app:hi')
    const good = await raw(`${url}/live`, { extraHeaders: { origin: 'https://app.example' } })
    expect(good.connected).toBe(true)
    // And the real client fails its requests with that refusal.
    const socket = connectRaw(`${url}/live`, evil)
    sockets.push(socket)
    const refused = createClient({ socket })
    clients.push(refused)
    await expect(refused.getItem('x', 'todos')).rejects.toMatchObject({
      name: 'ServerError',
      code: 'FORBIDDEN',
    })
  })
  it('disconnects a socket that skipped authenticate through the app’s connection state recovery', async () => {
    http = appServer()
    io = new Server(http, { connectionStateRecovery: { skipMiddlewares: true } })
    let authenticated = 0
    attached = attach(io, { authenticate: () => ({ id: `u${++authenticated}` }) })
    const url = await listen(http)
    const socket = connectRaw(url, { transports: ['websocket'] })
    sockets.push(socket)
    await new Promise<void>((r) => socket.once('connect', () => r()))
    expect(authenticated).toBe(1)
    // Recovery resumes from the offset of the last broadcast the client got.
    const heard = new Promise((r) => socket.once('news', r))
    io.emit('news', 1)
    await heard
    const kicked = new Promise<string>((r) =>
      socket.on('disconnect', (reason) => reason === 'io server disconnect' && r(reason)),
    )
    socket.io.engine.close() // the transport drops; socket.io reconnects and recovers the session
    await new Promise<void>((r) => socket.once('connect', () => r()))
    expect(socket.recovered).toBe(true)
    expect(await kicked).toBe('io server disconnect')
    expect(authenticated).toBe(1)
  })
})

describe('attach on a socket.io Namespace', () => {
  it('serves that namespace; the app’s `/` keeps working, also after close()', async () => {
    http = appServer()
    io = new Server(http)
    io.on('connection', (s) => s.on('echo', (v: string, ack) => ack(`app:${v}`)))
    attached = attach(io.of('/livecrud'))
    expect(attached.namespace.name).toBe('/livecrud')
    const url = await listen(http)
    const [writer, watcher] = await livecrudClients(`${url}/livecrud`)
    await sixFunctionsAndEvents(writer!, watcher!)
    const app = await raw(url)
    expect(await echo(app, 'hi')).toBe('app:hi')

    await attached.close()
    expect(await echo(app, 'still')).toBe('app:still')
    expect(await (await fetch(`${url}/app`)).text()).toBe('app route')
    // Nobody serves /livecrud any more: a new connection is refused with a reason.
    await expect(raw(`${url}/livecrud`)).rejects.toThrow(
      'livecrud has been closed on this namespace',
    )
  })

  it('refuses a target it cannot mount on, a namespace option that contradicts the target, a second attach', () => {
    expect(() => attach({} as never)).toThrow(TypeError)
    expect(() => attach(null as never)).toThrow(TypeError)
    const alone = new Server()
    expect(() => attach(alone.of('/a'), { namespace: '/b' })).toThrow(/differs from the target/)
    // Twice on one namespace would run two protocols on each socket; after close() it may again.
    const first = attach(alone.of('/a'))
    expect(() => attach(alone, { namespace: '/a' })).toThrow(/already serves namespace "\/a"/)
    return first.close().then(() => attach(alone.of('/a')).close())
  })
})
