import type { Socket } from 'socket.io'
import type { ChangeEvent } from '../protocol/index.js'
import type { ChangeRecord } from './stores/Store.js'
import { buildEvent, type EventType, type Viewer } from './toEvent.js'

interface Group {
  type: EventType
  prevSeq: number
  viewer: Viewer
  sockets: Socket[]
}

/** Sends one event on one socket. */
export function emitEvent(socket: Socket, event: ChangeEvent): void {
  if (event.type === 'ADDED') socket.emit('ADDED', event.collection, event.item, event.meta)
  else if (event.type === 'CHANGED')
    socket.emit('CHANGED', event.collection, event.id, event.ops, event.meta)
  else socket.emit('REMOVED', event.collection, event.id, event.meta)
}

/**
 * The recipients of one change that did not write it (their meta names no mutation), grouped by the
 * packet they get. Recipients with a shared view
 * (no per-user `redact`), the same event type and the same prevSeq get byte-identical packets, so
 * each group is sent as one socket.io broadcast to the group's socket ids: the packet and its
 * WebSocket frame are encoded once instead of once per recipient, which is what dominates the
 * fan-out to thousands of clients.
 */
export class EventBatch {
  private readonly groups = new Map<string, Group>()

  constructor(private readonly change: ChangeRecord) {}

  add(socket: Socket, type: EventType, viewer: Viewer, prevSeq: number): void {
    const key = `${type}:${prevSeq}`
    const group = this.groups.get(key)
    if (group) group.sockets.push(socket)
    else this.groups.set(key, { type, prevSeq, viewer, sockets: [socket] })
  }

  /** Sends every group; a group that fails does not keep the others from their event. */
  flush(): void {
    for (const { type, prevSeq, viewer, sockets } of this.groups.values()) {
      try {
        const event = buildEvent(this.change, type, viewer, prevSeq, false)
        if (sockets.length === 1) {
          emitEvent(sockets[0]!, event)
          continue
        }
        // `local`: these are this process' sockets; a cluster adapter must not forward the packet.
        const to = sockets[0]!.nsp.local.to(sockets.map((s) => s.id))
        if (event.type === 'ADDED') to.emit('ADDED', event.collection, event.item, event.meta)
        else if (event.type === 'CHANGED')
          to.emit('CHANGED', event.collection, event.id, event.ops, event.meta)
        else to.emit('REMOVED', event.collection, event.id, event.meta)
      } catch (err) {
        console.error('livecrud: delivering a change failed', err)
      }
    }
    this.groups.clear()
  }
}
