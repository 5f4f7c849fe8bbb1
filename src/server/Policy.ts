import {
  LivecrudError,
  compileFilter,
  type Filters,
  type Item,
  type NormalizedQuery,
} from '../protocol/index.js'
import type { AuthorizeContext, ServerOptions } from './types.js'

export type Reader = (item: Item) => boolean

/**
 * The server's security decisions in one place, built from the `createServer` options. Every user
 * callback that throws fails closed: the item is not readable, the request is refused.
 */
export class Policy<U = unknown> {
  constructor(private readonly options: ServerOptions<U>) {}

  private serverFields(collection: string): readonly string[] {
    const map = this.options.serverFields
    if (!map) return []
    const own = Object.hasOwn(map, collection) ? map[collection]! : []
    const all = Object.hasOwn(map, '*') ? map['*']! : []
    return all.length === 0 ? own : [...all, ...own]
  }

  /** Filters ANDed into this user's LISTs (null = unrestricted). */
  scope(user: U, collection: string): Filters | null {
    const scope = this.options.readScope?.(user, collection)
    if (scope === null || scope === undefined) return null
    if (typeof scope !== 'object' || Array.isArray(scope))
      throw new LivecrudError('INTERNAL', 'readScope must return filters or null')
    return scope
  }

  /** A predicate for event visibility, built once per connection and collection. */
  reader(user: U, collection: string): Reader {
    const custom = this.options.canRead
    if (custom) {
      return (item) => {
        try {
          return custom(user, collection, item) === true
        } catch (err) {
          console.error('livecrud: canRead failed', err)
          return false
        }
      }
    }
    let scope: Filters | null
    try {
      scope = this.scope(user, collection)
    } catch (err) {
      console.error('livecrud: readScope failed', err)
      return () => false
    }
    if (!scope) return () => true
    const match = compileFilter(scope)
    return (item) => match(item)
  }

  /** What this user may see of an item: server fields dropped, then `redact`. */
  view(user: U, collection: string, item: Item): Item {
    const hidden = this.serverFields(collection)
    let out = item
    if (hidden.length > 0) {
      const copy: Record<string, unknown> = { ...item }
      for (const key of hidden) if (key !== 'id' && key !== '_version') delete copy[key]
      out = copy as Item
    }
    if (this.options.redact) {
      const red = this.options.redact(user, collection, out)
      if (red === null || typeof red !== 'object') throw new Error('redact must return an item')
      out = { ...red, id: item.id, _version: item._version }
    }
    return out
  }

  /** True when a user's view depends on the user (`redact`), so events cannot be shared between users. */
  get personal(): boolean {
    return this.options.redact !== undefined
  }

  /** True when views can differ from stored items, so writes must keep what the user cannot see. */
  get hides(): boolean {
    return this.options.redact !== undefined || this.options.serverFields !== undefined
  }

  /**
   * The data to store for a write whose client-visible result is `proposed`: fields the user cannot
   * see are taken from `current` (kept on PUT/PATCH), never from the client.
   */
  restoreHidden(
    user: U,
    collection: string,
    current: Item | null,
    proposed: Record<string, unknown>,
  ): Record<string, unknown> {
    if (!this.hides) return proposed
    const probe = { ...proposed, id: String(proposed.id ?? ''), _version: 0 } as Item
    const visible = new Set(Object.keys(this.view(user, collection, probe)))
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(proposed)) if (visible.has(key)) out[key] = proposed[key]
    if (current) {
      const seen = new Set(Object.keys(this.view(user, collection, current)))
      for (const key of Object.keys(current)) if (!seen.has(key)) out[key] = current[key]
    }
    return out
  }

  /** Filters and sort may not name server fields (that would let a client probe them). */
  checkQuery(collection: string, query: NormalizedQuery): void {
    const hidden = new Set(this.serverFields(collection))
    if (hidden.size === 0) return
    const fields = [...Object.keys(query.filters), ...query.sort.map((s) => s.field)]
    for (const f of fields)
      if (hidden.has(f.split('.')[0]!))
        throw new LivecrudError('FORBIDDEN', `field ${f} cannot be queried`)
  }

  /** Throws FORBIDDEN unless `authorize` allows (allow when no `authorize` is configured). */
  authorize(context: AuthorizeContext<U>): void {
    const fn = this.options.authorize
    if (!fn) return
    const verdict: unknown = fn(context)
    if (verdict !== null && typeof verdict === 'object' && 'then' in verdict)
      throw new LivecrudError('INTERNAL', 'authorize must be synchronous')
    if (verdict !== true)
      throw new LivecrudError('FORBIDDEN', `${context.action} on ${context.collection} not allowed`)
  }
}
