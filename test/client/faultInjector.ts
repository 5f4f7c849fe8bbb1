import type { Server, Socket } from 'socket.io'

export interface FaultRates {
  /** Per push event. */
  dropEvent: number
  duplicateEvent: number
  /** Delay a push event by up to `maxDelayMs`: later events overtake it (reordering). */
  delayEvent: number
  /** Per write request: the request is lost before the server sees it. */
  dropRequest: number
  /** Per write request: the server commits but its ack is lost. */
  dropAck: number
  /** Per tick (every `tickMs`): one random connection's transport is closed. */
  disconnect: number
  maxDelayMs: number
  tickMs: number
}

export interface FaultCounts {
  droppedEvents: number
  duplicatedEvents: number
  delayedEvents: number
  droppedRequests: number
  droppedAcks: number
  disconnects: number
}

/** An encoded socket.io EVENT packet of the default namespace carrying a push (no ack id). */
const PUSH = /^2\["(ADDED|CHANGED|REMOVED)"/

function isPush(packets: unknown): boolean {
  const first: unknown = Array.isArray(packets) ? packets[0] : packets
  return typeof first === 'string' && PUSH.test(first)
}
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * A transport-level nemesis on the server's sockets: it loses, duplicates and reorders push events,
 * loses write requests and acks, and cuts connections. Everything it does is counted; `stop()` ends
 * all faults (pending delayed deliveries still go out).
 */
export class FaultInjector {
  readonly counts: FaultCounts = {
    droppedEvents: 0,
    duplicatedEvents: 0,
    delayedEvents: 0,
    droppedRequests: 0,
    droppedAcks: 0,
    disconnects: 0,
  }
  private active = true
  private readonly timer: ReturnType<typeof setInterval>
  private readonly pending = new Set<ReturnType<typeof setTimeout>>()

  constructor(
    private readonly io: Server,
    private readonly rates: FaultRates,
    private readonly random: () => number,
  ) {
    io.on('connection', (socket) => this.wrap(socket))
    this.timer = setInterval(() => this.tick(), rates.tickMs)
  }

  stop(): void {
    this.active = false
    clearInterval(this.timer)
  }

  async drain(): Promise<void> {
    while (this.pending.size) await new Promise((r) => setTimeout(r, 5))
  }

  private chance(p: number): boolean {
    return this.active && this.random() < p
  }

  private wrap(socket: Socket): void {
    // Below socket.emit: the server also pushes one event to many sockets as a single broadcast,
    // which reaches each connection here, already encoded.
    const client = socket.client as unknown as {
      writeToEngine(packets: unknown, opts: unknown): void
    }
    const write = client.writeToEngine.bind(client)
    client.writeToEngine = (packets: unknown, opts: unknown) => {
      if (!isPush(packets)) return write(packets, opts)
      if (this.chance(this.rates.dropEvent)) {
        this.counts.droppedEvents++
        return
      }
      if (this.chance(this.rates.duplicateEvent)) {
        this.counts.duplicatedEvents++
        write(packets, opts)
      }
      if (this.chance(this.rates.delayEvent)) {
        this.counts.delayedEvents++
        const t = setTimeout(
          () => {
            this.pending.delete(t)
            write(packets, opts)
          },
          1 + this.random() * this.rates.maxDelayMs,
        )
        this.pending.add(t)
        return
      }
      write(packets, opts)
    }
    socket.use((packet, next) => {
      if (!WRITES.has(String(packet[0]))) return next()
      if (this.chance(this.rates.dropRequest)) {
        this.counts.droppedRequests++
        return
      }
      if (this.chance(this.rates.dropAck)) {
        this.counts.droppedAcks++
        packet[packet.length - 1] = () => {}
      }
      next()
    })
  }

  private tick(): void {
    if (!this.chance(this.rates.disconnect)) return
    const sockets = [...this.io.sockets.sockets.values()]
    const victim = sockets[Math.floor(this.random() * sockets.length)]
    if (!victim) return
    this.counts.disconnects++
    victim.conn.close()
  }
}

/** Deterministic PRNG (mulberry32) so a failing chaos run can be replayed from its seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
