/**
 * livecrud against its closest peer, Feathers v5 over socket.io, and against raw socket.io (the
 * limit), each server in its own process on 127.0.0.1 with a memory store and ~200-byte items
 * (bench/peerContenders.ts). The contenders are interleaved in rotating order, round after round:
 *
 * 1. get round trip; create round trip; create on client A → the event at client B (A and B both
 *    subscribed: Feathers publishes every event to every connection, raw socket.io `io.emit`s it,
 *    livecrud sends it to every subscriber); the server's CPU per write with these 2 subscribers.
 * 2. CPU of a client in its own process per event it receives (its library's whole path: socket.io
 *    decoding, the library, one listener), the writes coming from A.
 * 3. One create fanned out to 500 bare socket.io receivers (no client library: these rows measure
 *    the server) besides A and B: latency of every delivery, of the last one per write, and the
 *    server's CPU per write.
 *
 * The livecrud server runs with `limits.maxRequestsPerSecond` raised (see startPeerServer): its
 * default of 200 requests/s per connection would refuse a benchmark's back-to-back requests.
 * bench/peerProfile.ts profiles one contender's server and receiving client on the same paths.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import type { Socket } from 'socket.io-client'
import { ROOT } from '../scripts/spawnListening.js'
import { median, quantile, type BenchRow, type BenchSuite } from './lib.js'
import {
  connectPeerClient,
  connectReceiver,
  KINDS,
  makeItem,
  type Kind,
  type PeerClient,
} from './peerContenders.js'

interface CpuReply {
  cpu: number
  count: number
}

/** A child of bench/peerProcess.ts. */
export class Child {
  private waiting: ((reply: CpuReply) => void)[] = []
  private profiled: (() => void)[] = []
  url = ''

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: { type: string } & CpuReply) => {
      if (m.type === 'cpu') this.waiting.shift()?.(m)
      else if (m.type === 'profiled') this.profiled.shift()?.()
    })
  }

  static start(args: string[]): Promise<Child> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/peerProcess.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const c = new Child(child)
    return new Promise((resolve, reject) => {
      child.once('message', (m: { type: string; url?: string }) => {
        c.url = m.url ?? ''
        resolve(c)
      })
      child.once('exit', (code) => reject(new Error(`peerProcess ${args.join(' ')}: exit ${code}`)))
    })
  }

  /** CPU µs used so far; with `atCount`, answered once the child has counted that many items. */
  cpu(atCount?: number): Promise<CpuReply> {
    return new Promise((resolve) => {
      this.waiting.push(resolve)
      this.child.send({ type: 'cpu', atCount })
    })
  }

  /** Starts the child's CPU profiler (`dir`), or stops it and writes the profile into that dir. */
  profile(dir?: string): Promise<void> {
    return new Promise((resolve) => {
      this.profiled.push(resolve)
      this.child.send({ type: 'profile', dir })
    })
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve()
      const force = setTimeout(() => this.child.kill('SIGKILL'), 10_000)
      this.child.once('exit', () => {
        clearTimeout(force)
        resolve()
      })
      this.child.send({ type: 'stop' })
    })
  }
}

/** Resolves ids as they arrive, recording when. */
class Arrivals {
  private readonly waiters = new Map<string, () => void>()
  readonly at = new Map<string, number>()

  seen = (id: string): void => {
    this.at.set(id, performance.now())
    const w = this.waiters.get(id)
    if (w) {
      this.waiters.delete(id)
      w()
    }
  }

  wait(id: string): Promise<void> {
    if (this.at.has(id)) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${id} never arrived`)), 15_000)
      this.waiters.set(id, () => {
        clearTimeout(timer)
        resolve()
      })
    })
  }
}

export interface Side {
  kind: Kind
  server: Child
  a: PeerClient
  b: PeerClient
  atB: Arrivals
  echoAtA: Arrivals
  n: number
}

export async function side(kind: Kind): Promise<Side> {
  const server = await Child.start(['server', kind])
  const a = await connectPeerClient(kind, server.url)
  const b = await connectPeerClient(kind, server.url)
  const atB = new Arrivals()
  const echoAtA = new Arrivals()
  b.onCreated(atB.seen)
  a.onEcho(echoAtA.seen)
  return { kind, server, a, b, atB, echoAtA, n: 0 }
}

/** One create from A, resolved when A has its answer and its echo and B its event. */
export async function createOnce(s: Side): Promise<{ ack: number; event: number }> {
  const id = `${s.kind}-${++s.n}`
  const t0 = performance.now()
  let ack = 0
  await Promise.all([
    s.a.create(makeItem(id, s.n)).then(() => (ack = performance.now() - t0)),
    s.atB.wait(id),
    s.echoAtA.wait(id),
  ])
  const event = s.atB.at.get(id)! - t0
  s.atB.at.delete(id)
  s.echoAtA.at.delete(id)
  return { ack, event }
}

interface Samples {
  get: number[]
  create: number[]
  event: number[]
  cpuPerWrite: number[]
  clientCpuPerEvent: number[]
  fanout: number[]
  fanoutLast: number[]
  fanoutFirst: number[]
  fanoutCpu: number[]
}

const empty = (): Samples => ({
  get: [],
  create: [],
  event: [],
  cpuPerWrite: [],
  clientCpuPerEvent: [],
  fanout: [],
  fanoutLast: [],
  fanoutFirst: [],
  fanoutCpu: [],
})

/** Contender order of round r: A B C, B C A, C A B, … */
const rotated = <T>(xs: T[], r: number) => xs.map((_, k) => xs[(r + k) % xs.length]!)

async function roundTrips(s: Side, out: Samples, gets: number, writes: number): Promise<void> {
  const seed = `${s.kind}-seed`
  for (let i = 0; i < gets; i++) {
    const t0 = performance.now()
    await s.a.get(seed)
    out.get.push(performance.now() - t0)
  }
  const c0 = await s.server.cpu()
  for (let i = 0; i < writes; i++) {
    const { ack, event } = await createOnce(s)
    out.create.push(ack)
    out.event.push(event)
  }
  const c1 = await s.server.cpu()
  out.cpuPerWrite.push((c1.cpu - c0.cpu) / 1000 / writes)
}

async function clientCpu(s: Side, receiver: Child, out: Samples, writes: number): Promise<void> {
  const c0 = await receiver.cpu()
  for (let i = 0; i < writes; i++) await createOnce(s)
  const c1 = await receiver.cpu(c0.count + writes)
  if (c1.count - c0.count !== writes)
    throw new Error(`${s.kind} receiver counted ${c1.count - c0.count} of ${writes} events`)
  out.clientCpuPerEvent.push((c1.cpu - c0.cpu) / (c1.count - c0.count))
}

class Audience {
  readonly sockets: Socket[] = []
  private expected = ''
  private t0 = 0
  private got: number[] = []
  private done: (() => void) | null = null

  async connect(kind: Kind, url: string, n: number): Promise<void> {
    for (let i = 0; i < n; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, n - i) }, (_, k) =>
          connectReceiver(kind, url, `r-${i + k}`, this.onEvent),
        ),
      )
      this.sockets.push(...batch)
    }
  }

  private onEvent = (id: string): void => {
    if (id !== this.expected) return
    this.got.push(performance.now() - this.t0)
    if (this.got.length === this.sockets.length) this.done?.()
  }

  /** Runs one write; resolves with every receiver's latency once all have it. */
  async round(id: string, t0: number, write: Promise<unknown>): Promise<number[]> {
    this.expected = id
    this.t0 = t0
    this.got = []
    const all = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${id}: ${this.got.length}/${this.sockets.length} received`)),
        15_000,
      )
      this.done = () => {
        clearTimeout(timer)
        resolve()
      }
    })
    await Promise.all([all, write])
    this.done = null
    return this.got
  }

  close(): void {
    for (const s of this.sockets) s.disconnect()
  }
}

async function fanoutWrites(
  s: Side,
  audience: Audience,
  out: Samples,
  writes: number,
): Promise<void> {
  const c0 = await s.server.cpu()
  for (let i = 0; i < writes; i++) {
    const id = `${s.kind}-${++s.n}`
    const t0 = performance.now()
    const write = Promise.all([s.a.create(makeItem(id, s.n)), s.atB.wait(id), s.echoAtA.wait(id)])
    const latencies = await audience.round(id, t0, write)
    s.atB.at.delete(id)
    s.echoAtA.at.delete(id)
    out.fanout.push(...latencies)
    out.fanoutLast.push(Math.max(...latencies))
    out.fanoutFirst.push(Math.min(...latencies))
  }
  const c1 = await s.server.cpu()
  out.fanoutCpu.push((c1.cpu - c0.cpu) / 1000 / writes)
}

const RECEIVERS = 500

export const peerBench: BenchSuite = {
  name: 'peer',
  async run({ quick }) {
    const n = quick
      ? { rounds: 4, gets: 200, writes: 100, cpuWrites: 200, fanRounds: 4, fanWrites: 10 }
      : { rounds: 10, gets: 500, writes: 200, cpuWrites: 300, fanRounds: 8, fanWrites: 20 }
    const sides: Side[] = []
    const receivers = new Map<Kind, Child>()
    const audiences = new Map<Kind, Audience>()
    const samples = new Map<Kind, Samples>(KINDS.map((k) => [k, empty()]))
    try {
      for (const kind of KINDS) sides.push(await side(kind))
      for (const s of sides) {
        await s.a.create(makeItem(`${s.kind}-seed`, 0))
        // Warm-up: JIT, socket.io upgrade to WebSocket, the servers' maps.
        const warm = empty()
        await roundTrips(s, warm, 1000, 500)
      }
      console.error('peer: round trips…')
      for (let r = 0; r < n.rounds; r++)
        for (const s of rotated(sides, r))
          await roundTrips(s, samples.get(s.kind)!, n.gets, n.writes)

      console.error('peer: client CPU per event…')
      for (const s of sides)
        receivers.set(s.kind, await Child.start(['receiver', s.kind, s.server.url]))
      for (const s of sides) await clientCpu(s, receivers.get(s.kind)!, empty(), 300)
      for (let r = 0; r < n.rounds; r++)
        for (const s of rotated(sides, r))
          await clientCpu(s, receivers.get(s.kind)!, samples.get(s.kind)!, n.cpuWrites)
      for (const c of receivers.values()) await c.stop()
      receivers.clear()

      console.error(`peer: fan-out to ${RECEIVERS} clients…`)
      for (const s of sides) {
        const audience = new Audience()
        audiences.set(s.kind, audience)
        await audience.connect(s.kind, s.server.url, RECEIVERS)
        await fanoutWrites(s, audience, empty(), 10)
      }
      for (let r = 0; r < n.fanRounds; r++)
        for (const s of rotated(sides, r))
          await fanoutWrites(s, audiences.get(s.kind)!, samples.get(s.kind)!, n.fanWrites)
    } finally {
      for (const a of audiences.values()) a.close()
      for (const c of receivers.values()) await c.stop()
      for (const s of sides) {
        s.a.close()
        s.b.close()
        await s.server.stop()
      }
    }
    return rows(samples)
  },
}

function rows(samples: Map<Kind, Samples>): BenchRow[] {
  const l = samples.get('livecrud')!
  const f = samples.get('feathers')!
  const raw = samples.get('raw')!
  const row = (
    name: string,
    pick: (s: Samples) => number,
    unit: BenchRow['unit'],
    n: number,
    rawTarget?: number,
  ): BenchRow => {
    const value = pick(l)
    const feathers = pick(f)
    const bare = pick(raw)
    const vsRaw = value / bare
    const met = value <= feathers && (rawTarget === undefined || vsRaw <= rawTarget)
    return {
      name: `peer: ${name}`,
      value,
      unit,
      baseline: { name: 'Feathers 5', value: feathers },
      extra: { 'raw socket.io': bare, 'vs raw': `${vsRaw.toFixed(2)}×`, samples: n },
      target: `≤ 1.0× Feathers${rawTarget ? `, ≤ ${rawTarget}× raw socket.io` : ''}`,
      met,
    }
  }
  const p50 = (k: keyof Samples) => (s: Samples) => median(s[k])
  const p99 = (k: keyof Samples) => (s: Samples) => quantile(s[k], 0.99)
  return [
    row('get round trip p50', p50('get'), 'ms', l.get.length),
    row('get round trip p99', p99('get'), 'ms', l.get.length),
    row('create round trip p50', p50('create'), 'ms', l.create.length),
    row('create round trip p99', p99('create'), 'ms', l.create.length),
    row('create on A → event on B p50', p50('event'), 'ms', l.event.length, 1.3),
    row('create on A → event on B p99', p99('event'), 'ms', l.event.length),
    row('server CPU per write, 2 subscribers', p50('cpuPerWrite'), 'ms', l.cpuPerWrite.length),
    row(
      `fan-out to ${RECEIVERS} clients, all deliveries p50`,
      p50('fanout'),
      'ms',
      l.fanout.length,
    ),
    row(
      `fan-out to ${RECEIVERS} clients, all deliveries p99`,
      p99('fanout'),
      'ms',
      l.fanout.length,
    ),
    row(
      `fan-out to ${RECEIVERS}: first client per write`,
      p50('fanoutFirst'),
      'ms',
      l.fanoutFirst.length,
    ),
    row(
      `fan-out to ${RECEIVERS}: last client per write`,
      p50('fanoutLast'),
      'ms',
      l.fanoutLast.length,
    ),
    row('server CPU per fan-out write', p50('fanoutCpu'), 'ms', l.fanoutCpu.length),
    row(
      'client CPU per received event',
      (s) => median(s.clientCpuPerEvent),
      'µs',
      l.clientCpuPerEvent.length,
    ),
  ]
}
