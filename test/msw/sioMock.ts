import { ws } from 'msw'
import { Decoder, Encoder, PacketType } from 'socket.io-parser'
import { io, WebSocket as WsTransport } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import { server } from './setup.js'

/** Resolves globalThis.WebSocket at connect time, so msw's patched one is used whatever the import order. */
export class LateBoundWebSocket extends WsTransport {
  override createSocket(uri: string, protocols?: string | string[]) {
    return protocols ? new globalThis.WebSocket(uri, protocols) : new globalThis.WebSocket(uri)
  }
}

/** What a handler answers: the ack's arguments (error-first), or NO_ACK to stay silent. */
export type AckArgs = unknown[]
export const NO_ACK = Symbol('no ack')
export type Handler = (
  args: unknown[],
  connection: MockConnection,
) => AckArgs | typeof NO_ACK | Promise<AckArgs | typeof NO_ACK>

interface RawClient {
  send(data: string): void
  close(code?: number, reason?: string): void
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void
}

const encoder = new Encoder()

/** One mocked socket.io connection: engine.io open, namespace CONNECT (auth recorded), events, acks. */
export class MockConnection {
  auth: Record<string, unknown> | undefined
  readonly received: Array<{ event: string; args: unknown[] }> = []
  closed = false

  constructor(
    private readonly raw: RawClient,
    private readonly mock: SocketIoMock,
  ) {
    queueMicrotask(() =>
      raw.send(
        '0' +
          JSON.stringify({
            sid: 'mock',
            upgrades: [],
            pingInterval: 600_000,
            pingTimeout: 600_000,
            maxPayload: 1e6,
          }),
      ),
    )
    raw.addEventListener('message', (message) => {
      const data = message.data
      if (typeof data !== 'string' || data[0] !== '4') return
      const decoder = new Decoder()
      decoder.on(
        'decoded',
        (packet: { type: number; id?: number; data?: unknown }) => void this.onPacket(packet),
      )
      decoder.add(data.slice(1))
    })
  }

  /** Server → client push event. */
  emit(event: string, ...args: unknown[]): void {
    if (this.closed) return
    for (const part of encoder.encode({ type: PacketType.EVENT, nsp: '/', data: [event, ...args] }))
      this.raw.send('4' + String(part))
  }

  /** Drops the connection like a network failure (the client reconnects by itself). */
  drop(): void {
    if (this.closed) return
    this.closed = true
    this.raw.close()
  }

  private async onPacket(packet: { type: number; id?: number; data?: unknown }): Promise<void> {
    if (packet.type === PacketType.CONNECT) {
      this.auth = packet.data as Record<string, unknown>
      this.raw.send('40' + JSON.stringify({ sid: `mock-${this.mock.connections.length}` }))
      this.mock.onConnected(this)
      return
    }
    if (packet.type !== PacketType.EVENT || !Array.isArray(packet.data)) return
    const [event, ...args] = packet.data as [string, ...unknown[]]
    this.received.push({ event, args })
    const handler = this.mock.handlers.get(event)
    let reply: AckArgs | typeof NO_ACK = [
      { code: 'BAD_REQUEST', message: `no handler for ${event}` },
    ]
    if (handler) reply = await handler(args, this)
    if (reply === NO_ACK || packet.id === undefined || this.closed) return
    for (const part of encoder.encode({
      type: PacketType.ACK,
      nsp: '/',
      id: packet.id,
      data: reply,
    }))
      this.raw.send('4' + String(part))
  }
}

/** A scripted socket.io server on msw: `mock.on('GET', (args) => [null, item])`. */
export class SocketIoMock {
  readonly handlers = new Map<string, Handler>()
  readonly connections: MockConnection[] = []
  private readonly waiters: Array<(c: MockConnection) => void> = []

  constructor(readonly url = 'ws://api.test') {
    const link = ws.link(`${url}/*`)
    server.use(
      link.addEventListener('connection', ({ client }) => {
        new MockConnection(client as unknown as RawClient, this)
      }),
    )
  }

  on(event: string, handler: Handler): this {
    this.handlers.set(event, handler)
    return this
  }

  onConnected(connection: MockConnection): void {
    this.connections.push(connection)
    for (const w of this.waiters.splice(0)) w(connection)
  }

  /** The current (last) connection. */
  get current(): MockConnection {
    const c = this.connections[this.connections.length - 1]
    if (!c) throw new Error('no connection yet')
    return c
  }

  nextConnection(): Promise<MockConnection> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  /** All requests of one event type across connections. */
  requests(event: string): unknown[][] {
    return this.connections.flatMap((c) =>
      c.received.filter((r) => r.event === event).map((r) => r.args),
    )
  }

  socket(): Socket {
    return io(this.url, {
      transports: [LateBoundWebSocket],
      autoConnect: false,
      reconnectionDelay: 20,
      reconnectionDelayMax: 40,
    })
  }
}

export const delay = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls `check` until it holds (bounded). */
export async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await delay(5)
  }
}
