/**
 * CRUD round trip on loopback: `getItem` through the reference server (memory store) with the livecrud
 * client, against the limits of the transport in the same process with the same payload: a bare
 * socket.io server answering `emitWithAck`, and an HTTP server answering a keep-alive `fetch`. Two more
 * contenders split livecrud's overhead: the protocol's shape alone (a timeout and an error-first ack on
 * the bare server), and the livecrud server asked by a bare client; the rest is the client's.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server as SocketIoServer } from 'socket.io'
import { io, type Socket } from 'socket.io-client'
import { createClient, type Item } from '../src/index.js'
import { createServer } from '../src/server/index.js'
import { median, quantile, type BenchRow, type BenchSuite } from './lib.js'

const COLLECTION = 'todos'
const LIVECRUD = 'livecrud getItem'
const RAW = 'raw socket.io emitWithAck'
const RAW_TIMEOUT = 'raw socket.io, timeout + error-first ack'
const RAW_TO_SERVER = 'raw socket.io client → livecrud server'
const FETCH = 'HTTP fetch (keep-alive)'

/** A typical small record. */
const SEED: Record<string, unknown> = {
  id: 'todo-42',
  title: 'Write the round-trip benchmark',
  done: false,
  priority: 3,
  tags: ['bench', 'socket.io'],
  assignee: { id: 'u-7', name: 'Ada' },
  createdAt: '2026-11-24T20:00:00.000Z',
}

interface Contender {
  name: string
  /** One request, resolved with the payload. */
  call(): Promise<unknown>
  close(): Promise<void>
}

const listen = (server: HttpServer) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  )

const connected = (socket: Socket) =>
  new Promise<void>((resolve, reject) => {
    if (socket.connected) return resolve()
    socket.once('connect', () => resolve())
    socket.once('connect_error', reject)
  })

/** An error-first request with a timeout, the way livecrud's protocol asks (PROTOCOL.md). */
function errorFirst(socket: Socket, ...args: unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) =>
    socket
      .timeout(10_000)
      .emit(...(args as [string]), (timeout: Error | null, err: unknown, result: unknown) =>
        timeout ? reject(timeout) : err ? reject(new Error(JSON.stringify(err))) : resolve(result),
      ),
  )
}

/**
 * The limit: socket.io alone, the handler answering from a Map. Also the same bare server answering
 * error-first to a request with a timeout: what livecrud's protocol shape costs by itself.
 */
async function rawSocketIo(item: Item): Promise<Contender[]> {
  const http = createHttpServer()
  const ioServer = new SocketIoServer(http)
  const items = new Map([[item.id, item]])
  ioServer.on('connection', (s) => {
    s.on('GET', (_collection: string, id: string, ack: (item: Item | null) => void) =>
      ack(items.get(id) ?? null),
    )
    s.on('GET_ERROR_FIRST', (_c: string, id: string, ack: (e: null, item: Item | null) => void) =>
      ack(null, items.get(id) ?? null),
    )
  })
  const url = await listen(http)
  // Same client options as the livecrud client's own socket (default transports, upgrade to websocket).
  const socket = io(url, { reconnection: false })
  await connected(socket)
  return [
    {
      name: RAW,
      call: () => socket.emitWithAck('GET', COLLECTION, item.id),
      async close() {
        socket.close()
        await ioServer.close()
      },
    },
    {
      name: RAW_TIMEOUT,
      call: () => errorFirst(socket, 'GET_ERROR_FIRST', COLLECTION, item.id),
      close: async () => undefined,
    },
  ]
}

/** HTTP for comparison: the same payload as JSON over a kept-alive connection. */
async function httpFetch(item: Item): Promise<Contender> {
  const body = JSON.stringify(item)
  const http = createHttpServer((req, res) => {
    if (req.url === `/${COLLECTION}/${item.id}`) {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      })
      res.end(body)
    } else {
      res.writeHead(404).end()
    }
  })
  const url = await listen(http)
  const target = `${url}/${COLLECTION}/${item.id}`
  return {
    name: FETCH,
    call: async () => (await fetch(target)).json(),
    async close() {
      http.closeAllConnections()
      await new Promise((r) => http.close(r))
    },
  }
}

/** The reference server on its default memory store, and the livecrud client. */
async function livecrud(): Promise<{ contenders: Contender[]; item: Item }> {
  // The per-connection rate limit (200/s by default) guards production servers; a benchmark that
  // measures sequential round trips would only measure the limiter's refusals.
  const server = await createServer({
    port: 0,
    host: '127.0.0.1',
    limits: { maxRequestsPerSecond: 1e9 },
  })
  const client = createClient({ url: server.url, timeout: 10_000 })
  await client.postItem(SEED, COLLECTION, { optimistic: false })
  // Every measured getItem must be a request the server answers, not a read of the client's store.
  let gets = 0
  const countGets = (event: string) => void (event === 'GET' && gets++)
  for (const socket of server.io.of('/').sockets.values()) socket.onAny(countGets)
  const item = await client.getItem(String(SEED.id), COLLECTION)
  await client.getItem(String(SEED.id), COLLECTION)
  for (const socket of server.io.of('/').sockets.values()) socket.offAny(countGets)
  if (!item) throw new Error('livecrud: the seeded item did not come back')
  if (gets !== 2) throw new Error(`livecrud: 2 getItem calls reached the server ${gets} times`)
  // The livecrud server alone, asked by a bare socket.io client: splits the overhead into server and
  // client shares.
  const socket = io(server.url, { reconnection: false })
  await connected(socket)
  return {
    item,
    contenders: [
      {
        name: LIVECRUD,
        call: () => client.getItem(item.id, COLLECTION),
        async close() {
          client.close()
          socket.close()
          await server.close()
        },
      },
      {
        name: RAW_TO_SERVER,
        call: () => errorFirst(socket, 'GET', COLLECTION, item.id),
        close: async () => undefined,
      },
    ],
  }
}

/**
 * Rounds interleave the contenders (in rotating order) so drift on a shared 2-core machine — other
 * processes, GC, CPU frequency — lands on all of them alike.
 */
async function measure(
  contenders: Contender[],
  rounds: number,
  perRound: number,
  warmup: number,
): Promise<Map<string, number[]>> {
  const samples = new Map(contenders.map((c) => [c.name, [] as number[]]))
  for (const c of contenders) for (let i = 0; i < warmup; i++) await c.call()
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(r + k) % contenders.length]!
      const out = samples.get(c.name)!
      for (let i = 0; i < perRound; i++) {
        const t0 = performance.now()
        await c.call()
        out.push(performance.now() - t0)
      }
    }
  }
  return samples
}

const TARGET = 1.25

export const crudBench: BenchSuite = {
  name: 'crud',
  async run({ quick }) {
    const own = await livecrud()
    // The baselines answer with exactly what the livecrud server returns.
    const item = own.item
    const contenders = [...own.contenders, ...(await rawSocketIo(item)), await httpFetch(item)]
    try {
      for (const c of contenders) {
        const got = JSON.stringify(await c.call())
        if (got !== JSON.stringify(item)) throw new Error(`${c.name} answered ${got}`)
      }
      // The same warm-up in both modes: quick figures matched full ones only after ~3,000 calls.
      const samples = quick
        ? await measure(contenders, 4, 250, 3000)
        : await measure(contenders, 10, 1000, 3000)
      const stats = (name: string) => {
        const s = samples.get(name)!
        return { p50: median(s), p99: quantile(s, 0.99), n: s.length }
      }
      const raw = stats(RAW)
      const rawTimeout = stats(RAW_TIMEOUT)
      const http = stats(FETCH)
      const payload = `${Buffer.byteLength(JSON.stringify(item))} B`
      const row = (
        name: string,
        s: ReturnType<typeof stats>,
        baseline: [string, ReturnType<typeof stats>],
        more: Partial<BenchRow> = {},
      ): BenchRow => ({
        name,
        value: s.p50,
        unit: 'ms',
        baseline: { name: baseline[0], value: baseline[1].p50 },
        ...more,
        extra: { p99: s.p99, 'baseline p99': baseline[1].p99, ...more.extra, samples: s.n },
      })
      const l = stats(LIVECRUD)
      return [
        row('CRUD getItem round trip, memory store (loopback)', l, [RAW, raw], {
          target: `≤ ${TARGET}× raw socket.io`,
          met: l.p50 <= TARGET * raw.p50,
          extra: { 'vs fetch': `${(l.p50 / http.p50).toFixed(2)}×`, payload },
        }),
        row('↳ share: livecrud server, asked by a raw client', stats(RAW_TO_SERVER), [
          RAW_TIMEOUT,
          rawTimeout,
        ]),
        row('↳ share: timeout + error-first ack on a bare server', rawTimeout, [RAW, raw]),
        row('HTTP fetch (keep-alive) of the same payload', http, [RAW, raw], {
          extra: { payload },
        }),
      ]
    } finally {
      for (const c of contenders) await c.close()
    }
  },
}
