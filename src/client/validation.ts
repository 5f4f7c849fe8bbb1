import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { EventMeta, Id, Item } from '../protocol/types.js'
import { checkItem, type Checked, type Collections } from '../protocol/schema.js'
import { ValidationError } from './errors.js'
import type { LocalMutation, StoreAction } from './store/actions.js'
import { applyItemOps } from './store/applyItemOps.js'
import type { StoreRegistry } from './StoreRegistry.js'

/** A write as the client core prepared it: its id, what is sent, what the store applies. */
export interface PreparedWrite {
  id: Id
  payload: unknown
  mutation: LocalMutation
}

/**
 * Calls `send` with the write once its collection's schema accepted it, else throws (or rejects
 * with) a ValidationError: nothing is applied, queued or sent. POST and PUT are checked on their
 * item and applied optimistically as the schema's output (defaults filled in, transforms done, as
 * the server will store it); a PATCH on the item it makes of the visible one (when the store holds
 * none, only the server checks it). A synchronous schema decides at once; an asynchronous one delays
 * the write, and every later write of the client waits behind it, so writes still reach the store
 * and the queue in call order.
 */
export type CheckWrite = <R>(
  collection: string,
  write: PreparedWrite,
  send: (w: PreparedWrite) => Promise<R>,
) => Promise<R>

/** The client's write check from its options; with `validateIncoming`, its store screen too. */
export function schemaChecks(
  options: { collections?: Collections; validateIncoming?: 'warn' | 'drop' },
  stores: StoreRegistry,
): CheckWrite {
  const { collections: schemas, validateIncoming: mode } = options
  const schemaOf = (c: string) => (schemas && Object.hasOwn(schemas, c) ? schemas[c] : undefined)
  let tail: Promise<void> | undefined

  const check = (collection: string, write: PreparedWrite) => {
    const schema = schemaOf(collection)
    const m = write.mutation
    if (!schema || m.kind === 'DELETE') return write
    const current = m.kind === 'PATCH' && stores.get(collection).peek(m.id)
    const patched = current && applyItemOps(current, m.ops, m.id, 0)
    const item = m.kind !== 'PATCH' ? m.item : patched && patched.ok && patched.item
    if (!item) return write
    const accept = (c: Checked): PreparedWrite => {
      if (!c.ok) throw new ValidationError(collection, c.issues)
      return m.kind === 'PATCH' ? write : { ...write, mutation: { ...m, item: c.value } }
    }
    const checked = checkItem(schema, item, m.id)
    return checked instanceof Promise ? checked.then(accept) : accept(checked)
  }

  const run = <R>(
    collection: string,
    write: PreparedWrite,
    send: (w: PreparedWrite) => Promise<R>,
  ) => {
    const checked = tail ? tail.then(() => check(collection, write)) : check(collection, write)
    if (!(checked instanceof Promise)) return send(checked)
    // `send` is registered first, so it has run (applied and queued the write) before the tail
    // lets the next write's check go.
    const sent = checked.then(send)
    const clear = () => {
      if (tail === mine) tail = undefined
    }
    const mine = (tail = checked.then(clear, clear))
    return sent
  }

  if (mode) stores.screen = screen(schemaOf, mode, stores)
  return run
}

/**
 * `validateIncoming`: screens the store actions of collections with a schema. An invalid item from
 * the server is logged with its collection and id; 'drop' also keeps it out: an ADDED, or a CHANGED
 * that would make the item invalid, becomes a removal at its version; items read (GET, LIST, a
 * resync) are left out. The answer to the client's own write is not re-checked: the write was
 * checked on the way out.
 */
function screen(
  schemaOf: (collection: string) => StandardSchemaV1 | undefined,
  mode: 'warn' | 'drop',
  stores: StoreRegistry,
) {
  return (collection: string, action: StoreAction): StoreAction => {
    const schema = schemaOf(collection)
    if (!schema) return action
    // Logs an invalid item; false when it must be left out. An asynchronous schema cannot screen a
    // synchronous dispatch: its items are not checked.
    const keep = (item: Item) => {
      const checked = checkItem(schema, item, item.id)
      if (checked instanceof Promise || checked.ok) return true
      console.warn(
        `livecrud: ${collection}/${item.id} from the server fails its schema`,
        checked.issues,
      )
      return mode === 'warn'
    }
    if (action.type === 'server/items' || action.type === 'server/reset') {
      // In place: the caller's array is what GET and LIST answer with, so they leave them out too.
      action.items.splice(0, Infinity, ...action.items.filter(keep))
    }
    let item: Item | undefined
    if (action.type === 'server/added') item = action.item
    if (action.type === 'server/changed') {
      // The item this CHANGED makes: only known over exactly the version before it.
      const { id, meta } = action
      const state = stores.get(collection).getItemState(id)
      const base = !state.hasPendingWrites && state.version === meta.version - 1 && state.data
      const next = base && applyItemOps(base, action.ops, id, meta.version)
      if (next && next.ok) item = next.item
    }
    return !item || keep(item)
      ? action
      : { type: 'server/removed', id: item.id, meta: (action as { meta: EventMeta }).meta }
  }
}
