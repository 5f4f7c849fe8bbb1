import type { EventMeta, Id, Item, Operation } from '../protocol/index.js'
import { checkItem, type Collections } from '../protocol/schema.js'
import { ValidationError } from './errors.js'
import type { LocalMutation } from './store/actions.js'
import { applyItemOps } from './store/applyItemOps.js'
import type { StoreRegistry } from './StoreRegistry.js'

/** A write as the client core prepared it: its id, what is sent, what the store applies. */
export interface PreparedWrite {
  id: Id
  payload: unknown
  mutation: LocalMutation
}

/**
 * The write as it is to be applied and sent once its collection's schema accepted it; throws a
 * ValidationError when the schema refuses it: nothing is applied, queued or sent. POST and PUT are
 * checked on their item and applied optimistically as the schema's output (defaults filled in,
 * transforms done, as the server will store it); a PATCH on the item it makes of the visible one
 * (when the store holds none, only the server checks it). The check is synchronous, so writes stay
 * applied and queued in call order: an asynchronous schema (async refinements) cannot decide before
 * the optimistic apply, so the client leaves such writes to the server, which awaits it.
 */
export type CheckWrite = (collection: string, write: PreparedWrite) => PreparedWrite

/** The client's write check from its options; with `validateIncoming`, its store screen too. */
export function schemaChecks(
  options: { collections?: Collections; validateIncoming?: 'warn' | 'drop' },
  stores: StoreRegistry,
): CheckWrite {
  const { collections: schemas, validateIncoming: mode } = options
  const schemaOf = (c: string) => (schemas && Object.hasOwn(schemas, c) ? schemas[c] : undefined)

  const check: CheckWrite = (collection, write) => {
    const schema = schemaOf(collection)
    const m = write.mutation
    if (!schema || m.kind === 'DELETE') return write
    const current = m.kind === 'PATCH' && stores.get(collection).peek(m.id)
    const patched = current && applyItemOps(current, m.ops, m.id, 0)
    const item = m.kind !== 'PATCH' ? m.item : patched && patched.ok && patched.item
    const checked = item && checkItem(schema, item, m.id)
    if (!checked || checked instanceof Promise) return write
    if (!checked.ok) throw new ValidationError(collection, checked.issues)
    return m.kind === 'PATCH' ? write : { ...write, mutation: { ...m, item: checked.value } }
  }

  /*
   * `validateIncoming`: screens the store actions of collections with a schema. An invalid item from
   * the server is logged with its collection, id and issues; 'drop' also keeps it out: an ADDED, or
   * a CHANGED that would make the item invalid, becomes a removal at its version; items read (GET,
   * LIST, a resync) are left out. The answer to the client's own write is not re-checked: the write
   * was checked on the way out. An asynchronous schema cannot screen a synchronous dispatch: its
   * items are not checked.
   */
  if (mode)
    stores.screen = (collection, action) => {
      const schema = schemaOf(collection)
      if (!schema) return action
      const keep = (item: Item) => {
        const checked = checkItem(schema, item, item.id)
        if (checked instanceof Promise || checked.ok) return true
        const message = `livecrud: ${collection}/${item.id} from the server fails its schema`
        console.warn(message, checked.issues)
        return mode === 'warn'
      }
      // In place: the caller's array is what GET and LIST answer with, so they leave them out too.
      if (action.type === 'server/items' || action.type === 'server/reset')
        action.items.splice(0, Infinity, ...action.items.filter(keep))
      // The item a CHANGED makes: only known over exactly the version before it (with pending
      // writes, over the visible item).
      const { meta, ops } = action as { meta: EventMeta; ops: Operation[] }
      const base = action.type === 'server/changed' && stores.get(collection).peek(action.id)
      const next =
        base && base._version === meta.version - 1 && applyItemOps(base, ops, base.id, meta.version)
      const item = action.type === 'server/added' ? action.item : next && next.ok && next.item
      return !item || keep(item) ? action : { type: 'server/removed', id: item.id, meta }
    }
  return check
}
