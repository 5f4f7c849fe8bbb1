import net from 'node:net'

export interface ProxyTarget {
  host: string
  port: number
}

export interface FaultCounts {
  connections: number
  /** Both legs of a connection destroyed at once. */
  cuts: number
  /** Bytes held both ways for a while, then delivered. */
  stalls: number
  /** New connections reset at once while refusing. */
  refused: number
  /** Connections whose client leg was reset while bytes it had sent were still held. */
  late: number
  /** Held chunks that reached the server after their client had gone. */
  lateChunks: number
}

/** One proxied TCP connection: the client's leg and the server's leg. */
export interface Pair {
  client: net.Socket
  server: net.Socket
  /** Non-null while client → server bytes are held (stall, late delivery). */
  up: Buffer[] | null
  /** Non-null while server → client bytes are held (stall). */
  down: Buffer[] | null
  /** The client leg is gone; the server leg lives on until the held bytes are delivered. */
  orphaned: boolean
  /** A fault is running on this pair: another one waits its turn. */
  busy: boolean
}

/**
 * A TCP proxy between one client and the server(s), with faults a real network has: cut every
 * connection, stall bytes both ways, refuse new connections, and late delivery — the client's leg
 * is reset while bytes it had already sent are held and reach the server afterwards on the old
 * leg (by then the client may have reconnected, elsewhere, and retried).
 *
 * `target` is asked once per connection, so a proxy can pin a server or pick one at random; when it
 * answers undefined the connection is refused. Everything it does is counted.
 */
export class FaultProxy {
  readonly counts: FaultCounts = {
    connections: 0,
    cuts: 0,
    stalls: 0,
    refused: 0,
    late: 0,
    lateChunks: 0,
  }
  private readonly pairs = new Set<Pair>()
  private refusingUntil = 0
  private closed = false
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()

  private constructor(
    private readonly listener: net.Server,
    private readonly target: () => ProxyTarget | undefined,
  ) {}

  static async start(target: () => ProxyTarget | undefined): Promise<FaultProxy> {
    const listener = net.createServer()
    const proxy = new FaultProxy(listener, target)
    listener.on('connection', (socket) => proxy.accept(socket))
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
    return proxy
  }

  get url(): string {
    return `http://127.0.0.1:${(this.listener.address() as net.AddressInfo).port}`
  }

  /** Connections whose client leg is still open. */
  get open(): number {
    let n = 0
    for (const p of this.pairs) if (!p.orphaned) n++
    return n
  }

  /** No fault is running: nothing is held and no orphaned leg waits to deliver. */
  get idle(): boolean {
    for (const p of this.pairs) if (p.busy || p.orphaned) return false
    return true
  }

  private accept(client: net.Socket): void {
    client.on('error', () => {})
    const to = this.closed || Date.now() < this.refusingUntil ? undefined : this.target()
    if (!to) {
      this.counts.refused++
      client.resetAndDestroy()
      return
    }
    this.counts.connections++
    client.setNoDelay(true)
    const server = net.connect({ host: to.host, port: to.port })
    server.setNoDelay(true)
    server.on('error', () => {})
    const pair: Pair = { client, server, up: null, down: null, orphaned: false, busy: false }
    this.pairs.add(pair)
    client.on('data', (chunk: Buffer) => {
      if (pair.up) pair.up.push(chunk)
      else server.write(chunk) // queued by node while still connecting
    })
    server.on('data', (chunk: Buffer) => {
      if (pair.orphaned) return
      if (pair.down) pair.down.push(chunk)
      else client.write(chunk)
    })
    client.on('close', () => {
      if (!pair.orphaned) this.drop(pair)
    })
    server.on('close', () => this.drop(pair))
  }

  private drop(pair: Pair): void {
    this.pairs.delete(pair)
    pair.client.destroy()
    pair.server.destroy()
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t)
      if (!this.closed) fn()
    }, ms)
    this.timers.add(t)
  }

  private live(): Pair[] {
    return [...this.pairs].filter((p) => !p.orphaned && !p.busy)
  }

  /** Resets both legs of every open connection; returns how many. */
  cut(): number {
    let n = 0
    for (const p of this.live()) {
      n++
      p.client.resetAndDestroy()
      p.server.destroy()
      this.pairs.delete(p)
    }
    this.counts.cuts += n
    return n
  }

  /** Holds bytes both ways on every open connection for `ms`, then delivers them in order. */
  stall(ms: number): void {
    for (const p of this.live()) {
      this.counts.stalls++
      p.busy = true
      p.up = []
      p.down = []
      this.later(ms, () => {
        const up = p.up ?? []
        const down = p.down ?? []
        p.up = p.down = null
        p.busy = false
        for (const c of up) p.server.write(c)
        if (!p.orphaned) for (const c of down) p.client.write(c)
      })
    }
  }

  /** New connections are reset at once for `ms` (open ones are left alone). */
  refuse(ms: number): void {
    this.refusingUntil = Math.max(this.refusingUntil, Date.now() + ms)
  }

  /**
   * Late delivery on every open connection: client → server bytes are held for `holdMs`, then the
   * client's leg is reset, and the held bytes reach the server `lateMs` after that, on the old leg,
   * which is closed `graceMs` later.
   */
  late(holdMs: number, lateMs: number, graceMs = 1_000): void {
    const pairs = this.holdUpstream()
    this.later(holdMs, () => {
      this.orphan(pairs)
      this.later(lateMs, () => this.release(pairs, graceMs))
    })
  }

  // The three steps of `late`, for tests that order them by events instead of time.

  /** Starts holding the client → server bytes of every open connection; returns them. */
  holdUpstream(): Pair[] {
    const pairs = this.live()
    for (const p of pairs) {
      p.busy = true
      p.up = []
    }
    return pairs
  }

  /** Bytes held so far on these connections (default: all). */
  heldBytes(pairs: Iterable<Pair> = this.pairs): number {
    let n = 0
    for (const p of pairs) for (const c of p.up ?? []) n += c.length
    return n
  }

  /** Resets the client legs of `pairs`; their server legs stay open with what is held. */
  orphan(pairs: Pair[]): void {
    for (const p of pairs) {
      if (p.orphaned || !this.pairs.has(p)) continue
      p.orphaned = true
      this.counts.late++
      p.client.resetAndDestroy()
    }
  }

  /** Delivers what `pairs` hold to the server, then closes their server legs after `graceMs`. */
  release(pairs: Pair[], graceMs = 1_000): void {
    for (const p of pairs) {
      const up = p.up ?? []
      p.up = null
      p.busy = false
      if (!this.pairs.has(p)) continue
      if (p.orphaned) this.counts.lateChunks += up.length
      for (const c of up) p.server.write(c)
      if (p.orphaned) this.later(graceMs, () => this.drop(p))
    }
  }

  async close(): Promise<void> {
    this.closed = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    for (const p of [...this.pairs]) this.drop(p)
    await new Promise<void>((resolve) => this.listener.close(() => resolve()))
  }
}
