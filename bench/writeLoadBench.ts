/**
 * Write load: 8 and 32 concurrent clients, each writing back to back (a POST of a small new item,
 * protocol-level, over its own socket.io connection), against
 * - the baseline: the seed's hand-written socket.io handler doing one `INSERT … ; pg_notify`
 *   through a `pg` pool on the same PostgreSQL (bench/writeLoadServer.ts `baseline`);
 * - the reference server on PostgreSQL (one collection, and one collection per client), on PGlite,
 *   and on Redis.
 * Every server runs in its own process on its own schema (a second livecrud process on the same
 * schema would read the log for every collection another one's numbering announced, which is the
 * scale-out feed's cost, measured by the fan-out and feed suites, not this one's), started once and
 * kept for every round; the contenders take
 * turns, round after round, so a noisy moment hits them alike. Figures pool every round: writes/s,
 * p50 / p99 of the write round trip, server CPU per write (from /proc, user + system). The request
 * rate limit of the reference server is raised (`limits.maxRequestsPerSecond`) so it is not what
 * the load meets: the default (200/s per connection) is a safety limit for the open internet.
 */
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { io, type Socket } from 'socket.io-client'
import { spawnListening, type ListeningProcess } from '../scripts/spawnListening.js'
import { dropRedisPrefix, quantile, type BenchRow, type BenchSuite } from './lib.js'

const PG_URL = process.env.LIVECRUD_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test'
const REDIS_URL = process.env.LIVECRUD_BENCH_REDIS ?? 'redis://127.0.0.1:6379'
const BASELINE = 'hand-written socket.io + pg handler'

interface Contender {
  name: string
  /** Collections the clients write to: one shared, or one per client. */
  spread: boolean
  /** The one collection every client writes (a table-backed one); default one per round. */
  collection?: string
  start(): Promise<ListeningProcess>
  needs: 'pg' | 'redis' | 'none'
}

interface Tally {
  latencies: number[]
  writes: number
  seconds: number
  cpuMs: number
  errors: number
}

const ticks = Number(process.env.CLK_TCK ?? 100)
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks
}

const server =
  (mode: string, url: string, root = '.') =>
  () =>
    spawnListening(['--import', 'tsx', `${root}/bench/writeLoadServer.ts`, mode, url], {
      echoStderr: true,
    })

/**
 * `WRITE_LOAD_BEFORE=<another checkout>` adds that checkout's server on PostgreSQL and PGlite as
 * contenders (copy bench/writeLoadServer.ts into it): an A/B of two versions in one run.
 */
const BEFORE = process.env.WRITE_LOAD_BEFORE

async function reachable(kind: 'pg' | 'redis'): Promise<boolean> {
  try {
    if (kind === 'pg') {
      const c = new pg.Client(PG_URL)
      await c.connect()
      await c.end()
    } else {
      const { Redis } = await import('ioredis')
      const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 })
      await r.connect()
      r.disconnect()
    }
    return true
  } catch {
    return false
  }
}

function connect(url: string): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, auth: {} })
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket))
    socket.once('connect_error', reject)
  })
}

function post(socket: Socket, collection: string, n: number, mutationId: string): Promise<boolean> {
  return new Promise((resolve) =>
    socket
      .timeout(30_000)
      .emit(
        'POST',
        collection,
        { title: `write ${n}`, done: false, n },
        { mutationId },
        (timeout: Error | null, err: unknown) => resolve(!timeout && !err),
      ),
  )
}

/** `clients` connections writing back to back for `seconds`; returns the tally. */
async function load(
  url: string,
  pid: number,
  clients: number,
  spread: boolean,
  seconds: number,
  tag: string,
  collection?: string,
): Promise<Tally> {
  const target = (c: number) => collection ?? (spread ? `${tag}_c${c}` : tag)
  const sockets = await Promise.all(Array.from({ length: clients }, () => connect(url)))
  const warmEnd = performance.now() + 300
  await Promise.all(
    sockets.map(async (s, c) => {
      for (let i = 0; performance.now() < warmEnd; i++)
        await post(s, target(c), i, `w-${tag}-${c}-${i}`)
    }),
  )
  const tally: Tally = { latencies: [], writes: 0, seconds, cpuMs: 0, errors: 0 }
  const cpu0 = cpuMsOf(pid)
  const t0 = performance.now()
  const end = t0 + seconds * 1000
  await Promise.all(
    sockets.map(async (s, c) => {
      for (let i = 0; performance.now() < end; i++) {
        const start = performance.now()
        const ok = await post(s, target(c), i, `m-${tag}-${c}-${i}`)
        tally.latencies.push(performance.now() - start)
        if (ok) tally.writes++
        else tally.errors++
      }
    }),
  )
  tally.seconds = (performance.now() - t0) / 1000
  tally.cpuMs = cpuMsOf(pid) - cpu0
  for (const s of sockets) s.disconnect()
  return tally
}

function merge(a: Tally | undefined, b: Tally): Tally {
  if (!a) return b
  return {
    latencies: a.latencies.concat(b.latencies),
    writes: a.writes + b.writes,
    seconds: a.seconds + b.seconds,
    cpuMs: a.cpuMs + b.cpuMs,
    errors: a.errors + b.errors,
  }
}

export const writeLoad: BenchSuite = {
  name: 'write load',
  async run({ quick }) {
    const rounds = 2
    const seconds = quick ? 1 : 4
    const runId = Math.random().toString(36).slice(2, 8)
    const schema = `bench_wl_${runId}`
    const prefix = `bench:wl:${runId}:`
    const contenders: Contender[] = [
      {
        name: BASELINE,
        spread: false,
        needs: 'pg',
        start: server('baseline', `${PG_URL}?schema=${schema}_base`),
      },
      {
        name: 'livecrud, PostgreSQL, one collection',
        spread: false,
        needs: 'pg',
        start: server('livecrud', `${PG_URL}?schema=${schema}`),
      },
      {
        name: 'livecrud, PostgreSQL, a collection per client',
        spread: true,
        needs: 'pg',
        start: server('livecrud', `${PG_URL}?schema=${schema}_spread`),
      },
      {
        name: 'livecrud, PostgreSQL, one table-backed collection',
        spread: false,
        collection: 'tasks',
        needs: 'pg',
        start: server('table', `${PG_URL}?schema=${schema}_tbl`),
      },
      {
        name: 'livecrud, PGlite, one collection',
        spread: false,
        needs: 'none',
        start: server('livecrud', 'pglite:memory'),
      },
      {
        name: 'livecrud, Redis, one collection',
        spread: false,
        needs: 'redis',
        start: server('livecrud', `${REDIS_URL}?prefix=${prefix}`),
      },
    ]
    if (BEFORE) {
      contenders.push(
        {
          name: 'before, PostgreSQL, one collection',
          spread: false,
          needs: 'pg',
          start: server('livecrud', `${PG_URL}?schema=${schema}_before`, BEFORE),
        },
        {
          name: 'before, PGlite, one collection',
          spread: false,
          needs: 'none',
          start: server('livecrud', 'pglite:memory', BEFORE),
        },
      )
    }
    const up = { pg: await reachable('pg'), redis: await reachable('redis'), none: true }
    const live = contenders.filter((c) => up[c.needs])
    for (const c of contenders)
      if (!up[c.needs]) console.warn(`write load: ${c.name} skipped (${c.needs} is not reachable)`)
    const procs = new Map<Contender, ListeningProcess>()
    const tallies = new Map<string, Tally>()
    try {
      for (const c of live) procs.set(c, await c.start())
      for (let round = 0; round < rounds; round++)
        for (const clients of [8, 32])
          for (const c of live) {
            const p = procs.get(c)!
            const t = await load(
              p.url,
              p.child.pid!,
              clients,
              c.spread,
              seconds,
              `r${round}_${clients}`,
              c.collection,
            )
            const key = `${c.name}|${clients}`
            tallies.set(key, merge(tallies.get(key), t))
          }
    } finally {
      await Promise.all([...procs.values()].map((p) => p.stop()))
      if (up.pg) {
        const client = new pg.Client(PG_URL)
        await client.connect()
        await client.query(
          `DROP SCHEMA IF EXISTS "${schema}" CASCADE; DROP SCHEMA IF EXISTS "${schema}_base" CASCADE; DROP SCHEMA IF EXISTS "${schema}_before" CASCADE; DROP SCHEMA IF EXISTS "${schema}_spread" CASCADE;
           DROP SCHEMA IF EXISTS "${schema}_tbl" CASCADE; DROP SCHEMA IF EXISTS "${schema}_tbl_app" CASCADE`,
        )
        await client.end()
      }
      if (up.redis) await dropRedisPrefix(REDIS_URL, prefix)
    }

    const rows: BenchRow[] = []
    for (const clients of [8, 32]) {
      const base = tallies.get(`${BASELINE}|${clients}`)
      const baseRate = base ? base.writes / base.seconds : undefined
      const baseP99 = base ? quantile(base.latencies, 0.99) : undefined
      for (const c of live) {
        const t = tallies.get(`${c.name}|${clients}`)!
        const rate = t.writes / t.seconds
        const p99 = quantile(t.latencies, 0.99)
        const row: BenchRow = {
          name: `write load: ${c.name}, ${clients} writers`,
          value: Math.round(rate),
          unit: 'ops/s',
          extra: {
            p50: +quantile(t.latencies, 0.5).toFixed(2),
            p99: +p99.toFixed(2),
            'cpu ms/write': +(t.cpuMs / Math.max(1, t.writes)).toFixed(3),
            errors: t.errors,
          },
        }
        if (c.name !== BASELINE && baseRate !== undefined && baseP99 !== undefined) {
          row.baseline = { name: BASELINE, value: Math.round(baseRate) }
          row.extra!['p99 ÷ baseline'] = +(p99 / baseP99).toFixed(2)
          if (c.name.includes('PostgreSQL') && !c.collection && clients === 32) {
            const need = c.spread ? 0.8 : 0.6
            row.target = c.spread ? '≥ 0.8× writes/s' : '≥ 0.6× writes/s, p99 ≤ 2×'
            row.met = rate >= need * baseRate && (c.spread || p99 <= 2 * baseP99)
          }
        }
        rows.push(row)
      }
    }
    return rows
  },
}
