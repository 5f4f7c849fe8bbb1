import { DisconnectedError, fromWireError } from '../client/errors.js'
import type { OutboxWrite } from '../client/persistence.js'
import type { AckResult } from '../client/Transport.js'
import type { WireError } from '../protocol/errors.js'

/** Between tabs of one persistence name: a write entered the outbox; a write was answered. */
export type TabMessage =
  { t: 'w'; w: OutboxWrite } | { t: 's'; id: string; r?: unknown; m?: unknown; e?: WireError }

type Send = (event: string, args: unknown[], timeout?: number) => Promise<AckResult<any, any>>

interface Wait {
  resolve(value: AckResult<any, any>): void
  reject(error: unknown): void
  event: string
  args: unknown[]
  timeout: number | undefined
  timer: ReturnType<typeof setInterval>
}

/** A follower re-checks this often whether the write it waits for is still in the outbox. */
const CHECK_MS = 2000
const RECENT = 256

interface Events {
  /** Another tab's new write. */
  write(write: OutboxWrite): void
  /** This tab now sends the shared outbox. */
  lead(): void
  /** Whether the outbox still holds this write (false: answered, its broadcast missed). */
  queued(mutationId: string): Promise<boolean>
}

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
    private readonly on: Events,
    private readonly direct: Send,
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
  wait(mutationId: string, event: string, args: unknown[], timeout?: number) {
    const known = this.recent.get(mutationId)
    if (known) return Promise.resolve().then(() => answer(known))
    return new Promise<AckResult<any, any>>((resolve, reject) => {
      const timer = setInterval(() => {
        void this.on.queued(mutationId).then((queued) => {
          if (queued || this.waits.get(mutationId) !== wait) return
          this.drop(mutationId)
          this.direct(event, args, timeout).then(resolve, reject)
        })
      }, CHECK_MS)
      const wait: Wait = { resolve, reject, event, args, timeout, timer }
      this.waits.set(mutationId, wait)
    })
  }

  close(): void {
    this.closed = true
    this.resign()
    for (const off of this.offs.splice(0)) off()
    for (const id of [...this.waits.keys()]) this.drop(id)
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
    for (const [id, w] of [...this.waits]) {
      this.drop(id)
      w.reject(new DisconnectedError(w.event, 'the flushing tab changed'))
    }
    setTimeout(() => this.on.lead(), 0)
  }

  private drop(mutationId: string): void {
    clearInterval(this.waits.get(mutationId)?.timer)
    this.waits.delete(mutationId)
  }

  private heard(message: TabMessage): void {
    if (this.closed || typeof message !== 'object' || message === null) return
    if (message.t === 'w') return this.on.write(message.w)
    if (message.t !== 's' || typeof message.id !== 'string') return
    this.recent.set(message.id, message)
    if (this.recent.size > RECENT) this.recent.delete(this.recent.keys().next().value!)
    const wait = this.waits.get(message.id)
    if (!wait) return
    this.drop(message.id)
    answer(message).then(wait.resolve, wait.reject)
  }
}

function answer(m: TabMessage & { t: 's' }): Promise<AckResult<any, any>> {
  return m.e ? Promise.reject(fromWireError(m.e)) : Promise.resolve({ result: m.r, meta: m.m })
}
