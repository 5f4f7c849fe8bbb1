/**
 * Who wrote a change, as far as idempotency and echo matching are concerned: the authenticated user
 * and the client id together. A remembered mutation is found again only by the same origin, and an
 * event's `clientId` / `mutationId` are sent only to connections of the same origin, so neither a
 * result nor another user's ids ever cross users. A connection without a valid clientId gets an
 * origin of its own (its socket id): its mutations are never shared with anyone.
 */

/** A stable key for the authenticated user (`ServerOptions.userKey`, or this default). */
export function defaultUserKey(user: unknown): string {
  if (user === null || user === undefined || user === false) return ''
  if (typeof user === 'string' || typeof user === 'number') return `${typeof user}:${user}`
  if (typeof user === 'object') {
    const id = (user as { id?: unknown }).id
    if (typeof id === 'string' || typeof id === 'number') return `id:${id}`
  }
  try {
    return `json:${stableJson(user)}`
  } catch {
    // A user object JSON cannot express (cycles, BigInt): every such user is its own scope per
    // process object, which errs on the side of never sharing.
    return `opaque:${Math.random().toString(36).slice(2)}`
  }
}

function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`
  const keys = Object.keys(value).sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`
}

/** The origin of a connection: `[userKey, clientId]`, or `[userKey, null, connectionId]` without a clientId. */
export function originOf(
  userKey: string,
  clientId: string | undefined,
  connectionId: string,
): string {
  return clientId !== undefined
    ? JSON.stringify([userKey, clientId])
    : JSON.stringify([userKey, null, connectionId])
}

/** The origin a store keys a write's mutation by: the request's, or the anonymous user's with its clientId. */
export function requestOrigin(request: { origin?: string; clientId?: string }): string {
  return request.origin ?? JSON.stringify(['', request.clientId ?? ''])
}
