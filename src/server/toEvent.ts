import jsonpatch from 'fast-json-patch'
import type { ChangeEvent, EventMeta, Item, Operation } from '../protocol/index.js'
import type { ChangeRecord } from './stores/Store.js'
import type { Reader } from './Policy.js'

/** How one recipient sees items: its read predicate and its view of an item. */
export interface Viewer {
  read: Reader
  view: (item: Item) => Item
  /**
   * True when `view` is the same function for every recipient (no per-user `redact`): then one
   * diff per change serves every recipient, and recipients whose event has the same type and
   * prevSeq get byte-identical packets.
   */
  shared: boolean
}

export type EventType = ChangeEvent['type']

const sharedOps = new WeakMap<ChangeRecord, Operation[]>()

/** RFC 6902 ops turning `before` into `after`; `_version` travels in the meta, not in the ops. */
export function diffItems(before: Item, after: Item): Operation[] {
  const { _version: _a, ...a } = before
  const { _version: _b, ...b } = after
  return jsonpatch.compare(a, b) as Operation[]
}

/**
 * What a recipient gets for a change, or null when it may see neither side: an item that leaves
 * its read scope arrives as REMOVED, one that enters it as ADDED.
 */
export function eventType(change: ChangeRecord, viewer: Viewer): EventType | null {
  const before = change.prev !== null && viewer.read(change.prev)
  const after = change.item !== null && viewer.read(change.item)
  if (after) return before ? 'CHANGED' : 'ADDED'
  return before ? 'REMOVED' : null
}

/**
 * Whether a connection is the change's writer, and so gets the change's `clientId` / `mutationId` in
 * the meta to match its echo: its origin is the change's (`origin.ts`: user and client id). A change
 * without an origin (a Store implementation outside this package that does not record one) goes by
 * the client id alone.
 */
export function isWriter(
  change: ChangeRecord,
  origin: string,
  clientId: string | undefined,
): boolean {
  if (change.origin !== undefined) return change.origin === origin
  return clientId !== undefined && change.clientId === clientId
}

/**
 * The event of `type` (from `eventType` for this viewer); REMOVED carries only the id and the meta.
 * `writer`: the meta names the mutation (only the writer's own connections may learn its ids).
 */
export function buildEvent(
  change: ChangeRecord,
  type: EventType,
  viewer: Viewer,
  prevSeq: number,
  writer: boolean,
): ChangeEvent {
  const meta: EventMeta = { seq: change.seq, prevSeq, version: change.version }
  if (writer) {
    if (change.mutationId !== undefined) meta.mutationId = change.mutationId
    if (change.clientId !== undefined) meta.clientId = change.clientId
  }
  const { collection, id } = change
  if (type === 'ADDED') return { type, collection, id, item: viewer.view(change.item!), meta }
  if (type === 'REMOVED') return { type, collection, id, meta }
  let ops = viewer.shared ? sharedOps.get(change) : undefined
  if (!ops) {
    ops = diffItems(viewer.view(change.prev!), viewer.view(change.item!))
    if (viewer.shared) sharedOps.set(change, ops)
  }
  return { type, collection, id, ops, meta }
}

/** The event one recipient gets for a change, or null when it may see neither side. */
export function toEvent(
  change: ChangeRecord,
  viewer: Viewer,
  prevSeq: number,
  writer: boolean,
): ChangeEvent | null {
  const type = eventType(change, viewer)
  return type ? buildEvent(change, type, viewer, prevSeq, writer) : null
}
