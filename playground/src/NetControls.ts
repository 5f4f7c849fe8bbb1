import type { Socket } from 'socket.io-client'

export interface NetState {
  /** The user (or the browser going offline) asked for no connection. */
  offline: boolean
  /** Added to every packet, each way. */
  latencyMs: number
  drops: number
}

type PacketFn = (packet: { type: number }) => void
// socket.io's private per-packet hooks: the one place where every event, ack included, passes.
interface SocketInternals {
  packet: PacketFn
  onpacket: PacketFn
}

// Packet types EVENT, ACK, BINARY_EVENT, BINARY_ACK: connect/disconnect packets are never delayed.
const DELAYED = new Set([2, 3, 5, 6])

/** Devtools network controls for one client's socket: go offline, add latency, drop the transport. */
export class NetControls {
  private state: NetState = { offline: false, latencyMs: 0, drops: 0 }
  private readonly listeners = new Set<() => void>()

  constructor(private readonly socket: Socket) {
    const internals = socket as unknown as SocketInternals
    internals.packet = this.delayed(internals.packet.bind(socket))
    internals.onpacket = this.delayed(internals.onpacket.bind(socket))
    // Chromium keeps an open WebSocket alive when the network goes offline, so follow the browser's
    // own signal the way a real app would.
    window.addEventListener('offline', () => this.setOffline(true))
    window.addEventListener('online', () => this.setOffline(false))
  }

  getState = (): NetState => this.state

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  setOffline(offline: boolean): void {
    if (offline === this.state.offline) return
    this.update({ offline })
    if (offline) this.socket.disconnect()
    else this.socket.connect()
  }

  setLatency(latencyMs: number): void {
    this.update({ latencyMs: Math.max(0, latencyMs) })
  }

  /** Kills the transport as a network failure would: socket.io reconnects on its own. */
  drop(): void {
    this.socket.io.engine?.close()
    this.update({ drops: this.state.drops + 1 })
  }

  private update(patch: Partial<NetState>): void {
    this.state = { ...this.state, ...patch }
    for (const listener of this.listeners) listener()
  }

  private delayed(send: PacketFn): PacketFn {
    // Equal delays keep packets in order: timers of equal duration fire in the order they were set.
    return (packet) => {
      const ms = this.state.latencyMs
      if (ms > 0 && DELAYED.has(packet.type)) setTimeout(() => send(packet), ms)
      else send(packet)
    }
  }
}
