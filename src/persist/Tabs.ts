import { DisconnectedError, fromWireError } from '../client/errors.js'
import type { OutboxWrite } from '../client/persistence.js'
import type { AckResult } from '../client/Transport.js'
import type { WireError } from '../protocol/errors.js'

/** Between tabs of one persistence name: a write entered the outbox; a write was answered. */
export type TabMessage =
  { t: 'w'; w: OutboxWrite } | { t: 's'; id: string; r?: unknown; m?: unknown; e?: WireError }

interface Wait {
  resolve(value: AckResult<any, any>): void
  reject(error: unknown): void
  event: string
}

/** Answers kept for a tab that asks after they were broadcast. */
const RECENT = 256

/**
 * Tabs sharing one outbox: one of them (the holder of a Web Lock) sends it; the others hear each
 * write's answer on a BroadcastChannel. Without Web Locks every tab sends: the server answers a
 * repeated mutationId (same clientId) with its first result, so nothing is applied twice.
 */
export class Tabs {
  leader = false
  private readonly channel: BroadcastChannel | undefined
  private release: (() => void) | undefined
  private readonly waits = new Map<string, Wait>()
  private readonly recent = new Map<string, TabMessage & { t: 's' }>()
  private closed = false
  private asking = false
  private readonly offs: (() => void)[] = []

  constructor(
    private readonly name: string,
    /** Another tab's new write. */
    private readonly onWrite: (write: OutboxWrite) => void,
    /** This tab now sends the shared outbox. */
    private readonly onLead: () => void,
  ) {
    this.channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(name) : undefined
    if (this.channel) this.channel.onmessage = (e: MessageEvent<TabMessage>) => this.heard(e.data)
    const doc = (globalThis as { document?: Document }).document
    if (doc) {
      // A frozen tab flushes nothing: it lets go of the lock so another takes over.
      const freeze = () => this.resign()
      const resume = () => this.lead()
      doc.addEventListener('freeze', freeze)
      doc.addEventListener('resume', resume)
      this.offs.push(() => {
        doc.removeEventListener('freeze', freeze)
        doc.removeEventListener('resume', resume)
      })
    }
  }

  post(message: TabMessage): void {
    try {
      this.channel?.postMessage(message)
    } catch {
      // Not cloneable or closed: the other tabs find out from the outbox.
    }
  }

  lead(): void {
    const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks
    if (this.closed || this.leader || this.asking) return
    if (!locks || !this.channel) return this.become()
    this.asking = true
    locks
      .request(this.name, () =>
        this.closed
          ? undefined
          : new Promise<void>((release) => {
              this.release = release
              this.become()
            }),
      )
      .catch(() => undefined)
      .finally(() => {
        this.asking = false
        this.leader = false
        this.release = undefined
      })
  }

  /** Waits for the flushing tab's answer to this write. */
  wait(mutationId: string, event: string): Promise<AckResult<any, any>> {
    const known = this.recent.get(mutationId)
    if (known) return answer(known)
    return new Promise((resolve, reject) => this.waits.set(mutationId, { resolve, reject, event }))
  }

  close(): void {
    this.closed = true
    this.resign()
    for (const off of this.offs.splice(0)) off()
    this.waits.clear()
    this.channel?.close()
  }

  private resign(): void {
    this.leader = false
    this.release?.()
    this.release = undefined
  }

  private become(): void {
    this.leader = true
    // What waited for the previous flusher is sent again by this tab (same mutationIds).
    const waits = [...this.waits.values()]
    this.waits.clear()
    for (const w of waits) w.reject(new DisconnectedError(w.event, 'the flushing tab changed'))
    setTimeout(this.onLead, 0)
  }

  private heard(message: TabMessage): void {
    if (this.closed || typeof message !== 'object' || message === null) return
    if (message.t === 'w') return this.onWrite(message.w)
    if (message.t !== 's' || typeof message.id !== 'string') return
    this.recent.set(message.id, message)
    if (this.recent.size > RECENT) this.recent.delete(this.recent.keys().next().value!)
    const wait = this.waits.get(message.id)
    if (!wait) return
    this.waits.delete(message.id)
    answer(message).then(wait.resolve, wait.reject)
  }
}

function answer(m: TabMessage & { t: 's' }): Promise<AckResult<any, any>> {
  return m.e ? Promise.reject(fromWireError(m.e)) : Promise.resolve({ result: m.r, meta: m.m })
}
