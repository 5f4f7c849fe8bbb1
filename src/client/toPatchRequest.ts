import { LivecrudError } from '../protocol/errors.js'
import { escapePointerSegment, parsePointer, PATCH_OPS } from '../protocol/jsonPatch.js'
import type { Operation } from '../protocol/jsonPatch.js'
import { isValidId, RESERVED_FIELDS } from '../protocol/limits.js'
import type { Id } from '../protocol/types.js'

export interface PatchRequest {
  id: Id
  /** Sent as given: the partial object, or the operations with their `/<id>` prefix. */
  wire: Record<string, unknown> | Operation[]
  /** For the store: operations relative to the item. */
  ops: Operation[]
}

const RESERVED = new Set<string>(RESERVED_FIELDS)

/**
 * `patchItem` takes a partial item with its id, or RFC 6902 operations whose paths all start with the
 * same item id (`/42/title`). Anything else is a BAD_REQUEST raised before anything is sent.
 */
export function toPatchRequest(patch: unknown): PatchRequest {
  if (Array.isArray(patch)) return fromOperations(patch)
  if (typeof patch !== 'object' || patch === null)
    throw badRequest(
      'patchItem needs a partial item with its id or an array of JSON Patch operations',
    )
  const object = patch as Record<string, unknown>
  if (!isValidId(object.id)) throw badRequest('patchItem: the partial item needs a valid `id`')
  const ops: Operation[] = []
  for (const [key, value] of Object.entries(object)) {
    if (RESERVED.has(key) || value === undefined) continue
    // `add` sets a member whether or not it exists (a `replace` of a missing member would fail).
    ops.push({ op: 'add', path: '/' + escapePointerSegment(key), value })
  }
  return { id: object.id, wire: object, ops }
}

function fromOperations(list: unknown[]): PatchRequest {
  if (list.length === 0) throw badRequest('patchItem: empty JSON Patch')
  let id: string | undefined
  const ops: Operation[] = []
  for (const [index, raw] of list.entries()) {
    if (typeof raw !== 'object' || raw === null)
      throw badRequest(`patch op ${index} is not an object`)
    const op = raw as Record<string, unknown>
    if (!(PATCH_OPS as readonly unknown[]).includes(op.op))
      throw badRequest(`patch op ${index}: unknown op ${JSON.stringify(op.op)}`)
    const path = split(op.path, index, 'path')
    id ??= path.id
    if (path.id !== id)
      throw badRequest(`patch op ${index}: every path must start with the same item id (/${id}/…)`)
    const rel: Record<string, unknown> = { ...op, path: path.rest }
    if (op.op === 'move' || op.op === 'copy') {
      const from = split(op.from, index, 'from')
      if (from.id !== id)
        throw badRequest(`patch op ${index}: \`from\` must stay inside item ${id}`)
      rel.from = from.rest
    }
    ops.push(rel as Operation)
  }
  return { id: id!, wire: list as Operation[], ops }
}

function split(pointer: unknown, index: number, field: string): { id: string; rest: string } {
  const segments = typeof pointer === 'string' ? parsePointer(pointer) : null
  if (!segments || segments.length < 2 || !isValidId(segments[0]))
    throw badRequest(`patch op ${index}: \`${field}\` must look like /<id>/<field>…`)
  const [id, ...rest] = segments as [string, ...string[]]
  return { id, rest: '/' + rest.map(escapePointerSegment).join('/') }
}

function badRequest(message: string): LivecrudError {
  return new LivecrudError('BAD_REQUEST', message)
}
