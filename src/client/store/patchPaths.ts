import {
  escapePointerSegment,
  parsePointer,
  RESERVED_FIELDS,
  type Id,
  type Operation,
} from '../../protocol/index.js'

const RESERVED = new Set<string>(RESERVED_FIELDS)

/**
 * Turns a partial item `{ id, ...fields }` into ops relative to the item. Semantics are a shallow
 * merge (as Feathers' `patch`): each top-level field is set, `null` included; `undefined` fields are
 * skipped; `id` and `_version` are never written. `add` is used because it sets a member whether or not
 * it exists, so the ops replay cleanly over a newer server state.
 */
export function mergePatchToOps(patch: Record<string, unknown>): Operation[] {
  const ops: Operation[] = []
  for (const [field, value] of Object.entries(patch)) {
    if (RESERVED.has(field) || value === undefined) continue
    ops.push({ op: 'add', path: '/' + escapePointerSegment(field), value })
  }
  return ops
}

/** The pointer prefix of an item in wire paths: `/<id>` with RFC 6901 escaping. */
export function idPrefix(id: Id): string {
  return '/' + escapePointerSegment(id)
}

function strip(pointer: string, prefix: string): string | null {
  if (pointer === prefix) return ''
  return pointer.startsWith(prefix + '/') ? pointer.slice(prefix.length) : null
}

/**
 * Wire ops (`/<id>/field`) → ops relative to the item (`/field`). `null` when an op (or its `from`)
 * points outside the item or is not an object with a string path.
 */
export function toItemOps(ops: readonly Operation[], id: Id): Operation[] | null {
  const prefix = idPrefix(id)
  const out: Operation[] = []
  for (const op of ops) {
    if (typeof op !== 'object' || op === null || typeof op.path !== 'string') return null
    const path = strip(op.path, prefix)
    if (path === null) return null
    if ('from' in op) {
      if (typeof op.from !== 'string') return null
      const from = strip(op.from, prefix)
      if (from === null) return null
      out.push({ ...op, path, from })
    } else {
      out.push({ ...op, path })
    }
  }
  return out
}

/** Ops relative to the item → wire ops with the `/<id>` prefix. */
export function toWireOps(ops: readonly Operation[], id: Id): Operation[] {
  const prefix = idPrefix(id)
  return ops.map((op) =>
    'from' in op
      ? { ...op, path: prefix + op.path, from: prefix + op.from }
      : { ...op, path: prefix + op.path },
  )
}

/**
 * The item a list of wire ops targets (`patchItem(ops)` carries no separate id) and the ops relative to
 * it. `null` when the list is empty, malformed, or spans several items.
 */
export function splitWireOps(ops: unknown): { id: Id; ops: Operation[] } | null {
  if (!Array.isArray(ops) || ops.length === 0) return null
  const first = ops[0] as { path?: unknown } | null
  if (typeof first !== 'object' || first === null || typeof first.path !== 'string') return null
  const segments = parsePointer(first.path)
  const id = segments?.[0]
  if (id === undefined || id === '') return null
  const itemOps = toItemOps(ops as Operation[], id)
  return itemOps ? { id, ops: itemOps } : null
}
