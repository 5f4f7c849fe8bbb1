import type { Id, Item } from '../../protocol/types.js'
import type { StoreChange } from '../types.js'

/** A change heard while a LIST was in flight, with the store's confirmed value right after it. */
export interface Heard<T extends Item = Item> {
  c: StoreChange<T>
  conf: Item | undefined
}

export interface NetChanges {
  /**
   * Ids whose net change must be applied over the answer, each with the value the answer counted for
   * it (undefined: not in the set); the change goes from there to the store's visible value now.
   */
  before: Map<Id, Item | undefined>
  /** Ids among them with a change past the answer's seq. */
  past: Set<Id>
  /** Ids among them a read taught the store (it held no value): the answer's page does not have them. */
  learned: Set<Id>
}

export interface NetChangeInput<T extends Item> {
  buffer: readonly Heard<T>[]
  /** The answer's items: their value is exact, they need no net change. */
  members: ReadonlyMap<Id, Item>
  /** The answer's seq. */
  seq: number
  /** The answer holds the whole result set. */
  covers: boolean
  /** Ids with local writes still pending. */
  localIds: ReadonlySet<Id>
  /** The confirmed value, when the LIST started, of each id that had local writes then. */
  pendingAtStart: ReadonlyMap<Id, Item | undefined>
  /** The store's confirmed value now, when the store can tell. */
  confirmed: ((id: Id) => Item | undefined) | undefined
}

/**
 * Which ids a LIST answer must be corrected for, and from what (see PROTOCOL.md, live list rules,
 * seq handling). An id whose buffered changes the answer all includes (server changes with seq ≤
 * its seq, local writes settled since) and that has no pending write needs none: the answer is right
 * for it, even when the store has not caught up with it yet.
 */
export function netChanges<T extends Item>(input: NetChangeInput<T>): NetChanges {
  const { buffer, members, seq, covers, localIds, pendingAtStart, confirmed } = input
  const before = new Map<Id, Item | undefined>()
  const past = new Map<Id, Item | undefined>()
  const seen = new Map<Id, Item | undefined>()
  /** Touched by a read of unknown seq (GET, another LIST, a resync): the store may be past the answer. */
  const unsequenced = new Set<Id>()
  const learned = new Set<Id>()
  for (const { c, conf } of buffer) {
    if (members.has(c.id) || past.has(c.id)) continue
    const fromServer = c.cause === 'server' || c.cause === 'confirm' || c.cause === 'reset'
    if (fromServer && c.seq !== undefined && c.seq > seq) {
      // A change past the answer was applied before it: the confirmed value heard just before it is
      // what the answer counted (for a first change, the confirmed value when the LIST started, which
      // is the value the list saw unless local writes were pending).
      past.set(
        c.id,
        seen.has(c.id)
          ? seen.get(c.id)
          : confirmed && pendingAtStart.has(c.id)
            ? pendingAtStart.get(c.id)
            : c.before,
      )
      continue
    }
    if (c.seq === undefined && (c.cause === 'server' || c.cause === 'reset')) {
      unsequenced.add(c.id)
      if (c.before === undefined) learned.add(c.id)
    }
    // Without a confirmed layer to ask, the first value heard is the best guess.
    if (confirmed) seen.set(c.id, conf)
    else if (!seen.has(c.id)) seen.set(c.id, c.before)
  }
  for (const id of seen.keys()) {
    if (past.has(id) || (!unsequenced.has(id) && !localIds.has(id))) continue
    before.set(id, confirmed ? confirmed(id) : seen.get(id))
  }
  for (const [id, v] of past) before.set(id, v)
  if (covers) for (const id of before.keys()) before.set(id, undefined)
  for (const id of localIds) {
    if (before.has(id) || members.has(id)) continue
    before.set(id, covers || !confirmed ? undefined : confirmed(id))
  }
  for (const id of learned) if (!before.has(id)) learned.delete(id)
  return { before, past: new Set(past.keys()), learned }
}
