import { LivecrudError, type Item, type Operation } from '../../protocol/index.js'
import { applyPatch } from '../applyPatch.js'
import type { Limits } from '../limits.js'
import {
  checkJson,
  isPlainObject,
  jsonBytes,
  validateItemBody,
  withoutReserved,
} from '../validate.js'
import { stepsToOperations, validatePatch, type PatchStep } from '../validatePatch.js'

/** A validated PATCH: either JSON Patch steps or a merge (top-level fields replaced). */
export type PatchPlan =
  | { kind: 'ops'; id: string; steps: PatchStep[]; ops: Operation[] }
  | { kind: 'merge'; id: string; fields: Record<string, unknown>; ops: Operation[] }

export function parsePatch(raw: unknown, limits: Limits): PatchPlan {
  if (Array.isArray(raw)) {
    const { id, steps } = validatePatch(raw, limits)
    return { kind: 'ops', id, steps, ops: stepsToOperations(steps) }
  }
  if (!isPlainObject(raw))
    throw new LivecrudError('BAD_REQUEST', 'patch must be a partial item with id or an op array')
  const body = validateItemBody(raw, limits)
  if (typeof body.id !== 'string') throw new LivecrudError('BAD_REQUEST', 'a merge patch needs id')
  const fields = withoutReserved(body)
  const ops = Object.keys(fields).map((key): Operation => ({
    op: 'add',
    path: '/' + key.replace(/~/g, '~0').replace(/\//g, '~1'),
    value: fields[key],
  }))
  return { kind: 'merge', id: body.id, fields, ops }
}

/** The new client-visible data: the patch applied to a copy of the user's view of the item. */
export function nextForPatch(view: Item, plan: PatchPlan, limits: Limits): Record<string, unknown> {
  const next =
    plan.kind === 'ops'
      ? applyPatch(view, plan.steps)
      : { ...view, ...structuredClone(plan.fields) }
  const data = withoutReserved(next)
  checkJson(data, limits.maxDepth)
  if (jsonBytes(data) > limits.maxItemBytes)
    throw new LivecrudError(
      'PAYLOAD_TOO_LARGE',
      `item would be larger than ${limits.maxItemBytes} bytes`,
    )
  return data
}
