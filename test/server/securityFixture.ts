import type { AuthorizeContext, Handshake, ServerOptions } from 'livecrud/server'
import type { Item } from '../../src/protocol/index.js'

/** The users of the security tests: two tenants, an admin and a read-only viewer. */
export interface TestUser {
  name: 'alice' | 'bob' | 'admin' | 'viewer'
  tenant: 'A' | 'B' | '*'
  role: 'member' | 'admin' | 'viewer'
}

export const USERS: Record<string, TestUser> = {
  'tok-alice': { name: 'alice', tenant: 'A', role: 'member' },
  'tok-bob': { name: 'bob', tenant: 'B', role: 'member' },
  'tok-admin': { name: 'admin', tenant: '*', role: 'admin' },
  'tok-viewer': { name: 'viewer', tenant: 'A', role: 'viewer' },
}
export const TOKEN = {
  alice: 'tok-alice',
  bob: 'tok-bob',
  admin: 'tok-admin',
  viewer: 'tok-viewer',
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * The rules under test:
 * - `todos` (and `todos*`): tenant-scoped (admin sees all); members write only their tenant; viewers only read;
 *   `internalNote` is visible to admins only; `secretHash` is a server field nobody ever gets.
 * - `public`: everyone reads, only admins write.
 * - `secrets`: admins only.
 */
export function securityOptions(revoked: Set<string> = new Set()): ServerOptions<TestUser> {
  return {
    authenticate: (handshake: Handshake) => {
      const token = (handshake.auth as { token?: unknown }).token
      if (typeof token !== 'string' || revoked.has(token)) return null
      if (token === 'throws') throw new Error('boom')
      if (token === 'rejects') return Promise.reject(new Error('boom'))
      if (token === 'hangs') return new Promise(() => {})
      return USERS[token] ?? null
    },
    readScope: (user, collection) =>
      collection.startsWith('todos') && user.role !== 'admin' ? { tenant: user.tenant } : null,
    authorize: ({ user, action, collection, item, query }: AuthorizeContext<TestUser>) => {
      if (user.role === 'admin') return true
      if (collection === 'secrets') return false
      // internalNote is redacted for non-admins: no filtering or sorting on it either.
      const fields = query ? [...Object.keys(query.filters), ...query.sort.map((s) => s.field)] : []
      if (fields.includes('internalNote')) return false
      if (!WRITES.has(action)) return true
      if (user.role === 'viewer' || collection === 'public') return false
      if (collection.startsWith('todos') && item && (item as Item).tenant !== user.tenant)
        return false
      return true
    },
    redact: (user, _collection, item) => {
      if (user.role === 'admin') return item
      const { internalNote: _hidden, ...rest } = item
      return rest as Item
    },
    serverFields: { '*': ['secretHash'] },
  }
}
