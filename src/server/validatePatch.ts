import {
  LivecrudError,
  PATCH_OPS,
  escapePointerSegment,
  type Id,
  type Operation,
} from '../protocol/index.js'
import type { Limits } from './limits.js'
import { FORBIDDEN_KEYS, checkJson, isPlainObject, validateId } from './validate.js'

const IMMUTABLE = new Set(['id', '_version'])
const OPS: ReadonlySet<string> = new Set(PATCH_OPS)

function bad(index: number, message: string): LivecrudError {
  return new LivecrudError('BAD_REQUEST', `patch op ${index}: ${message}`, { index })
}

/** Splits an RFC 6901 pointer strictly: `~` must be `~0` or `~1`; prototype segments are refused. */
export function splitPointer(pointer: string, index: number): string[] {
  if (pointer === '') return []
  if (pointer[0] !== '/') throw bad(index, `path ${JSON.stringify(pointer)} must start with /`)
  const out: string[] = []
  for (const raw of pointer.slice(1).split('/')) {
    if (/~(?![01])/.test(raw)) throw bad(index, `invalid escape in ${JSON.stringify(pointer)}`)
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (FORBIDDEN_KEYS.has(seg)) throw bad(index, `forbidden segment ${JSON.stringify(seg)}`)
    out.push(seg)
  }
  return out
}

export function joinPointer(segments: readonly string[]): string {
  return segments.map((s) => '/' + escapePointerSegment(s)).join('')
}

/** A validated op, its paths as segment arrays relative to the item. */
export type PatchStep =
  | { op: 'add' | 'replace' | 'test'; path: string[]; value: unknown }
  | { op: 'remove'; path: string[] }
  | { op: 'move' | 'copy'; from: string[]; path: string[] }

function relative(pointer: unknown, id: Id, index: number, field: string): string[] {
  if (typeof pointer !== 'string') throw bad(index, `${field} must be a string`)
  const segs = splitPointer(pointer, index)
  if (segs[0] !== id) throw bad(index, `${field} must start with /${id}/ (the item's id)`)
  if (segs.length < 2) throw bad(index, `${field} must point inside the item`)
  return segs.slice(1)
}

function isPrefix(a: readonly string[], b: readonly string[]): boolean {
  return a.length < b.length && a.every((s, i) => s === b[i])
}

/**
 * Validates a wire JSON Patch (`/<id>/field` paths) and returns the item id and the steps relative to
 * the item. Only the six RFC 6902 ops; `id`/`_version` may be read (`test`, `copy` from) but never
 * written; no move into its own child; at most `limits.maxPatchOps` operations.
 */
export function validatePatch(value: unknown, limits: Limits): { id: Id; steps: PatchStep[] } {
  if (!Array.isArray(value)) throw new LivecrudError('BAD_REQUEST', 'patch must be an array')
  if (value.length === 0) throw new LivecrudError('BAD_REQUEST', 'patch has no operations')
  if (value.length > limits.maxPatchOps)
    throw new LivecrudError('PAYLOAD_TOO_LARGE', `patch has more than ${limits.maxPatchOps} ops`)
  const first: unknown = value[0]
  if (!isPlainObject(first)) throw bad(0, 'not an object')
  if (typeof first.path !== 'string') throw bad(0, 'path must be a string')
  const id = splitPointer(first.path, 0)[0]
  try {
    validateId(id)
  } catch (err) {
    throw bad(0, `path must start with /<id>/: ${(err as Error).message}`)
  }
  const steps: PatchStep[] = []
  value.forEach((raw: unknown, index) => {
    if (!isPlainObject(raw)) throw bad(index, 'not an object')
    const op = raw.op
    if (typeof op !== 'string' || !OPS.has(op))
      throw bad(index, `op must be one of ${PATCH_OPS.join(', ')}`)
    const path = relative(raw.path, id!, index, 'path')
    const writes = op !== 'test'
    if (writes && IMMUTABLE.has(path[0]!)) throw bad(index, `${path[0]} is immutable`)
    if (op === 'move' || op === 'copy') {
      const from = relative(raw.from, id!, index, 'from')
      if (op === 'move' && IMMUTABLE.has(from[0]!)) throw bad(index, `${from[0]} is immutable`)
      if (op === 'move' && isPrefix(from, path)) throw bad(index, 'cannot move into its own child')
      steps.push({ op, from, path })
    } else if (op === 'remove') {
      steps.push({ op, path })
    } else {
      if (!Object.hasOwn(raw, 'value')) throw bad(index, `${op} needs a value`)
      try {
        checkJson(raw.value, limits.maxDepth)
      } catch (err) {
        throw bad(index, (err as Error).message)
      }
      steps.push({ op: op as 'add' | 'replace' | 'test', path, value: raw.value })
    }
  })
  return { id: id!, steps }
}

/** The steps as RFC 6902 operations relative to the item (what `authorize` sees). */
export function stepsToOperations(steps: readonly PatchStep[]): Operation[] {
  return steps.map((s): Operation => {
    if (s.op === 'move' || s.op === 'copy')
      return { op: s.op, from: joinPointer(s.from), path: joinPointer(s.path) }
    if (s.op === 'remove') return { op: 'remove', path: joinPointer(s.path) }
    return { op: s.op, path: joinPointer(s.path), value: (s as { value: unknown }).value }
  })
}
