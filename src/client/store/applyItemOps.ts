// The ESM core alone: the package's default export is one object of everything (observe, compare, …),
// which no bundler can tree-shake.
import { applyOperation, applyPatch } from 'fast-json-patch/module/core.mjs'
import { produce } from 'immer'
import type { Item, Operation } from '../../protocol/index.js'
import { deepFreeze } from '../../protocol/frozen.js'

export type ApplyResult = { ok: true; item: Item } | { ok: false; error: Error }

type JsonPatchOp = Parameters<typeof applyPatch>[1][number]
type Doc = Record<string, unknown>

function isPlainObject(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** add / replace / remove / test of one top-level member: a shallow copy is all they can touch. */
function isTopLevel(op: Operation): boolean {
  return (
    (op.op === 'add' || op.op === 'replace' || op.op === 'remove' || op.op === 'test') &&
    typeof op.path === 'string' &&
    op.path.length > 1 &&
    op.path.indexOf('/', 1) === -1
  )
}

/**
 * Applies item-relative ops to `base` and returns a new frozen item with `id` and `_version` set as
 * given. Never mutates `base`: fast-json-patch silently skips writes to frozen objects in Node's CJS
 * build and throws in the browser's ESM build, so ops run on an immer draft — or, when every op touches
 * only a top-level member (the usual CHANGED), on a shallow copy, which costs a third of a produce and
 * shares the untouched members just the same. Any failing op (a `test`, an unresolvable path, a
 * malformed op) fails the whole list, leaving nothing half-applied.
 */
export function applyItemOps(
  /** Deep-frozen, as everything the store holds. */
  base: Item,
  ops: readonly Operation[],
  id: string,
  version: number,
): ApplyResult {
  try {
    if (!Array.isArray(ops)) throw new TypeError('ops must be an array')
    for (const op of ops) {
      if (typeof op !== 'object' || op === null) throw new TypeError('an op must be an object')
    }
    if (ops.every(isTopLevel)) {
      const copy: Doc = { ...base }
      // Op by op rather than `applyPatch`, which also builds an array of results nobody reads here.
      for (let i = 0; i < ops.length; i++) {
        applyOperation(copy, ops[i] as JsonPatchOp, true, true, true, i)
      }
      copy.id = id
      copy._version = version
      // Untouched members are frozen already: deep-freezing them again would touch (and, in a large
      // collection, cache-miss) every nested object of the item on every event.
      for (const op of ops) if ('value' in op) deepFreeze(op.value)
      return { ok: true, item: Object.freeze(copy) as Item }
    }
    return { ok: true, item: deepFreeze(applyWithDrafts(base, ops, id, version)) }
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)) }
  }
}

function applyWithDrafts(base: Item, ops: readonly Operation[], id: string, version: number): Item {
  let current: Doc = base
  let run: JsonPatchOp[] = []
  const flush = (last: boolean) => {
    if (run.length === 0 && !last) return
    const batch = run
    run = []
    current = produce(current, (draft) => {
      applyPatch(draft, batch, true, true, true)
      if (last) {
        draft.id = id
        draft._version = version
      }
    })
  }
  for (const op of ops) {
    if (op.path !== '') {
      run.push(op as JsonPatchOp)
      continue
    }
    // A root op replaces the document instead of mutating the draft: handle it outside produce.
    flush(false)
    if (op.op === 'replace' || op.op === 'add') {
      if (!isPlainObject(op.value)) throw new TypeError('an item must be an object')
      current = op.value
    } else if (op.op === 'test') {
      applyOperation(current, op as JsonPatchOp, true, false)
    } else {
      throw new TypeError(`root ${String(op.op)} cannot apply to an item`)
    }
  }
  flush(true)
  if (!isPlainObject(current)) throw new TypeError('an item must be an object')
  return current as Item
}
