import type { Id } from '../../protocol/index.js'
import type { LocalMutation } from './actions.js'
import type { ItemEntry, PendingEntry } from './ItemEntry.js'

/** Which item holds each pending write, in write order (acks and rejections name only the mutationId). */
export class MutationIndex {
  private readonly ids = new Map<string, Id>()
  private ordered: readonly LocalMutation[] | undefined

  has(mutationId: string): boolean {
    return this.ids.has(mutationId)
  }

  itemOf(mutationId: string): Id | undefined {
    return this.ids.get(mutationId)
  }

  /** Follows an entry whose pending layer changed from `prev`. */
  update(prev: readonly PendingEntry[], entry: ItemEntry): void {
    this.ordered = undefined
    for (const { mutation } of prev) {
      if (!entry.pending.some((p) => p.mutation.mutationId === mutation.mutationId)) {
        this.ids.delete(mutation.mutationId)
      }
    }
    for (const { mutation } of entry.pending) {
      if (!this.ids.has(mutation.mutationId)) this.ids.set(mutation.mutationId, entry.id)
    }
  }

  /** Every pending write in write order; the same array while unchanged. */
  list(entryOf: (id: Id) => ItemEntry | undefined): readonly LocalMutation[] {
    if (this.ordered) return this.ordered
    const list: LocalMutation[] = []
    for (const [mutationId, id] of this.ids) {
      const p = entryOf(id)?.pending.find((p) => p.mutation.mutationId === mutationId)
      if (p) list.push(p.mutation)
    }
    return (this.ordered = list)
  }
}
