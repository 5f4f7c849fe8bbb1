import pg from 'pg'
import type { PGlite } from '@electric-sql/pglite'

export type Row = Record<string, unknown>
export interface Queryable {
  /** `name` makes it a prepared statement (parsed and planned once per session): hot paths only. */
  query(text: string, values?: unknown[], name?: string): Promise<Row[]>
}

/** The `pg` query config for `text`, prepared under `name` when one is given. */
function config(text: string, values: unknown[] | undefined, name: string | undefined) {
  return name === undefined ? { text, values } : { name, text, values }
}

/** What a change feed needs from a LISTEN connection. */
export interface ListenHandlers {
  onNotify(payload: string): void
  /** The connection was lost; notifications may have been missed until `onReady` fires again. */
  onLost(): void
  /** LISTEN is active (first time and after every reconnect): catch up from the log now. */
  onReady(): void
}

/**
 * The single seam between the store and its database: a pool of sessions and a LISTEN session.
 * Real PostgreSQL and PGlite share every SQL statement; only how sessions are obtained differs.
 */
export interface PgConnector {
  readonly kind: 'postgres' | 'pglite'
  query(text: string, values?: unknown[], name?: string): Promise<Row[]>
  /** Runs `fn` in one transaction on one session (READ COMMITTED). */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  listen(channel: string, handlers: ListenHandlers): Promise<() => Promise<void>>
  close(): Promise<void>
}

function asQueryable(client: pg.ClientBase): Queryable {
  return {
    query: async (text, values, name) =>
      (await client.query(config(text, values, name))).rows as Row[],
  }
}

export interface PostgresConnectorOptions {
  /** Where to connect; or `pool`. */
  connectionString?: string
  /**
   * An existing pool to query through instead (not ended by `close`). LISTEN uses a client of its
   * own, made from the pool's connection settings.
   */
  pool?: pg.Pool
  /** Pool size when the connector makes the pool (default 10). */
  max?: number
  /** Longest wait between LISTEN reconnect attempts, ms (default 5 000). */
  maxBackoffMs?: number
}

/** Real PostgreSQL: a `pg.Pool` for queries and one dedicated client for LISTEN. */
export class PostgresConnector implements PgConnector {
  readonly kind = 'postgres'
  private readonly pool: pg.Pool
  private readonly ownsPool: boolean
  private readonly clientConfig: pg.ClientConfig
  private closed = false
  private readonly listeners = new Set<() => Promise<void>>()
  private readonly onPoolError = (err: Error) =>
    console.warn('livecrud: idle PostgreSQL client lost:', err.message)

  constructor(private readonly options: PostgresConnectorOptions) {
    if (options.pool) {
      this.pool = options.pool
      this.ownsPool = false
      // PoolOptions are ClientConfig plus pool settings, which a client ignores.
      this.clientConfig = { ...options.pool.options }
    } else {
      if (!options.connectionString)
        throw new Error('PostgresConnector needs a connectionString or a pool')
      this.pool = new pg.Pool({
        connectionString: options.connectionString,
        max: options.max ?? 10,
      })
      this.ownsPool = true
      this.clientConfig = { connectionString: options.connectionString }
    }
    // An idle client killed by the server emits here; without a handler the process would exit.
    this.pool.on('error', this.onPoolError)
  }

  async query(text: string, values?: unknown[], name?: string): Promise<Row[]> {
    return (await this.pool.query(config(text, values, name))).rows as Row[]
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    let broken = false
    try {
      await client.query('BEGIN')
      const out = await fn(asQueryable(client))
      await client.query('COMMIT')
      return out
    } catch (err) {
      try {
        await client.query('ROLLBACK')
      } catch {
        broken = true
      }
      throw err
    } finally {
      client.release(broken)
    }
  }

  async listen(channel: string, handlers: ListenHandlers): Promise<() => Promise<void>> {
    let client: pg.Client | null = null
    let stopped = false
    let backoff = 50
    let timer: NodeJS.Timeout | null = null
    const maxBackoff = this.options.maxBackoffMs ?? 5_000

    const connect = async (): Promise<void> => {
      const c = new pg.Client(this.clientConfig)
      let lost = false
      const onLost = (err?: Error) => {
        if (lost) return
        lost = true
        c.removeAllListeners('notification')
        c.end().catch(() => {})
        if (stopped) return
        console.warn(`livecrud: LISTEN connection lost (${err?.message ?? 'ended'}); reconnecting`)
        handlers.onLost()
        schedule()
      }
      c.on('error', onLost)
      c.on('end', () => onLost())
      c.on('notification', (msg) => {
        if (msg.channel === channel) handlers.onNotify(msg.payload ?? '')
      })
      await c.connect()
      await c.query(`LISTEN "${channel}"`)
      if (stopped) {
        await c.end().catch(() => {})
        return
      }
      client = c
      backoff = 50
      handlers.onReady()
    }
    const schedule = () => {
      if (stopped || timer) return
      timer = setTimeout(() => {
        timer = null
        connect().catch((err: Error) => {
          backoff = Math.min(backoff * 2, maxBackoff)
          console.warn(`livecrud: LISTEN reconnect failed (${err.message}); retrying`)
          schedule()
        })
      }, backoff)
      timer.unref()
    }

    await connect()
    const stop = async () => {
      stopped = true
      if (timer) clearTimeout(timer)
      this.listeners.delete(stop)
      const c = client as pg.Client | null
      client = null
      if (c) await c.end().catch(() => {})
    }
    this.listeners.add(stop)
    return stop
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([...this.listeners].map((stop) => stop()))
    this.pool.off('error', this.onPoolError)
    if (this.ownsPool) await this.pool.end()
  }
}

interface SharedSession {
  client: pg.Client
  tail: Promise<unknown>
  refs: number
  /**
   * Distinguishes this client's prepared statements: PGlite's one backend session outlives a
   * `pg.Client` that closed, with the statements it prepared, which a new client does not know of.
   */
  tag: string
}

let sessionCount = 0

/** PGlite is one session: every store on one instance shares one `pg.Client` behind one queue. */
const sessions = new WeakMap<PGlite, Promise<SharedSession>>()

async function openSession(db: PGlite): Promise<SharedSession> {
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres')
  const client = new pg.Client(createPgConfig(db) as unknown as pg.ClientConfig)
  await client.connect()
  // Notifications are delivered to every listener; LISTEN from several stores must not pile up warnings.
  client.setMaxListeners(0)
  return { client, tail: Promise.resolve(), refs: 0, tag: `_s${++sessionCount}` }
}

/**
 * PGlite through `@electric-sql/pglite/node-postgres`: the same `pg` client API over the embedded
 * database. It has a single session, so queries and whole transactions are queued one at a time
 * (interleaving two transactions on one session would merge them).
 */
export class PgliteConnector implements PgConnector {
  readonly kind = 'pglite'
  private closed = false
  private readonly stops = new Set<() => Promise<void>>()

  private constructor(
    readonly db: PGlite,
    private readonly session: SharedSession,
    private readonly ownsDb: boolean,
  ) {
    session.refs++
  }

  static async open(db: PGlite, ownsDb = false): Promise<PgliteConnector> {
    let s = sessions.get(db)
    if (!s) {
      s = openSession(db)
      sessions.set(db, s)
    }
    return new PgliteConnector(db, await s, ownsDb)
  }

  private exclusive<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const run = this.session.tail.then(() => fn(this.session.client))
    this.session.tail = run.catch(() => {})
    return run
  }

  query(text: string, values?: unknown[], name?: string): Promise<Row[]> {
    const tagged = name === undefined ? undefined : name + this.session.tag
    return this.exclusive(async (c) => (await c.query(config(text, values, tagged))).rows as Row[])
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.exclusive(async (c) => {
      await c.query('BEGIN')
      try {
        const out = await fn(asQueryable(c))
        await c.query('COMMIT')
        return out
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {})
        throw err
      }
    })
  }

  async listen(channel: string, handlers: ListenHandlers): Promise<() => Promise<void>> {
    const onNotification = (msg: pg.Notification) => {
      if (msg.channel === channel) handlers.onNotify(msg.payload ?? '')
    }
    this.session.client.on('notification', onNotification)
    await this.query(`LISTEN "${channel}"`)
    handlers.onReady()
    // The session is shared and in-process: it cannot be lost without the database itself.
    const stop = async () => {
      this.stops.delete(stop)
      this.session.client.off('notification', onNotification)
    }
    this.stops.add(stop)
    return stop
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([...this.stops].map((stop) => stop()))
    await this.session.tail
    if (--this.session.refs === 0) {
      sessions.delete(this.db)
      await this.session.client.end().catch(() => {})
    }
    if (this.ownsDb) await this.db.close()
  }
}
