/**
 * CRUD round trip on loopback: `getItem` through the reference server (memory store) with the livecrud
 * client, against the limits of the transport in the same process with the same payload: a bare
 * socket.io server answering `emitWithAck`, and an HTTP server answering a keep-alive `fetch`.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server as SocketIoServer } from 'socket.io'
import { io, type Socket } from 'socket.io-client'
import type { LivecrudClient } from '../src/client/types.js'
import type { Item } from '../src/protocol/index.js'
import { median, quantile, type BenchRow, type BenchSuite } from './lib.js'

const COLLECTION = 'todos'

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

/** The limit: socket.io alone, the handler answering from a Map. */
async function rawSocketIo(item: Item): Promise<Contender> {
  const http = createHttpServer()
  const ioServer = new SocketIoServer(http)
  const items = new Map([[item.id, item]])
  ioServer.on('connection', (s) => {
    s.on('GET', (_collection: string, id: string, ack: (item: Item | null) => void) =>
      ack(items.get(id) ?? null),
    )
  })
  const url = await listen(http)
  // Same client options as the livecrud client's own socket (default transports, upgrade to websocket).
  const socket = io(url, { reconnection: false })
  await connected(socket)
  return {
    name: 'raw socket.io emitWithAck',
    call: () => socket.emitWithAck('GET', COLLECTION, item.id),
    async close() {
      socket.close()
      await ioServer.close()
    },
  }
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
    name: 'HTTP fetch (keep-alive)',
    call: async () => (await fetch(target)).json(),
    async close() {
      http.closeAllConnections()
      await new Promise((r) => http.close(r))
    },
  }
}

interface LivecrudModules {
  createServer(options?: {
    port?: number
    host?: string
  }): Promise<{ url: string; close(): Promise<void> }>
  createClient(options: { url: string; timeout?: number }): LivecrudClient
}

async function loadLivecrud(): Promise<LivecrudModules | string> {
  // Loaded by name at run time so the baselines still run while the server or client is missing.
  const serverPath = '../src/server/index.js'
  const clientPath = '../src/index.js'
  try {
    const [server, client] = await Promise.all([import(serverPath), import(clientPath)])
    if (typeof server.createServer !== 'function') return 'src/server exports no createServer'
    if (typeof client.createClient !== 'function') return 'src/index exports no createClient'
    return { createServer: server.createServer, createClient: client.createClient }
  } catch (e) {
    return (e as Error).message.split('\n')[0]!
  }
}

/** The reference server on its default memory store, and the livecrud client. */
async function livecrud(mods: LivecrudModules): Promise<{ contender: Contender; item: Item }> {
  const server = await mods.createServer({ port: 0, host: '127.0.0.1' })
  const client = mods.createClient({ url: server.url, timeout: 10_000 })
  await client.postItem(SEED, COLLECTION, { optimistic: false })
  const item = await client.getItem(String(SEED.id), COLLECTION)
  if (!item) throw new Error('livecrud: the seeded item did not come back')
  return {
    item,
    contender: {
      name: 'livecrud getItem',
      call: () => client.getItem(item.id, COLLECTION),
      async close() {
        client.close()
        await server.close()
      },
    },
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
    const mods = await loadLivecrud()
    const own = typeof mods === 'string' ? undefined : await livecrud(mods)
    if (typeof mods === 'string') console.error(`crud: livecrud not measurable yet (${mods})`)
    // The baselines answer with exactly what the livecrud server returns.
    const item = own?.item ?? ({ ...SEED, _version: 1 } as Item)
    const raw = await rawSocketIo(item)
    const http = await httpFetch(item)
    const contenders = [...(own ? [own.contender] : []), raw, http]
    try {
      for (const c of contenders) {
        const got = JSON.stringify(await c.call())
        if (got !== JSON.stringify(item)) throw new Error(`${c.name} answered ${got}`)
      }
      const samples = quick
        ? await measure(contenders, 4, 250, 300)
        : await measure(contenders, 10, 1000, 1000)
      const stats = (name: string) => {
        const s = samples.get(name)!
        return { p50: median(s), p99: quantile(s, 0.99), n: s.length }
      }
      const r = stats(raw.name)
      const h = stats(http.name)
      const payload = `${Buffer.byteLength(JSON.stringify(item))} B`
      const rows: BenchRow[] = []
      if (own) {
        const l = stats(own.contender.name)
        rows.push({
          name: 'CRUD getItem round trip, memory store (loopback)',
          value: l.p50,
          unit: 'ms',
          baseline: { name: raw.name, value: r.p50 },
          target: `≤ ${TARGET}× raw socket.io`,
          met: l.p50 <= TARGET * r.p50,
          extra: {
            p99: l.p99,
            'baseline p99': r.p99,
            'fetch p50': h.p50,
            'fetch p99': h.p99,
            'vs fetch': `${(l.p50 / h.p50).toFixed(2)}×`,
            samples: l.n,
            payload,
          },
        })
      }
      rows.push({
        name: 'HTTP fetch (keep-alive) of the same payload',
        value: h.p50,
        unit: 'ms',
        baseline: { name: raw.name, value: r.p50 },
        extra: { p99: h.p99, 'baseline p99': r.p99, samples: h.n, payload },
      })
      return rows
    } finally {
      for (const c of contenders) await c.close()
    }
  },
}
