import { DisconnectedError, fromWireError } from '../client/errors.js'
import type { AckResult } from '../client/Transport.js'
import type { WireError } from '../protocol/errors.js'
import type { OutboxRecord } from './idb.js'

/** Between tabs of one persistence name: a write entered the outbox; a write was answered. */
export type TabMessage =
  { t: 'w'; r: OutboxRecord } | { t: 's'; id: string; r?: unknown; m?: unknown; e?: WireError }

type Answer = TabMessage & { t: 's' }
type Wait = [
  resolve: (value: AckResult<any, any>) => void,
  reject: (e: unknown) => void,
  event: string,
]

export type Tabs = ReturnType<typeof tabs>

const answer = (m: Answer): Promise<AckResult<any, any>> =>
  m.e ? Promise.reject(fromWireError(m.e)) : Promise.resolve({ result: m.r, meta: m.m })

/**
 * Tabs sharing one outbox: one of them (the holder of a Web Lock) sends it; the others hear each
 * write's answer on a BroadcastChannel. A frozen tab lets go of the lock, so another takes over. Without
 * Web Locks every tab sends: the server answers a repeated mutationId (same clientId) with its first
 * result, so nothing is applied twice.
 */
export function tabs(
  name: string,
  /** Another tab's new write. */
  onWrite: (record: OutboxRecord) => void,
  /** This tab now sends the shared outbox. */
  onLead: () => void,
) {
  const channel = globalThis.BroadcastChannel && new BroadcastChannel(name)
  const waits = new Map<string, Wait>()
  /** Answers kept for a write this tab asks about after they were broadcast. */
  const recent = new Map<string, Answer>()
  let leader = false
  let asking = false
  let closed = false
  let release: (() => void) | undefined

  const resign = () => {
    leader = false
    release?.()
  }
  // What waited for another tab is sent again by this one (same mutationIds), in the flush after.
  const takeBack = () => {
    const waiting = [...waits.values()]
    waits.clear()
    for (const [, reject, event] of waiting) reject(new DisconnectedError(event, 'tab changed'))
    setTimeout(onLead)
  }
  const become = () => {
    leader = true
    takeBack()
  }
  const lost = () => (asking = leader = false)
  const lead = () => {
    const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks
    if (closed || leader || asking) return
    if (!locks || !channel) return become()
    asking = true
    locks
      .request(name, () =>
        closed ? undefined : new Promise<void>((r) => ((release = r), become())),
      )
      .then(lost, lost)
  }

  if (channel)
    channel.onmessage = ({ data: m }: MessageEvent<TabMessage>) => {
      if (closed || !m) return
      if (m.t === 'w') return onWrite(m.r)
      recent.set(m.id, m)
      if (recent.size > 256) recent.delete(recent.keys().next().value!)
      const wait = waits.get(m.id)
      if (!wait) return
      waits.delete(m.id)
      answer(m).then(wait[0], wait[1])
    }
  const doc = (globalThis as { document?: Document }).document
  doc?.addEventListener('freeze', resign)
  doc?.addEventListener('resume', lead)

  return {
    get leader() {
      return leader
    },
    lead,
    /** (What is posted was stored in IndexedDB first: it clones.) */
    post(message: TabMessage): void {
      if (!closed) channel?.postMessage(message)
    },
    /** Waits for the flushing tab's answer to this write. */
    wait(mutationId: string, event: string): Promise<AckResult<any, any>> {
      const known = recent.get(mutationId)
      return known
        ? answer(known)
        : new Promise((resolve, reject) => waits.set(mutationId, [resolve, reject, event]))
    },
    close(): void {
      // `lead` does nothing once closed: the freeze / resume listeners may stay.
      closed = true
      resign()
      takeBack()
      channel?.close()
    },
  }
}
