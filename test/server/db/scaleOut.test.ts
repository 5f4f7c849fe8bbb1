import { Redis } from 'ioredis'
import pg from 'pg'
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

/**
 * Two server processes on one database: a client on A writes, a client on B sees each change once,
 * in order. With `disrupt`, 60 more writes follow, and every 20 of them the feed connections of both
 * processes are killed: B's client still gets every seq once, in order, with an unbroken prevSeq chain.
 */
let runs = 0
async function writeOnAReadOnB(db: string, disrupt?: () => Promise<number>) {
  // The tests share a schema / prefix: mutation ids must not repeat across them.
  const run = ++runs
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
      { mutationId: `${run}-m1` },
    )
    const [e2] = await request(
      a,
      'PATCH',
      'todos',
      { id: 'x', title: 'two' },
      { mutationId: `${run}-m2` },
    )
    const [e3] = await request(a, 'DELETE', 'todos', 'x', { mutationId: `${run}-m3` })
    expect([e1, e2, e3]).toEqual([null, null, null])

    await waitFor(() => seen.length >= 3, 10_000)
    if (!disrupt) {
      await new Promise((r) => setTimeout(r, 300)) // a duplicate would arrive by now
      expect(seen).toEqual([
        { type: 'ADDED', id: 'x', seq: start + 1, prevSeq: start },
        { type: 'CHANGED', id: 'x', seq: start + 2, prevSeq: start + 1 },
        { type: 'REMOVED', id: 'x', seq: start + 3, prevSeq: start + 2 },
      ])
      return
    }
    let killed = 0
    for (let i = 1; i <= 60; i++) {
      if (i % 20 === 0) killed += await disrupt()
      const [error] = await request(
        a,
        'POST',
        'todos',
        { id: `y${run}_${i}`, i },
        { mutationId: `${run}-y${i}` },
      )
      expect(error).toBeNull()
    }
    expect(killed).toBe(6)
    await waitFor(() => seen.length >= 63, 20_000)
    await new Promise((r) => setTimeout(r, 300))
    expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: 63 }, (_, k) => start + 1 + k))
    expect(seen.map((e) => e.prevSeq)).toEqual(Array.from({ length: 63 }, (_, k) => start + k))
  } finally {
    for (const s of sockets) s.disconnect()
    await Promise.all(servers.map((s) => s.stop()))
  }
}

interface FeedConnections {
  ids: string[]
  kill(id: string): Promise<void>
  close(): Promise<void>
}

/** Waits (bounded) until both processes' feed connections are up, then kills them; returns how many. */
async function killWhenBoth(look: () => Promise<FeedConnections>): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const found = await look()
    try {
      if (found.ids.length >= 2) {
        for (const id of found.ids) await found.kill(id)
        return found.ids.length
      }
    } finally {
      await found.close()
    }
    await new Promise((r) => setTimeout(r, 30))
  }
  return 0
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
  it.runIf(pgUp)('PostgreSQL: pg_terminate_backend on both LISTEN sessions, B misses nothing', () =>
    writeOnAReadOnB(`${PG_URL}?schema=${schema}`, () =>
      killWhenBoth(async () => {
        const admin = new pg.Client({ connectionString: PG_URL })
        await admin.connect()
        const r = await admin.query(
          `SELECT pid FROM pg_stat_activity WHERE query = $1 AND pid <> pg_backend_pid()`,
          [`LISTEN "livecrud_${schema}"`],
        )
        return {
          ids: r.rows.map((row) => String(row.pid)),
          kill: async (pid) =>
            void (await admin.query('SELECT pg_terminate_backend($1)', [Number(pid)])),
          close: () => admin.end(),
        }
      }),
    ),
  )
  it.runIf(redisUp)('Redis: CLIENT KILL on both subscribers, B misses nothing', () =>
    writeOnAReadOnB(`${REDIS_URL}?prefix=${encodeURIComponent(prefix)}`, () =>
      killWhenBoth(async () => {
        const admin = new Redis(REDIS_URL)
        const list = String(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub'))
        return {
          ids: list
            .split('\n')
            .filter((line) => line.includes(`name=livecrud-sub:${prefix} `))
            .map((line) => /\bid=(\d+)/.exec(line)?.[1] ?? '')
            .filter(Boolean),
          kill: async (id) => void (await admin.call('CLIENT', 'KILL', 'ID', id)),
          close: async () => admin.disconnect(),
        }
      }),
    ),
  )
})
