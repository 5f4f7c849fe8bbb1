import type { StandardSchemaV1 } from '@standard-schema/spec'
import {
  LivecrudError,
  describeIssues,
  fieldsOf,
  toIssues,
  type Checked,
  type Collections,
  type Id,
  type Item,
  type Operation,
  type ValidationIssue,
} from '../protocol/index.js'
import type { PatchPlan } from './handlers/patchPlan.js'
import type { Limits } from './limits.js'
import { checkJson, isPlainObject, jsonBytes, withoutReserved } from './validate.js'

/**
 * Server-side schema validation of writes (`ServerOptions.collections`). Every POST, PUT and PATCH
 * of a collection with a schema is validated on the item it would store — the client-visible item
 * after the patch, with its id; server fields stay outside the schema — and what is stored is the
 * schema's output (defaults filled in, strings trimmed, …), which every client then receives. An
 * invalid write is refused with BAD_REQUEST, `details.issues = [{ path, message }]` (for a JSON
 * Patch also `details.index`, the op that left the item invalid), and nothing is written.
 * Collections without a schema are not validated.
 */

interface Context {
  schemas?: Collections | undefined
  limits: Limits
}

function schemaOf(ctx: Context, collection: string): StandardSchemaV1 | undefined {
  const schemas = ctx.schemas
  return schemas && Object.hasOwn(schemas, collection) ? schemas[collection] : undefined
}

function run(schema: StandardSchemaV1, data: Record<string, unknown>, id: Id) {
  const result = schema['~standard'].validate(fieldsOf(data, id))
  return 'then' in result ? Promise.resolve(result).then(settle) : settle(result)
}

function settle(result: StandardSchemaV1.Result<unknown>): Checked {
  if (result.issues) return { ok: false, issues: toIssues(result.issues) }
  return { ok: true, value: result.value as Record<string, unknown> }
}

/** The data to store for an accepted output, or the refusal of the issues. */
function accepted(
  ctx: Context,
  collection: string,
  checked: Checked,
  ops?: readonly Operation[],
): Record<string, unknown> {
  if (!checked.ok) throw refusal(collection, checked.issues, ops)
  const output = checked.value
  // A schema whose output is not plain JSON (a Date from a transform, say) is a server bug: logged
  // and answered INTERNAL, not blamed on the client.
  try {
    if (!isPlainObject(output)) throw new Error('it is not a plain object')
    checkJson(output, ctx.limits.maxDepth)
  } catch (err) {
    throw new Error(`the ${collection} schema's output cannot be stored: ${(err as Error).message}`)
  }
  if (jsonBytes(output) > ctx.limits.maxItemBytes)
    throw new LivecrudError(
      'PAYLOAD_TOO_LARGE',
      `item would be larger than ${ctx.limits.maxItemBytes} bytes`,
    )
  return withoutReserved(output)
}

function refusal(
  collection: string,
  issues: ValidationIssue[],
  ops?: readonly Operation[],
): LivecrudError {
  const what = describeIssues(issues)
  if (!ops)
    return new LivecrudError('BAD_REQUEST', `invalid ${collection} item: ${what}`, { issues })
  const index = failingOp(issues, ops)
  return new LivecrudError(
    'BAD_REQUEST',
    `patch op ${index} leaves the ${collection} item invalid: ${what}`,
    { issues, index },
  )
}

/**
 * The op a JSON Patch's refusal names: the last op writing at, above or below the first issue's path
 * (its `path`, or the `from` a move takes away) — else the last op, after which the item is invalid.
 */
function failingOp(issues: readonly ValidationIssue[], ops: readonly Operation[]): number {
  const touches = (pointer: string | undefined, at: string) =>
    pointer !== undefined &&
    (pointer === at || at.startsWith(pointer + '/') || pointer.startsWith(at + '/'))
  for (const issue of issues) {
    const at = issue.path.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1'))
    const pointer = at.join('')
    for (let i = ops.length - 1; i >= 0; i--) {
      const op = ops[i]!
      if (
        op.path === '' ||
        touches(op.path, pointer) ||
        (op.op === 'move' && touches(op.from, pointer))
      )
        return i
    }
  }
  return ops.length - 1
}

/**
 * POST and PUT: the data to store, `data` as the schema outputs it. Their data does not depend on
 * the stored item, so the schema runs — and an asynchronous one is awaited — before the write's
 * transaction starts.
 */
export async function validatedData(
  ctx: Context,
  collection: string,
  id: Id,
  data: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const schema = schemaOf(ctx, collection)
  if (!schema) return data
  return accepted(ctx, collection, await run(schema, data, id))
}

/** Thrown out of `decide` when the item to validate needs an asynchronous schema: see PatchCheck. */
class AwaitValidation extends Error {
  constructor(
    readonly key: string,
    readonly result: Promise<Checked>,
    readonly view: Item | null,
  ) {
    super('asynchronous schema validation')
    // Nothing awaits it until the store has rolled back: keep its rejection from going unhandled.
    result.catch(() => {})
  }
}

/** How often a PATCH re-plans after an asynchronous validation before it gives up with CONFLICT. */
const MAX_ASYNC_ATTEMPTS = 3

/**
 * PATCH: the patched item depends on the stored one, which is only known inside the store's write
 * transaction, where `decide` runs — synchronously. So:
 * - `data(view, next)` runs in `decide` on the patched item. A synchronous schema decides there and
 *   then, on exactly the item that commits.
 * - An asynchronous schema cannot be awaited inside the transaction (it would hold the row lock, or
 *   the memory store's atomic section, across an await). Its promise is thrown out of `decide` as an
 *   `AwaitValidation`, which rolls the transaction back with nothing written; that first attempt was
 *   in effect a pre-read. `write` awaits the validation outside any transaction and runs the write
 *   again; `decide` then plans the item anew, and when it is the same item (same JSON) it uses the
 *   output just validated. If the item changed meanwhile, the new one is validated the same way; after
 *   MAX_ASYNC_ATTEMPTS such races the PATCH fails with CONFLICT (`details.current`, as for ifVersion).
 *   An invalid result refuses the PATCH with BAD_REQUEST like a synchronous one.
 */
export class PatchCheck {
  private known: { key: string; data: Record<string, unknown> } | undefined

  constructor(
    private readonly ctx: Context,
    private readonly collection: string,
    private readonly id: Id,
    private readonly schema: StandardSchemaV1,
    /** JSON Patch ops (item-relative), to name the failing one; undefined for a merge patch. */
    private readonly ops: readonly Operation[] | undefined,
  ) {}

  /** In `decide`: the data to store for the patched item `next` (of the user's `view`). */
  data(view: Item | null, next: Record<string, unknown>): Record<string, unknown> {
    const key = JSON.stringify(next)
    if (this.known?.key === key) return this.known.data
    const checked = run(this.schema, next, this.id)
    if (checked instanceof Promise) throw new AwaitValidation(key, checked, view)
    return accepted(this.ctx, this.collection, checked, this.ops)
  }

  /** Runs `attempt` (the write), again after each asynchronous validation `data` asked for. */
  async write<R>(attempt: () => Promise<R>): Promise<R> {
    for (let n = 1; ; n++) {
      try {
        return await attempt()
      } catch (err) {
        if (!(err instanceof AwaitValidation)) throw err
        const data = accepted(this.ctx, this.collection, await err.result, this.ops)
        if (n >= MAX_ASYNC_ATTEMPTS)
          throw new LivecrudError(
            'CONFLICT',
            `${this.collection}/${this.id} kept changing while its schema validated the patch`,
            { current: err.view },
          )
        this.known = { key: err.key, data }
      }
    }
  }
}

/** What a PATCH without a schema does: the patched item as it is, written once. */
const UNCHECKED = {
  data: (_view: Item | null, next: Record<string, unknown>) => next,
  write: <R>(attempt: () => Promise<R>) => attempt(),
}

/** The check of a PATCH of `collection` (a pass-through when the collection has no schema). */
export function patchCheck(
  ctx: Context,
  collection: string,
  patch: PatchPlan,
): Pick<PatchCheck, 'data' | 'write'> {
  const schema = schemaOf(ctx, collection)
  if (!schema) return UNCHECKED
  const ops = patch.kind === 'ops' ? patch.ops : undefined
  return new PatchCheck(ctx, collection, patch.id, schema, ops)
}
