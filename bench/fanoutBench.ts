/**
 * Fan-out latency: one write reaches N clients spread over 2 livecrud server processes sharing one
 * PostgreSQL schema (write → commit → NOTIFY → each process reads the change log → emits CHANGED to
 * its subscribers), against socket.io broadcast alone: 2 bare socket.io processes, each told by the
 * writer to broadcast the same event to its half of the same number of clients. Latency = time from
 * the writer's emit to a client's handler, per client and per write, all in this process' clock. Both
 * sides stay connected for the whole run and their writes alternate (see `measurePair`).
 */
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { io, type Socket } from 'socket.io-client'
import { feedRows } from './fanoutFeed.js'
import { bareServer, livecrudServer, type Child } from './fanoutProcesses.js'
import { median, quantile, type BenchRow, type BenchSuite } from './lib.js'

const PG_URL = process.env.LIVECRUD_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const COLLECTION = 'todos'
const ITEM_ID = 'bench-item'

interface Round {
  t0: number
  latencies: number[]
  done: () => void
}

/** Clients and the rounds they report into, keyed by the event's seq. */
class Audience {
  readonly sockets: Socket[] = []
  readonly rounds = new Map<number, Round>()

  async connect(urls: string[], n: number, subscribe: boolean): Promise<void> {
    const batch = 100
    for (let i = 0; i < n; i += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, n - i) }, (_, k) =>
          this.one(urls[(i + k) % urls.length]!, `c${i + k}`, subscribe),
        ),
      )
    }
  }

  private async one(url: string, clientId: string, subscribe: boolean): Promise<void> {
    const socket = io(url, {
      transports: ['websocket'],
      auth: { clientId },
      reconnection: false,
      forceNew: true,
    })
    this.sockets.push(socket)
    socket.on('CHANGED', (_c: string, _id: string, _ops: unknown, meta: { seq: number }) => {
      const round = this.rounds.get(meta.seq)
      if (!round) return
      round.latencies.push(performance.now() - round.t0)
      if (round.latencies.length === this.sockets.length) round.done()
    })
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('connect_error', reject)
    })
    if (subscribe)
      await new Promise<void>((resolve, reject) =>
        socket
          .timeout(30_000)
          .emit('SUBSCRIBE', COLLECTION, {}, (t: Error | null, e: unknown) =>
            t || e ? reject(t ?? new Error(JSON.stringify(e))) : resolve(),
          ),
      )
  }

  /** Starts round `seq`, runs `fire`, waits for every client (bounded); returns the latencies. */
  async round(seq: number, fire: () => void): Promise<number[]> {
    let done!: () => void
    const all = new Promise<void>((r) => (done = r))
    const round: Round = { t0: performance.now(), latencies: [], done }
    this.rounds.set(seq, round)
    fire()
    const timeout = new Promise<void>((r) => setTimeout(r, 15_000))
    await Promise.race([all, timeout])
    this.rounds.delete(seq)
    if (round.latencies.length < this.sockets.length)
      throw new Error(
        `round ${seq}: ${round.latencies.length}/${this.sockets.length} clients got it`,
      )
    return round.latencies
  }

  close(): void {
    for (const s of this.sockets) s.disconnect()
    this.sockets.length = 0
  }
}

function connectWriter(url: string): Promise<Socket> {
  const socket = io(url, {
    transports: ['websocket'],
    auth: { clientId: 'writer' },
    forceNew: true,
  })
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket))
    socket.once('connect_error', reject)
  })
}

function ack(socket: Socket, event: string, ...args: unknown[]): Promise<unknown[]> {
  return new Promise((resolve, reject) =>
    socket
      .timeout(15_000)
      .emit(event, ...args, (t: Error | null, ...rest: unknown[]) =>
        t ? reject(t) : rest[0] ? reject(new Error(JSON.stringify(rest[0]))) : resolve(rest),
      ),
  )
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * CPU time (user + system) the server processes used so far, ms; NaN where /proc is missing.
 * Unlike latency, it hardly moves when other work shares the machine.
 */
function serverCpuMs(servers: Child[]): number {
  try {
    let ticks = 0
    for (const s of servers) {
      const fields = readFileSync(`/proc/${s.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
    }
    return ticks * 10 // USER_HZ is 100 on Linux
  } catch {
    return NaN
  }
}

interface Measured {
  latencies: number[]
  /** Each write's own p99 over its clients. */
  writeP99s: number[]
  /** Server CPU (all processes) per write, ms. */
  cpuPerWrite: number
}

/** One side of the comparison, set up and ready: `write(i)` runs one timed write. */
interface Contender {
  write(i: number): Promise<number[]>
  servers: Child[]
  close(): Promise<void>
}

async function livecrudContender(clients: number): Promise<Contender> {
  const schema = `bench_fanout_${process.pid}_${clients}`
  const db = `${PG_URL}?schema=${schema}`
  const servers: Child[] = []
  const audience = new Audience()
  let writer: Socket | null = null
  const close = async () => {
    audience.close()
    writer?.disconnect()
    await Promise.all(servers.map((s) => s.stop()))
    const admin = new pg.Client({ connectionString: PG_URL })
    await admin.connect()
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await admin.end()
  }
  try {
    servers.push(await livecrudServer(db), await livecrudServer(db))
    writer = await connectWriter(servers[0]!.url)
    await ack(
      writer,
      'POST',
      COLLECTION,
      { id: ITEM_ID, n: 0, title: 'fan-out' },
      { mutationId: 'seed' },
    )
    await audience.connect(
      servers.map((s) => s.url),
      clients,
      true,
    )
  } catch (error) {
    await close()
    throw error
  }
  const w = writer
  return {
    servers,
    close,
    // The seq write i gets: one writer, so it is the previous seq + 1 (the seed was 1).
    write: (i) =>
      audience.round(i + 1, () => {
        w.emit('PATCH', COLLECTION, { id: ITEM_ID, n: i }, { mutationId: `w${i}` }, () => {})
      }),
  }
}

async function broadcastContender(clients: number): Promise<Contender> {
  const servers: Child[] = []
  const audience = new Audience()
  const writers: Socket[] = []
  const close = async () => {
    audience.close()
    for (const w of writers) w.disconnect()
    await Promise.all(servers.map((s) => s.stop()))
  }
  try {
    servers.push(await bareServer(), await bareServer())
    writers.push(...(await Promise.all(servers.map((s) => connectWriter(s.url)))))
    await audience.connect(
      servers.map((s) => s.url),
      clients,
      false,
    )
  } catch (error) {
    await close()
    throw error
  }
  return {
    servers,
    close,
    write: (i) =>
      audience.round(i, () => {
        const ops = [{ op: 'replace', path: '/n', value: i }]
        const meta = { seq: i, prevSeq: i - 1, version: i + 1 }
        for (const w of writers) w.emit('FIRE', COLLECTION, ITEM_ID, ops, meta)
      }),
  }
}

/**
 * Both sides connected at once, their writes alternating (livecrud first on odd rounds, the
 * baseline first on even ones): noise on the shared machine then lands on both alike, where
 * measuring one side after the other let a slow minute decide the p99 ratio.
 */
async function measurePair(
  clients: number,
  writes: number,
  warmup: number,
): Promise<{ live: Measured; base: Measured }> {
  const base = await broadcastContender(clients)
  let live: Contender | undefined
  try {
    live = await livecrudContender(clients)
    const out = new Map<Contender, { latencies: number[]; writeP99s: number[]; cpu: number }>([
      [live, { latencies: [], writeP99s: [], cpu: 0 }],
      [base, { latencies: [], writeP99s: [], cpu: 0 }],
    ])
    for (let i = 1; i <= warmup + writes; i++) {
      const order = i % 2 === 1 ? [live, base] : [base, live]
      for (const c of order) {
        const o = out.get(c)!
        // This process holds both audiences' sockets: a GC of its own, landing inside one side's
        // round, would be charged to that side. Collect between rounds instead (bench/index.ts runs
        // suites with --expose-gc).
        ;(globalThis as { gc?: () => void }).gc?.()
        const cpu0 = serverCpuMs(c.servers)
        const lat = await c.write(i)
        if (i > warmup) {
          o.latencies.push(...lat)
          o.writeP99s.push(quantile(lat, 0.99))
          await pause(PAUSE_MS) // the write's own trailing work (change log, acks) counts as its CPU
          o.cpu += serverCpuMs(c.servers) - cpu0
        } else {
          await pause(PAUSE_MS)
        }
      }
    }
    const measured = (c: Contender): Measured => ({
      latencies: out.get(c)!.latencies,
      writeP99s: out.get(c)!.writeP99s,
      cpuPerWrite: out.get(c)!.cpu / writes,
    })
    return { live: measured(live), base: measured(base) }
  } finally {
    await live?.close()
    await base.close()
  }
}

/** Quiet time after each write, so one write's tail does not overlap the next one's timing. */
const PAUSE_MS = 50

export const fanoutBench: BenchSuite = {
  name: 'fan-out across 2 server processes (PostgreSQL)',
  async run({ quick }) {
    const sizes = quick ? [200, 500] : [1_000, 5_000]
    // Enough writes that the p99 over every delivery is not just the one slowest write's tail.
    const writes = quick ? 8 : 150
    const warmup = 3
    const rows: BenchRow[] = await feedRows(quick)
    for (const n of sizes) {
      const pair = await measurePair(n, writes, warmup)
      const { latencies: live, cpuPerWrite: cpu } = pair.live
      const { latencies: base, cpuPerWrite: baseCpu } = pair.base
      const p99 = quantile(live, 0.99)
      const baseP99 = quantile(base, 0.99)
      rows.push({
        name: `fan-out: 1 write → ${n.toLocaleString('en')} clients, 2 processes, PostgreSQL`,
        value: median(live),
        unit: 'ms',
        baseline: {
          name: `socket.io broadcast, ${n.toLocaleString('en')} clients, 2 processes`,
          value: median(base),
        },
        extra: {
          p99,
          'baseline p99': baseP99,
          'p99 ratio': p99 / baseP99,
          'per-write p99, median of writes': median(pair.live.writeP99s),
          'baseline per-write p99, median of writes': median(pair.base.writeP99s),
          'per-write p99 ratio': median(pair.live.writeP99s) / median(pair.base.writeP99s),
          'server CPU ms/write': cpu,
          'baseline server CPU ms/write': baseCpu,
          writes,
          samples: live.length,
        },
        target: 'p99 within 1.3× of socket.io broadcast',
        met: p99 <= 1.3 * baseP99,
      })
      console.error(
        `fanout ${n}: livecrud p50 ${median(live).toFixed(2)} p99 ${p99.toFixed(2)} ms; broadcast p50 ${median(base).toFixed(2)} p99 ${baseP99.toFixed(2)} ms; server CPU/write ${cpu.toFixed(1)} vs ${baseCpu.toFixed(1)} ms`,
      )
    }
    return rows
  },
}
