import jsonpatch from 'fast-json-patch'
import { freeze, produce } from 'immer'
import type { Item, Operation } from '../../protocol/index.js'

export type ApplyResult = { ok: true; item: Item } | { ok: false; error: Error }

type JsonPatchOp = Parameters<typeof jsonpatch.applyPatch>[1][number]

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Applies item-relative ops to `base` and returns a new frozen item with `id` and `_version` set as
 * given. Never mutates `base`: ops run on an immer draft, because fast-json-patch silently skips writes
 * to frozen objects in Node's CJS build and throws in the browser's ESM build. Any failing op (a `test`,
 * an unresolvable path, a malformed op) fails the whole list, leaving nothing half-applied.
 */
export function applyItemOps(
  base: Item,
  ops: readonly Operation[],
  id: string,
  version: number,
): ApplyResult {
  if (!Array.isArray(ops)) return { ok: false, error: new TypeError('ops must be an array') }
  try {
    let current: Record<string, unknown> = base
    let run: JsonPatchOp[] = []
    const flush = () => {
      if (run.length === 0) return
      const ops = run
      run = []
      current = produce(current, (draft) => {
        jsonpatch.applyPatch(draft, ops, true, true, true)
      })
    }
    for (const op of ops) {
      if (typeof op !== 'object' || op === null) throw new TypeError('an op must be an object')
      if (op.path !== '') {
        run.push(op as JsonPatchOp)
        continue
      }
      // A root op replaces the document instead of mutating the draft: handle it outside produce.
      flush()
      if (op.op === 'replace' || op.op === 'add') {
        if (!isPlainObject(op.value)) throw new TypeError('an item must be an object')
        current = op.value
      } else if (op.op === 'test') {
        jsonpatch.applyOperation(current, op as JsonPatchOp, true, false)
      } else {
        throw new TypeError(`root ${String(op.op)} cannot apply to an item`)
      }
    }
    flush()
    if (!isPlainObject(current)) throw new TypeError('an item must be an object')
    const result = current
    const item =
      result.id === id && result._version === version
        ? (result as Item)
        : produce(result, (draft) => {
            draft.id = id
            draft._version = version
          })
    // A root replace may hand back the caller's object, not a produce result: freeze it too.
    return { ok: true, item: freeze(item as Item, true) }
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)) }
  }
}
