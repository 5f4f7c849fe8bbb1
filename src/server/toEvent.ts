import jsonpatch from 'fast-json-patch'
import type { ChangeEvent, EventMeta, Item, Operation } from '../protocol/index.js'
import type { ChangeRecord } from './stores/Store.js'
import type { Reader } from './Policy.js'

/** How one recipient sees items: its read predicate and its view of an item. */
export interface Viewer {
  read: Reader
  view: (item: Item) => Item
  /** True when `view` is the identity, so one diff per change serves every recipient. */
  plain: boolean
}

const sharedOps = new WeakMap<ChangeRecord, Operation[]>()

/** RFC 6902 ops turning `before` into `after`; `_version` travels in the meta, not in the ops. */
export function diffItems(before: Item, after: Item): Operation[] {
  const { _version: _a, ...a } = before
  const { _version: _b, ...b } = after
  return jsonpatch.compare(a, b) as Operation[]
}

/**
 * The event one recipient gets for a change, or null when it may see neither side. An item that
 * leaves the recipient's read scope arrives as REMOVED, one that enters it as ADDED; REMOVED carries
 * only the id and the meta.
 */
export function toEvent(change: ChangeRecord, viewer: Viewer, prevSeq: number): ChangeEvent | null {
  const before = change.prev && viewer.read(change.prev) ? change.prev : null
  const after = change.item && viewer.read(change.item) ? change.item : null
  if (!before && !after) return null
  const meta: EventMeta = { seq: change.seq, prevSeq, version: change.version }
  if (change.mutationId !== undefined) meta.mutationId = change.mutationId
  if (change.clientId !== undefined) meta.clientId = change.clientId
  const { collection, id } = change
  if (after && !before) return { type: 'ADDED', collection, id, item: viewer.view(after), meta }
  if (!after) return { type: 'REMOVED', collection, id, meta }
  let ops: Operation[] | undefined = viewer.plain ? sharedOps.get(change) : undefined
  if (!ops) {
    ops = viewer.plain
      ? diffItems(before!, after)
      : diffItems(viewer.view(before!), viewer.view(after))
    if (viewer.plain) sharedOps.set(change, ops)
  }
  return { type: 'CHANGED', collection, id, ops, meta }
}
