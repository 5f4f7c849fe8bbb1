import { randomUUID } from 'node:crypto'
import {
  LivecrudError,
  type Item,
  type Operation,
  type WriteAckMeta,
  type WriteMeta,
} from '../../protocol/index.js'
import type { Action } from '../types.js'
import type { WriteDecision, WriteResult } from '../stores/Store.js'
import {
  validateCollection,
  validateId,
  validateItemBody,
  validateWriteMeta,
  withoutReserved,
} from '../validate.js'
import { jsonEqual } from '../applyPatch.js'
import type { HandlerContext, Reply } from './context.js'
import { nextForPatch, parsePatch } from './patchPlan.js'
import { patchCheck, validatedData } from '../schemaValidation.js'

/** The pieces every write has; `plan` turns the user's view of the current item into new data. */
interface WritePlan {
  action: Exclude<Action, 'GET' | 'LIST' | 'SUBSCRIBE'>
  collection: string
  id: string
  meta: WriteMeta
  /** Must the item exist (PUT, PATCH) or must it not (POST)? DELETE tolerates both. */
  existence: 'required' | 'absent' | 'any'
  patch?: Operation[]
  /** New client-visible data from the current view (null = delete). */
  plan(view: Item | null): Record<string, unknown> | null
}

function conflict(message: string, current: Item | null): LivecrudError {
  return new LivecrudError('CONFLICT', message, { current })
}

async function runWrite(ctx: HandlerContext, p: WritePlan): Promise<Reply> {
  const { conn, policy, store } = ctx
  const viewer = conn.viewer(p.collection)
  const user = conn.user
  const decide = (stored: Item | null): WriteDecision => {
    // An item the user may not read is, for this user, not there.
    const current = stored && viewer.read(stored) ? stored : null
    const view = current ? viewer.view(current) : null
    if (p.existence === 'absent' && stored)
      throw conflict(`${p.collection}/${p.id} already exists`, view)
    if (p.meta.ifVersion !== undefined && (current?._version ?? 0) !== p.meta.ifVersion)
      throw conflict(`${p.collection}/${p.id} is not at version ${p.meta.ifVersion}`, view)
    if (p.existence === 'required' && !current)
      throw new LivecrudError('NOT_FOUND', `no item ${p.id} in ${p.collection}`)
    if (p.action === 'DELETE' && !current) return { action: 'none', result: false }
    const data = p.plan(view)
    const item = data === null ? null : policy.restoreHidden(user, p.collection, current, data)
    if (item) {
      // Object.assign, not `{ ...item, id, _version }`: on V8 11 (Node 20) adding fields after a
      // spread costs 1–3 µs per object, the assign 0.1 µs (bench/peerBench.ts, server CPU per write).
      const version = (current?._version ?? 0) + 1
      const probe = Object.assign({}, item, { id: p.id, _version: version }) as Item
      if (!ctx.allowWritesOutOfScope && !viewer.read(probe))
        throw new LivecrudError('FORBIDDEN', 'the result would be outside your read scope')
      policy.authorize(Object.assign(base(p, user), { item: probe, current, patch: p.patch }))
      // A PATCH that changes nothing (only `test` ops, values already there, or only fields this
      // user cannot see, which every write ignores) commits nothing: no new version, no event;
      // the answer is the item as it is.
      if (p.action === 'PATCH' && current && jsonEqual(item, withoutReserved(current)))
        return { action: 'none', result: current }
      return { action: 'put', item }
    }
    policy.authorize(Object.assign(base(p, user), { current }))
    return { action: 'delete' }
  }
  const written: WriteResult = await store.write({
    collection: p.collection,
    id: p.id,
    mutationId: p.meta.mutationId,
    clientId: conn.clientId,
    origin: conn.origin,
    expectsNoItem: p.existence === 'absent',
    decide,
  })
  let result: unknown = written.result
  if (result !== null && typeof result === 'object') {
    const item = result as Item
    result = viewer.read(item) ? viewer.view(item) : null
  }
  const meta: WriteAckMeta = { seq: written.seq, version: written.version }
  if (written.duplicate) meta.duplicate = true
  return { result, meta }
}

function base(p: WritePlan, user: unknown) {
  return { user, action: p.action, collection: p.collection, id: p.id }
}

/** POST (collection, item, meta) → the created item; the id is the client's or a new UUID. */
export async function handlePost(ctx: HandlerContext, [c, body, m]: unknown[]): Promise<Reply> {
  const collection = validateCollection(c)
  const item = validateItemBody(body, ctx.limits)
  const meta = validateWriteMeta(m)
  const id = item.id === undefined ? randomUUID() : validateId(item.id)
  const data = await validatedData(ctx, collection, id, withoutReserved(item))
  return runWrite(ctx, {
    action: 'POST',
    collection,
    id,
    meta,
    existence: 'absent',
    plan: () => data,
  })
}

/** PUT (collection, item, meta) → the replaced item (every client-visible field is replaced). */
export async function handlePut(ctx: HandlerContext, [c, body, m]: unknown[]): Promise<Reply> {
  const collection = validateCollection(c)
  const item = validateItemBody(body, ctx.limits)
  const meta = validateWriteMeta(m)
  if (item.id === undefined) throw new LivecrudError('BAD_REQUEST', 'PUT needs the item id')
  const id = validateId(item.id)
  const data = await validatedData(ctx, collection, id, withoutReserved(item))
  return runWrite(ctx, {
    action: 'PUT',
    collection,
    id,
    meta,
    existence: 'required',
    plan: () => data,
  })
}

/** PATCH (collection, partial item with id | JSON Patch with /<id>/ paths, meta) → the patched item. */
export async function handlePatch(ctx: HandlerContext, [c, raw, m]: unknown[]): Promise<Reply> {
  const collection = validateCollection(c)
  const patch = parsePatch(raw, ctx.limits)
  const meta = validateWriteMeta(m)
  const check = patchCheck(ctx, collection, patch)
  return check.write(() =>
    runWrite(ctx, {
      action: 'PATCH',
      collection,
      id: patch.id,
      meta,
      existence: 'required',
      patch: patch.ops,
      plan: (view) => check.data(view, nextForPatch(view!, patch, ctx.limits)),
    }),
  )
}

/** DELETE (collection, id, meta) → true, or false when there was nothing (visible) to delete. */
export async function handleDelete(ctx: HandlerContext, [c, rawId, m]: unknown[]): Promise<Reply> {
  const collection = validateCollection(c)
  const id = validateId(rawId)
  const meta = validateWriteMeta(m)
  return runWrite(ctx, {
    action: 'DELETE',
    collection,
    id,
    meta,
    existence: 'any',
    plan: () => null,
  })
}
