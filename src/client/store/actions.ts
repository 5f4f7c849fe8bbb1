import type { EventMeta, Id, Item, Operation, WriteAckMeta } from '../../protocol/index.js'
import type { LivecrudError } from '../../protocol/errors.js'

/** A local write as the store keeps it until the server settles it. */
export type LocalMutation =
  | { kind: 'POST'; mutationId: string; id: Id; item: Record<string, unknown> }
  | { kind: 'PUT'; mutationId: string; id: Id; item: Record<string, unknown> }
  /** `ops` relative to the item (paths without the id prefix); merge patches are converted to ops first. */
  | { kind: 'PATCH'; mutationId: string; id: Id; ops: Operation[] }
  | { kind: 'DELETE'; mutationId: string; id: Id }

/**
 * Every state transition of a collection store: one union, applied in one place (`CollectionStore.dispatch`).
 * Server-originated actions are version-gated; local ones manage the pending layer.
 */
export type StoreAction =
  | { type: 'server/added'; item: Item; meta: EventMeta }
  | { type: 'server/changed'; id: Id; ops: Operation[]; meta: EventMeta }
  | { type: 'server/removed'; id: Id; meta: EventMeta }
  /** Items read by GET / LIST (applied when newer than what the store has). */
  | { type: 'server/items'; items: Item[] }
  /** GET answered null: the item does not exist (tombstone unless a newer version is known). */
  | { type: 'server/missing'; id: Id }
  /**
   * After a resync the server's truth for these ids replaces the confirmed layer; ids in `absent` no longer
   * exist. Pending mutations are replayed over the result.
   */
  | { type: 'server/reset'; items: Item[]; absent: Id[] }
  | { type: 'local/write'; mutation: LocalMutation }
  /** The server confirmed the write: `result` is the item it stored (or the DELETE boolean). */
  | { type: 'local/ack'; mutationId: string; result: Item | boolean; meta?: WriteAckMeta }
  /** The server refused the write: drop it alone and record the error on the item. */
  | { type: 'local/reject'; mutationId: string; error: LivecrudError }
  /** ifVersion conflict: adopt the server's current item (null = gone), drop the write, record the error. */
  | { type: 'local/conflict'; mutationId: string; current: Item | null; error: LivecrudError }
