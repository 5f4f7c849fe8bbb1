import pg from 'pg'
import type { Server } from 'socket.io'
import { io, type Socket } from 'socket.io-client'
import { createClient, type LivecrudClient } from 'livecrud'
import type { ChangeRecord, ChangesSince, Store, WriteRequest, WriteResult } from 'livecrud/server'
import { PG_URL } from './services.js'

/**
 * Helpers for tests of write attempts racing inside the server: hold a write where it waits (a row
 * lock on PostgreSQL, a gate in front of the other stores), watch what the server receives and
 * answers per mutationId, cut a client's connection, read the change log through the Store contract.
 */

/** A write held inside the server: how many attempts wait on it, and let them go. */
export interface Hold {
  waiting(): Promise<number>
  release(): Promise<void>
}

interface Gate {
  queue: { start: () => void; done: Promise<void> }[]
}

/**
 * A store whose writes of a held item wait in front of it, in arrival order, and are let through one
 * at a time on release (each finishes before the next starts): the shape a row lock gives, for
 * stores that have none a test can take from outside (memory, PGlite's single session, Redis).
 */
export class GatedStore implements Store {
  readonly kind: string
  private readonly gates = new Map<string, Gate>()

  constructor(readonly inner: Store) {
    this.kind = inner.kind
  }

  hold(collection: string, id: string): Hold {
    const key = JSON.stringify([collection, id])
    const gate: Gate = { queue: [] }
    this.gates.set(key, gate)
    return {
      waiting: async () => gate.queue.length,
      release: async () => {
        this.gates.delete(key)
        for (const entry of gate.queue) {
          entry.start()
          await entry.done
        }
      },
    }
  }

  async write(request: WriteRequest): Promise<WriteResult> {
    const gate = this.gates.get(JSON.stringify([request.collection, request.id]))
    if (!gate) return this.inner.write(request)
    let start!: () => void
    let finish!: () => void
    const started = new Promise<void>((r) => (start = r))
    gate.queue.push({ start, done: new Promise<void>((r) => (finish = r)) })
    await started
    try {
      return await this.inner.write(request)
    } finally {
      finish()
    }
  }

  get(collection: string, id: string) {
    return this.inner.get(collection, id)
  }
  list(...args: Parameters<Store['list']>) {
    return this.inner.list(...args)
  }
  changesSince(collection: string, since: number): Promise<ChangesSince> {
    return this.inner.changesSince(collection, since)
  }
  seq(collection: string) {
    return this.inner.seq(collection)
  }
  onChange(listener: (change: ChangeRecord) => void) {
    return this.inner.onChange(listener)
  }
  close() {
    return this.inner.close()
  }
}

/**
 * Takes the row lock of item (collection, id) in `<schema>.items` from a session of its own, as
 * another writer would: the server's attempts queue behind it. `waiting` counts the sessions
 * blocked on a lock in statements that name the schema.
 */
export async function rowLock(schema: string, collection: string, id: string): Promise<Hold> {
  const session = new pg.Client({ connectionString: PG_URL })
  // pg_stat_activity is a snapshot per transaction: the locker's open one would never see news.
  const watcher = new pg.Client({ connectionString: PG_URL })
  await Promise.all([session.connect(), watcher.connect()])
  await session.query('BEGIN')
  const locked = await session.query(
    `SELECT 1 FROM "${schema}".items WHERE collection = $1 AND id = $2 FOR UPDATE`,
    [collection, id],
  )
  if (locked.rowCount !== 1) throw new Error(`no row ${collection}/${id} to lock`)
  return {
    waiting: async () => {
      const r = await watcher.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE wait_event_type = 'Lock' AND position($1 in query) > 0`,
        [`"${schema}"`],
      )
      return r.rows[0].n as number
    },
    release: async () => {
      await session.query('COMMIT')
      await Promise.all([session.end(), watcher.end()])
    },
  }
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** What the server received and answered, per mutationId (register before clients connect). */
export interface WriteWatch {
  received(mutationId: string): number
  /** The ack arguments of each answered attempt, in answer order. */
  answers(mutationId: string): unknown[][]
}

export function watchWrites(server: Server): WriteWatch {
  const received = new Map<string, number>()
  const answers = new Map<string, unknown[][]>()
  server.on('connection', (socket) =>
    socket.use((packet, next) => {
      const meta = packet[3] as { mutationId?: unknown } | undefined
      const ack = packet[packet.length - 1] as unknown
      if (WRITES.has(String(packet[0])) && typeof meta?.mutationId === 'string') {
        const m = meta.mutationId
        received.set(m, (received.get(m) ?? 0) + 1)
        if (typeof ack === 'function')
          packet[packet.length - 1] = (...args: unknown[]) => {
            answers.set(m, [...(answers.get(m) ?? []), args])
            ;(ack as (...a: unknown[]) => void)(...args)
          }
      }
      next()
    }),
  )
  return {
    received: (m) => received.get(m) ?? 0,
    answers: (m) => answers.get(m) ?? [],
  }
}

/** Closes (server side) every connection of `clientId`: the client sees a transport close and reconnects. */
export function cutClient(server: Server, clientId: string): number {
  let n = 0
  for (const socket of server.sockets.sockets.values())
    if ((socket.handshake.auth as { clientId?: unknown }).clientId === clientId) {
      socket.conn.close()
      n++
    }
  return n
}

/** A public client on its own socket.io connection that reconnects quickly. */
export function quickClient(url: string, clientId: string): LivecrudClient {
  const socket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelay: 20,
    reconnectionDelayMax: 100,
  })
  return createClient({ socket, clientId, timeout: 30_000, unsubscribeDelay: 50 })
}

/** A raw socket with this handshake, connected (no reconnection). */
export function rawSocket(url: string, auth: Record<string, unknown>): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth })
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket))
    socket.once('connect_error', (err) => {
      socket.close()
      reject(err)
    })
  })
}

export interface Answer {
  err: { code: string; message: string; details?: unknown } | null
  result: unknown
  meta: unknown
}

/** Emits one request and resolves with its error-first ack. */
export function send(socket: Socket, event: string, ...args: unknown[]): Promise<Answer> {
  return new Promise((resolve, reject) => {
    socket
      .timeout(20_000)
      .emit(
        event,
        ...args,
        (timeout: Error | null, err: Answer['err'], result: unknown, meta: unknown) =>
          timeout ? reject(timeout) : resolve({ err, result, meta }),
      )
  })
}

/** The commits of one mutationId in a collection's change log (through the Store contract). */
export async function commitsOf(
  store: Store,
  collection: string,
  mutationId: string,
): Promise<ChangeRecord[]> {
  const log = await store.changesSince(collection, 0)
  if (log.tooOld) throw new Error(`the change log of ${collection} no longer starts at seq 1`)
  return log.changes.filter((c) => c.mutationId === mutationId)
}

/** Polls `check` (sync or async) every 10 ms until it holds; throws after `ms`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 10_000,
): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** The mutationId of the write just submitted (the client queues it synchronously). */
export function lastMutationId(client: LivecrudClient): string {
  const pending = client.getPendingWrites()
  const last = pending[pending.length - 1]
  if (!last) throw new Error('no pending write')
  return last.mutationId
}
