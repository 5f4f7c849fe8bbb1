import { io, type Socket } from 'socket.io-client'
import { afterAll, describe, expect, it } from 'vitest'
import { startServerProcess, type ServerProcess } from './serverProcess.js'
import {
  PG_URL,
  REDIS_URL,
  deleteKeys,
  dropSchema,
  pgUp,
  redisUp,
  uniqueName,
  waitFor,
} from './services.js'

type Ack = [error: unknown, result?: unknown, meta?: unknown]
function request(socket: Socket, event: string, ...args: unknown[]): Promise<Ack> {
  return new Promise((resolve, reject) => {
    socket
      .timeout(10_000)
      .emit(event, ...args, (timeout: Error | null, ...ack: Ack) =>
        timeout ? reject(timeout) : resolve(ack),
      )
  })
}

function connect(url: string, clientId: string): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], auth: { clientId }, reconnection: false })
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket))
    socket.once('connect_error', reject)
  })
}

interface Seen {
  type: string
  id: string
  seq: number
  prevSeq: number
}

/** Two server processes on one database: a client on A writes, a client on B sees each change once, in order. */
async function writeOnAReadOnB(db: string) {
  const servers: ServerProcess[] = []
  const sockets: Socket[] = []
  try {
    servers.push(...(await Promise.all([startServerProcess(db), startServerProcess(db)])))
    const [a, b] = await Promise.all([
      connect(servers[0]!.url, 'writer'),
      connect(servers[1]!.url, 'reader'),
    ])
    sockets.push(a, b)
    const seen: Seen[] = []
    for (const type of ['ADDED', 'CHANGED', 'REMOVED'])
      b.on(type, (_collection: string, itemOrId: unknown, ...rest: unknown[]) => {
        const meta = rest[rest.length - 1] as { seq: number; prevSeq: number }
        const id = typeof itemOrId === 'string' ? itemOrId : (itemOrId as { id: string }).id
        seen.push({ type, id, seq: meta.seq, prevSeq: meta.prevSeq })
      })
    const [subError, sub] = await request(b, 'SUBSCRIBE', 'todos', {})
    expect(subError).toBeNull()
    const start = (sub as { seq: number }).seq

    const big = 'ß😀'.repeat(2_000) // > 8 000 bytes: the NOTIFY payload limit must not matter
    const [e1] = await request(
      a,
      'POST',
      'todos',
      { id: 'x', title: 'one', big },
      { mutationId: 'm1' },
    )
    const [e2] = await request(a, 'PATCH', 'todos', { id: 'x', title: 'two' }, { mutationId: 'm2' })
    const [e3] = await request(a, 'DELETE', 'todos', 'x', { mutationId: 'm3' })
    expect([e1, e2, e3]).toEqual([null, null, null])

    await waitFor(() => seen.length >= 3, 10_000)
    await new Promise((r) => setTimeout(r, 300)) // a duplicate would arrive by now
    expect(seen).toEqual([
      { type: 'ADDED', id: 'x', seq: start + 1, prevSeq: start },
      { type: 'CHANGED', id: 'x', seq: start + 2, prevSeq: start + 1 },
      { type: 'REMOVED', id: 'x', seq: start + 3, prevSeq: start + 2 },
    ])
  } finally {
    for (const s of sockets) s.disconnect()
    await Promise.all(servers.map((s) => s.stop()))
  }
}

const schema = uniqueName('scale')
const prefix = `${uniqueName('scale')}:`
afterAll(async () => {
  if (pgUp) await dropSchema(schema)
  if (redisUp) await deleteKeys(prefix)
}, 30_000)

describe('scale-out: two server processes on one database', { timeout: 60_000 }, () => {
  it.runIf(pgUp)(
    'PostgreSQL: a write on A reaches B as ADDED, CHANGED, REMOVED once, in order',
    () => writeOnAReadOnB(`${PG_URL}?schema=${schema}`),
  )
  it.runIf(redisUp)('Redis: a write on A reaches B as ADDED, CHANGED, REMOVED once, in order', () =>
    writeOnAReadOnB(`${REDIS_URL}?prefix=${encodeURIComponent(prefix)}`),
  )
})
